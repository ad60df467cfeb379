"""`huitou import customers FILE` / `huitou import transactions FILE` (CSV or XLSX)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from huitou.accounts.models import User
from huitou.core.errors import DomainError
from huitou.customers.importing import (
    do_customers_import,
    do_transactions_import,
    parse_mapping,
)


class Command(BaseCommand):
    help = "导入客户或交易：import customers|transactions FILE [--dry-run] [--skip-bad]"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["customers", "transactions"])
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good rows even if some are bad"
        )
        parser.add_argument("--user", default="", help="whose name the import runs under")
        parser.add_argument(
            "--map", default="", help='column mapping, e.g. "手机号码=phone,客户名=name"'
        )

    def handle(self, *args, kind, file, dry_run, skip_bad, user, map, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        actor = User.objects.filter(username=user).first() if user else None
        if user and actor is None:
            raise CommandError(f"no such user: {user}")
        run = do_customers_import if kind == "customers" else do_transactions_import
        try:
            report = run(
                actor=actor,
                path=path,
                dry_run=dry_run,
                skip_bad=skip_bad,
                mapping=parse_mapping(map),
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        for error in report.errors:
            column = f"{error.field_label} ({error.field})" if error.field else ""
            self.stderr.write(f"row {error.row}: {column}: {error.reason}")
        if report.encoding:
            self.stderr.write(f"encoding: {report.encoding}")
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        if report.errors and not skip_bad:
            raise CommandError(f"{len(report.errors)} bad rows; nothing was imported")
