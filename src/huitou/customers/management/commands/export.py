"""`huitou export customers|transactions FILE` — CSV or XLSX by the file's ending."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from huitou.customers.exporting import (
    CUSTOMER_EXPORT_COLUMNS,
    TRANSACTION_EXPORT_COLUMNS,
    customer_rows,
    to_csv,
    to_xlsx,
    transaction_rows,
)
from huitou.customers.models import Customer, Transaction
from huitou.customers.privacy import do_bulk_export_record


class Command(BaseCommand):
    help = "导出客户或交易：export customers|transactions FILE [--tier A] [--stage current]"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["customers", "transactions"])
        parser.add_argument("file")
        parser.add_argument("--tier", default="")
        parser.add_argument("--stage", default="")

    def handle(self, *args, kind, file, tier, stage, **options):
        path = Path(file)
        render = {".csv": to_csv, ".xlsx": to_xlsx}.get(path.suffix.lower())
        if render is None:
            raise CommandError("the file must end in .csv or .xlsx")
        customers = Customer.objects.filter(merged_into__isnull=True).order_by("number")
        if tier:
            customers = customers.filter(tier=tier)
        if stage:
            customers = customers.filter(stage=stage)
        if kind == "customers":
            data = render(CUSTOMER_EXPORT_COLUMNS, customer_rows(customers))
        else:
            purchases = Transaction.objects.filter(customer__in=customers).order_by("occurred_at")
            data = render(TRANSACTION_EXPORT_COLUMNS, transaction_rows(purchases))
        path.write_bytes(data)
        if kind == "customers":  # who exported whose personal data: the access record
            do_bulk_export_record(
                actor=None,
                customers=customers,
                channel="cli",
                fmt=path.suffix.lower().lstrip("."),
                filters={"tier": tier, "stage": stage, "file": str(path)},
            )
        self.stderr.write(f"wrote {path}")
