"""`huitou triage "text"` (or one text per line on stdin): type, cause, anger, priority."""

import json
import sys

from django.core.management.base import BaseCommand

from huitou.knowledge.triage import triage


class Command(BaseCommand):
    help = "分诊：判断工单类型、投诉原因和愤怒程度（参数或标准输入每行一条）。"

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?")

    def handle(self, *args, **options):
        texts = [options["text"]] if options["text"] else (line.strip() for line in sys.stdin)
        for text in texts:
            if text:
                self.stdout.write(json.dumps(triage(text).as_dict(), ensure_ascii=False))
