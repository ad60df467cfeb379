"""`huitou demo`: fill an empty database with the demo company's staff, customers and tickets."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huitou.demo.loader import database_is_empty, load_demo, print_demo_logins


class Command(BaseCommand):
    help = "加载演示数据（一家家电企业的部门、账号、客户和工单），只用于空数据库"

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="if the database already holds data, say so and exit successfully",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="fraction of the default size (200 customers, 1,000 tickets); for tests",
        )

    def handle(self, *args, if_empty: bool, scale: float, **options):
        if not 0 < scale <= 10:
            raise CommandError(_("--scale 必须大于 0 且不超过 10。"))
        if not database_is_empty():
            if if_empty:
                self.stdout.write(_("演示数据已存在（数据库不为空），未做任何更改。"))
                print_demo_logins(self.stdout)
                return
            # Loading on top of real data would mix fake customers in with real ones.
            raise CommandError(
                _("数据库中已有数据，未加载演示数据。只想在空数据库上加载时，请使用 --if-empty。")
            )
        started = time.monotonic()
        counts = load_demo(scale=scale)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "演示数据已加载（用时 %(seconds).1f 秒）：%(departments)d 个部门、"
                    "%(users)d 个账号、%(customers)d 个客户、%(tickets)d 个工单、"
                    "%(messages)d 条消息、%(audit_entries)d 条变更记录。"
                )
                % {**counts, "seconds": time.monotonic() - started}
            )
        )
        print_demo_logins(self.stdout)
