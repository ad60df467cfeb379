import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from huitou.customers.tiers import do_tier_recompute, tier_distribution


class Command(BaseCommand):
    help = "客户价值分级：recompute（按规则重新评级）| show [--at ISO-8601]（各等级人数）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("recompute", help="recompute every customer's tier now")
        show = sub.add_parser("show", help="tier distribution, now or at a moment")
        show.add_argument("--at", default="")

    def handle(self, *args, action, **options):
        if action == "recompute":
            self.stdout.write(json.dumps(do_tier_recompute(), ensure_ascii=False))
        else:
            moment = parse_datetime(options["at"]) if options["at"] else timezone.now()
            if moment is None:
                raise CommandError(f"not an ISO-8601 date-time: {options['at']!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            self.stdout.write(json.dumps(tier_distribution(moment=moment)))
