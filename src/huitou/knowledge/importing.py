"""`huitou kb import FILE`: FAQ entries from CSV or XLSX (category, question, answer,
similar_questions with "|" between them). All rows are checked first; nothing is written
unless every row is valid (or bad rows are skipped on request)."""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from huitou.core.errors import DomainError
from huitou.core.spreadsheet import unescape_cell

from .services import check_faq_fields, do_faq_save

COLUMNS = ("category", "question", "answer", "similar_questions")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def read_rows(path: Path) -> list[dict]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        # Lazy: openpyxl takes 0.6 s to import; only spreadsheet files need it.
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        values = [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        text = path.read_text(encoding="utf-8-sig")
        values = list(csv.reader(io.StringIO(text)))
    if not values:
        raise ValueError("the file is empty")
    header = [name.strip().lower() for name in values[0]]
    missing = [name for name in COLUMNS[:3] if name not in header]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    return [
        {name: (unescape_cell(row[i]) if i < len(row) else "") for i, name in enumerate(header)}
        for row in values[1:]
    ]


def import_faq(*, actor, rows: list[dict], skip_bad: bool = False) -> ImportReport:
    report = ImportReport()
    good = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any((value or "").strip() for value in row.values()):
            continue
        similar = [text for text in (row.get("similar_questions") or "").split("|")]
        try:
            fields = check_faq_fields(
                category=row.get("category", ""),
                question=row.get("question", ""),
                answer=row.get("answer", ""),
                similar=similar,
            )
        except DomainError as error:
            report.errors.append(f"row {number}: {error.field}: {error.message}")
            continue
        if fields["question"] in seen:
            report.errors.append(
                f"row {number}: question: same standard question as row {seen[fields['question']]}"
            )
            continue
        seen[fields["question"]] = number
        good.append(fields)
    if report.errors and not skip_bad:
        return report
    with transaction.atomic():
        for fields in good:
            _entry, outcome = do_faq_save(actor=actor, **fields)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report
