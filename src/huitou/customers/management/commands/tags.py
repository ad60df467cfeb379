import json

from django.core.management.base import BaseCommand

from huitou.customers.mining import do_mined_tags_recompute
from huitou.customers.tagging import do_rfm_recompute, do_rule_tags_apply


class Command(BaseCommand):
    help = "客户标签：recompute（重新计算 RFM 统计标签、聚类挖掘标签，再应用全部规则标签）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("recompute", help="recompute RFM tags, then apply rule tags")

    def handle(self, *args, action, **options):
        # RFM first: rules may look at RFM statistics.
        result = {
            "rfm": do_rfm_recompute(),
            "mined": do_mined_tags_recompute(),
            "rules": do_rule_tags_apply(),
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
