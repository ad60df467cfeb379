"""Export customers (with the list's filters) and transactions as CSV or XLSX.

Columns match the importer's, so an export can be edited and imported back. Every cell goes
through `huitou.core.spreadsheet.safe_cell`: no text runs as a formula, no control character
breaks the file.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from huitou.core.spreadsheet import safe_row

from .models import Customer, Transaction

CUSTOMER_EXPORT_COLUMNS = [
    "number",
    "external_id",
    "name",
    "phone",
    "email",
    "kind",
    "stage",
    "tier",
    "city",
    "address",
    "id_number",
    "loss_reason",
    "note",
]
TRANSACTION_EXPORT_COLUMNS = [
    "customer",
    "time",
    "product",
    "quantity",
    "amount",
    "profit",
    "channel",
    "state",
    "external_id",
]


def customer_rows(customers: QuerySet[Customer]) -> Iterator[list]:
    for c in customers.select_related("loss_reason").iterator(chunk_size=2000):
        yield [
            c.number,
            c.external_id or "",
            c.name,
            c.phone,
            c.email,
            c.kind,
            c.stage,
            c.tier,
            c.city,
            c.address,
            c.id_number,
            c.loss_reason.name if c.loss_reason_id else "",
            c.note,
        ]


def transaction_rows(transactions: QuerySet[Transaction]) -> Iterator[list]:
    for t in transactions.select_related("customer").iterator(chunk_size=2000):
        yield [
            t.customer.number,
            t.occurred_at.isoformat(),
            t.product,
            t.quantity,
            str(t.amount),
            str(t.profit),
            t.channel,
            t.state,
            t.external_id or "",
        ]


def to_csv(columns: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(columns))
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 Chinese


def to_xlsx(columns: list[str], rows: Iterable[list]) -> bytes:
    # Lazy: openpyxl takes 0.6 s to import; only .xlsx downloads need it.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(safe_row(columns))
    for row in rows:
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
