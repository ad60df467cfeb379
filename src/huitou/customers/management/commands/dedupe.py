import json

from django.core.management.base import BaseCommand

from huitou.customers.cleansing import data_quality_report, duplicate_groups


class Command(BaseCommand):
    help = "数据清洗：report（疑似重复客户）| quality（无效与不完整的记录）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        report = sub.add_parser("report", help="groups of customers that look like one")
        report.add_argument("--json", action="store_true", help="print JSON")
        quality = sub.add_parser("quality", help="invalid and incomplete records as JSON")
        quality.add_argument("--json", action="store_true", help="print JSON (the default)")

    def handle(self, *args, action, **options):
        if action == "quality":
            self.stdout.write(json.dumps(data_quality_report(), ensure_ascii=False))
            return
        groups = duplicate_groups()
        if options["json"]:
            self.stdout.write(json.dumps(groups, ensure_ascii=False))
            return
        for group in groups:
            self.stdout.write(f"{' '.join(group['numbers'])}\t{'、'.join(group['reason_labels'])}")
        self.stderr.write(f"{len(groups)} groups")
