"""`huitou quality draw`: draw this week's QA samples into the inspectors' queues."""

from django.core.management.base import BaseCommand

from huitou.quality.defaults import ensure_quality_defaults
from huitou.quality.sampling import do_sampling_run


class Command(BaseCommand):
    help = "质检：按抽样计划抽取会话到质检员的队列（可重复运行，不会重复抽取）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("draw", help="按抽样计划抽取本周和上周的会话")
        sub.add_parser("defaults", help="创建内置评分表和话术清单（已有则跳过）")

    def handle(self, *args, **options):
        if options["action"] == "defaults":
            cards = ensure_quality_defaults()
            self.stdout.write(f"内置评分表 {len(cards)} 张。")
            return
        for name, count in do_sampling_run().items():
            self.stdout.write(f"{name}：抽取 {count} 条。")
