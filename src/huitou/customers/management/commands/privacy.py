"""`huitou privacy retention [--dry-run] | export CUSTOMER [--output FILE] |
delete CUSTOMER --reason TEXT --yes`: personal information (PIPL) from the command line.

CUSTOMER is a customer number (C000123) or id. `--user USERNAME` puts that supervisor's or
admin's name on the access record instead of the command line's.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from huitou.core.errors import DomainError
from huitou.customers.models import Customer
from huitou.customers.retention import (
    do_customer_erase_on_request,
    do_retention_run,
    personal_data_export,
)


class Command(BaseCommand):
    help = (
        "个人信息：retention（按保存期限匿名化）| export（导出某客户的个人信息）"
        "| delete（按请求删除）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        retention = sub.add_parser("retention", help="anonymise customers inactive too long")
        retention.add_argument("--dry-run", action="store_true", help="only say who it would be")
        export = sub.add_parser("export", help="one customer's personal data as JSON")
        export.add_argument("customer")
        export.add_argument("--output", default="", help="file to write (default: stdout)")
        export.add_argument("--user", default="")
        delete = sub.add_parser("delete", help="erase one customer's personal data on request")
        delete.add_argument("customer")
        delete.add_argument("--reason", required=True)
        delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
        delete.add_argument("--user", default="")

    def handle(self, *args, action, **options):
        if action == "retention":
            report = do_retention_run(dry_run=options["dry_run"])
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        customer = _customer(options["customer"])
        actor = _user(options["user"])
        try:
            if action == "export":
                data = personal_data_export(actor=actor, customer=customer, channel="cli")
                if options["output"]:
                    Path(options["output"]).write_bytes(data)
                    self.stderr.write(f"wrote {options['output']}")
                else:
                    self.stdout.write(data.decode())
            else:
                if not options["yes"]:
                    raise CommandError("this erases the customer's personal data: add --yes")
                summary = do_customer_erase_on_request(
                    actor=actor, customer=customer, reason=options["reason"], channel="cli"
                )
                self.stdout.write(json.dumps(summary, ensure_ascii=False))
        except DomainError as error:
            raise CommandError(error.message) from None
        except PermissionDenied as error:
            raise CommandError(str(error)) from None


def _customer(key: str) -> Customer:
    key = key.strip()
    query = {"pk": int(key)} if key.isdigit() else {"number__iexact": key}
    customer = Customer.objects.filter(**query).first()
    if customer is None:
        raise CommandError(f"no customer {key!r}")
    return customer


def _user(username: str):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user
