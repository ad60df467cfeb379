"""Import customers and transactions from CSV or XLSX [issue: customer archive].

All rows are checked first; with any bad row nothing is written (unless skip_bad), and every
bad row is reported with its row number, field and reason. Re-importing the same file
changes nothing: customers match on number or external_id, transactions on external_id or
on (customer, time, product, quantity, amount). Writes are bulk, so large files stay fast.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import InvalidOperation
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import ParseError

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError, check_text
from huitou.core.models import AuditEntry
from huitou.core.numbering import reserve_numbers
from huitou.core.spreadsheet import unescape_cell

from .models import Customer, CustomerKind, LossReason, Stage, Tier, TierChange, Transaction
from .phones import phone_digits
from .services import CUSTOMER_NUMBER_PREFIX, check_customer_fields, check_transaction_fields

CUSTOMER_COLUMNS = ["number", "external_id", "name", "phone", "email", "kind", "stage"]
OPTIONAL_CUSTOMER_COLUMNS = ["tier", "city", "address", "id_number", "note", "loss_reason"]
TRANSACTION_COLUMNS = [
    "customer",
    "time",
    "product",
    "quantity",
    "amount",
    "profit",
    "channel",
    "state",
]
BATCH = 2000
PROGRESS_EVERY = 1000  # rows between progress reports to a background job


# Encodings a CSV may come in: what Excel saves as "CSV UTF-8" (with a BOM), plain UTF-8,
# and what Chinese Excel saves as "CSV (comma delimited)" (GBK, which GB18030 contains).
ENCODING_LABELS = {
    "utf-8-sig": gettext_lazy("UTF-8（带 BOM）"),
    "utf-8": gettext_lazy("UTF-8"),
    "gb18030": gettext_lazy("GB18030（GBK）"),
}
# The model whose fields' names label an import's columns in error reports.
COLUMN_FIELDS = {"time": "occurred_at"}


@dataclass
class RowError:
    row: int  # as a spreadsheet shows it: the header is row 1
    field: str  # the column's code, for programs
    reason: str
    field_label: str = ""  # the column's name, for people


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0  # data rows in the file, the header not counted
    encoding: str = ""  # a key of ENCODING_LABELS for CSV files, "" for XLSX
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "encoding": self.encoding,
            "encoding_label": str(ENCODING_LABELS.get(self.encoding, "")),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": [vars(error) for error in self.errors],
        }


def column_label(model, column: str) -> str:
    """The verbose name of the model field behind an import column, else the column itself."""
    try:
        return str(model._meta.get_field(COLUMN_FIELDS.get(column, column)).verbose_name)
    except FieldDoesNotExist:
        return column


def _row_error(model, line: int, column: str, reason: str) -> RowError:
    return RowError(line, column, reason, column_label(model, column) if column else "")


# Column mapping: Chinese headers that mean our columns; an explicit mapping adds to these.
HEADER_ALIASES = {
    "客户编号": "number",
    "外部编号": "external_id",
    "姓名": "name",
    "名称": "name",
    "客户名称": "name",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "邮箱": "email",
    "电子邮件": "email",
    "类型": "kind",
    "客户类型": "kind",
    "阶段": "stage",
    "生命周期阶段": "stage",
    "等级": "tier",
    "价值等级": "tier",
    "城市": "city",
    "地址": "address",
    "证件号码": "id_number",
    "备注": "note",
    "流失原因": "loss_reason",
    "客户": "customer",
    "交易时间": "time",
    "时间": "time",
    "产品": "product",
    "数量": "quantity",
    "金额": "amount",
    "利润": "profit",
    "渠道": "channel",
    "订单状态": "state",
    "状态": "state",
}


def parse_mapping(text: str) -> dict[str, str]:
    """ "手机号码=phone, 客户名=name" → {"手机号码": "phone", "客户名": "name"}."""
    mapping = {}
    text = check_text(text or "", field="mapping", max_length=2000)
    for pair in filter(None, (part.strip() for part in text.split(","))):
        source, _sep, target = pair.partition("=")
        if not _sep or not source.strip() or not target.strip():
            raise DomainError(_("列映射格式应为 文件列=字段，用逗号分隔。"), field="mapping")
        mapping[source.strip().lower()] = target.strip().lower()
    return mapping


def read_rows(
    path: Path, mapping: dict[str, str] | None = None
) -> tuple[list[dict[str, str]], str]:
    """Rows of a CSV or XLSX file as dicts keyed by our column names (headers are mapped
    through `mapping`, then the Chinese aliases), and the CSV's encoding ("" for XLSX)."""
    rename = {**HEADER_ALIASES, **(mapping or {})}
    try:
        raw, encoding = _read_raw_rows(path)
        return [{rename.get(k, k): v for k, v in row.items()} for row in raw], encoding
    except DomainError:
        raise
    except Exception as error:  # what reading broke on, said in words
        message = describe_read_error(error, suffix=path.suffix.lower())
        if message is None:
            raise
        raise DomainError(message, field="file") from error


def describe_read_error(error: Exception, *, suffix: str) -> str | None:
    """A sentence for a person about why the file could not be read, or None."""
    if isinstance(error, FileNotFoundError):
        return _("上传的文件已不在服务器上，请重新上传。")
    if isinstance(error, UnicodeDecodeError):
        return _csv_encoding_message()
    if isinstance(error, csv.Error):
        return _("CSV 文件格式有误，无法读取（例如引号不成对，或某个单元格超过 13 万个字符）。")
    if suffix in (".xlsx", ".xlsm") and isinstance(
        error, zipfile.BadZipFile | ParseError | KeyError | ValueError | TypeError | OSError
    ):
        return _("无法打开 XLSX 文件：文件已损坏或不是 Excel 工作簿。")
    if isinstance(error, MemoryError):
        return _("文件太大，服务器处理不了，请拆分成几个文件分批导入。")
    return None


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 with or without BOM, or GB18030.

    Valid UTF-8 is tried before GB18030 because Chinese text in GBK is almost never valid
    UTF-8, while UTF-8 text would decode as GB18030 into nonsense.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        # Excel's "Unicode text" (UTF-16), or not a text file at all.
        raise DomainError(_csv_encoding_message(), field="file")
    candidates = ["utf-8-sig"] if data.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DomainError(_csv_encoding_message(), field="file")


def _csv_encoding_message() -> str:
    return _(
        "无法识别文件的编码：CSV 文件须为 UTF-8 或 GB18030（GBK）编码。"
        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新上传。"
    )


def _read_raw_rows(path: Path) -> tuple[Iterator[dict[str, str]], str]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, encoding = decode_csv(path.read_bytes())
        return _csv_rows(text), encoding
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path), ""
    raise DomainError(_("只支持 CSV 和 XLSX 文件。"), field="file")


def _csv_rows(text: str) -> Iterator[dict[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    for values in reader:
        yield dict(zip(header, (unescape_cell(v.strip()) for v in values), strict=False))


def _xlsx_rows(path: Path) -> Iterator[dict[str, str]]:
    # Lazy: openpyxl takes 0.6 s to import; only spreadsheet imports need it.
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).active
    except (zipfile.BadZipFile, KeyError, OSError):
        raise DomainError(
            _("无法打开 XLSX 文件：文件已损坏或不是 Excel 工作簿。"), field="file"
        ) from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip().lower() for h in next(rows, ())]
    for values in rows:
        yield {name: _cell_text(value) for name, value in zip(header, values, strict=False) if name}


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns 13800138000 into 13800138000.0
    return unescape_cell(str(value).strip())


@lru_cache(maxsize=64)
def _labels(choices, language: str) -> dict[str, str]:
    return {str(label): code for code, label in choices.choices}


def _choice(value: str, choices) -> str:
    """Accept a code ("current") or its label ("现实客户"); labels are looked up once."""
    return _labels(choices, get_language() or "").get(value, value)


def check_header(header: set[str], required: list[str], model) -> None:
    missing = [column for column in required if column not in header]
    if missing:
        # The name a person knows, and the code the header may also use.
        columns = _("、").join(
            _("%(label)s（%(column)s）") % {"label": column_label(model, column), "column": column}
            for column in missing
        )
        raise DomainError(_("文件缺少列：%(columns)s。") % {"columns": columns}, field="file")


def do_customers_import(
    *,
    actor,
    path: Path,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress=None,
    mapping: dict[str, str] | None = None,
    on_written=None,
) -> ImportReport:
    """`on_written(report)` runs inside the write's transaction (a job records itself done
    there, so a crash leaves either nothing written or the job done)."""
    rows, encoding = read_rows(path, mapping)
    check_header(set(rows[0]) if rows else set(), ["name"], Customer)
    report = ImportReport(dry_run=dry_run, rows=len(rows), encoding=encoding)
    by_number = {
        c.number: c for c in Customer.objects.filter(number__in={r.get("number") for r in rows})
    }
    by_external = {
        c.external_id: c
        for c in Customer.objects.filter(
            external_id__in={r.get("external_id") for r in rows if r.get("external_id")}
        )
    }
    reasons = {reason.name: reason for reason in LossReason.objects.all()}
    seen_keys: set[str] = set()
    creates: list[Customer] = []
    updates: dict[int, tuple[Customer, list]] = {}
    for done, row in enumerate(rows):
        line = done + 2  # the header is row 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, len(rows))  # rows checked so far, out of the file's rows
        try:
            data = {
                key: row[key]
                for key in [*CUSTOMER_COLUMNS[2:], *OPTIONAL_CUSTOMER_COLUMNS, "external_id"]
                if key in row and (row[key] != "" or key in ("phone", "email"))
            }
            for key, choices in (("kind", CustomerKind), ("stage", Stage), ("tier", Tier)):
                if key in data:
                    data[key] = _choice(data[key], choices)
            if "loss_reason" in data:
                if data["loss_reason"] not in reasons:
                    raise DomainError(_("流失原因不存在。"), field="loss_reason")
                data["loss_reason"] = reasons[data["loss_reason"]]
            key = row.get("number") or row.get("external_id") or ""
            if key and key in seen_keys:
                raise DomainError(
                    _("文件中重复出现。"), field="number" if row.get("number") else "external_id"
                )
            seen_keys.add(key)
            existing = None
            if row.get("number"):
                existing = by_number.get(row["number"])
                if existing is None:
                    raise DomainError(
                        _("客户编号不存在（新客户请留空，系统会分配）。"), field="number"
                    )
            elif row.get("external_id"):
                existing = by_external.get(row["external_id"])
            if existing is None:
                data.setdefault("name", "")
            cleaned = check_customer_fields(data)
            stage = cleaned.get("stage", existing.stage if existing else Stage.POTENTIAL)
            reason = cleaned.get("loss_reason", existing.loss_reason if existing else None)
            if stage == Stage.LOST and reason is None:
                raise DomainError(_("标记为流失客户时必须填写流失原因。"), field="loss_reason")
        except DomainError as error:
            report.errors.append(_row_error(Customer, line, error.field or "", error.message))
            continue
        if existing is None:
            creates.append(Customer(created_by=actor, **cleaned))
            continue
        diffs = [
            (k, getattr(existing, k), v) for k, v in cleaned.items() if getattr(existing, k) != v
        ]
        if diffs:
            for key, _old, new in diffs:
                setattr(existing, key, new)
            updates[existing.pk] = (existing, diffs)
        else:
            report.unchanged += 1

    if report.errors and not skip_bad:
        return report  # nothing is written when any row is bad
    report.skipped = len(report.errors)
    report.created, report.updated = len(creates), len(updates)
    if dry_run:
        return report
    # Checking ran outside a transaction so a job's progress is visible; writing is atomic.
    with transaction.atomic():
        _write_customers(actor=actor, creates=creates, updates=list(updates.values()))
        if on_written:
            on_written(report)
    return report


def _write_customers(*, actor, creates: list[Customer], updates: list) -> None:
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(Customer)
    for customer, number in zip(
        creates, reserve_numbers(prefix=CUSTOMER_NUMBER_PREFIX, count=len(creates)), strict=True
    ):
        customer.number = number
        customer.phone_digits = phone_digits(customer.phone)
        if customer.stage == Stage.LOST:
            customer.lost_at = now
    created = Customer.objects.bulk_create(creates, batch_size=BATCH)
    if created and created[0].pk is None:  # backends that return no ids
        numbers = [c.number for c in created]
        created = list(Customer.objects.filter(number__in=numbers))
    TierChange.objects.bulk_create(
        [
            TierChange(customer=c, tier=c.tier, effective_at=now, source="initial", actor=actor)
            for c in created
        ],
        batch_size=BATCH,
    )
    entries = [
        AuditEntry(
            content_type=content_type,
            object_id=c.pk,
            actor=actor,
            action="imported",
            new_value=c.number,
        )
        for c in created
    ]
    changed_fields: set[str] = set()
    for customer, diffs in updates:
        customer.phone_digits = phone_digits(customer.phone)
        customer.updated_at = now
        for key, old, new in diffs:
            changed_fields.add(key)
            entries.append(
                AuditEntry(
                    content_type=content_type,
                    object_id=customer.pk,
                    actor=actor,
                    action="changed",
                    field=key,
                    old_value="" if old is None else str(old),
                    new_value="" if new is None else str(new),
                )
            )
    if updates:
        Customer.objects.bulk_update(
            [customer for customer, _diffs in updates],
            [*changed_fields, "phone_digits", "updated_at"],
            batch_size=BATCH,
        )
        TierChange.objects.bulk_create(
            [
                TierChange(
                    customer=c,
                    tier=c.tier,
                    effective_at=now,
                    source="manual",
                    actor=actor,
                    reason=_("导入"),
                )
                for c, diffs in updates
                if any(key == "tier" for key, _o, _n in diffs)
            ]
        )
    AuditEntry.objects.bulk_create(entries, batch_size=BATCH)


def _parse_time(value: str) -> datetime:
    moment = parse_datetime(value) if value else None
    if moment is None and value:
        day = parse_date(value[:10])
        moment = datetime(day.year, day.month, day.day) if day else None
    if moment is None:
        raise DomainError(_("时间格式不正确（例如 2026-03-01 14:30）。"), field="time")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def do_transactions_import(
    *,
    actor,
    path: Path,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress=None,
    mapping: dict[str, str] | None = None,
    on_written=None,
) -> ImportReport:
    """`on_written(report)` runs inside the write's transaction (a job records itself done
    there, so a crash leaves either nothing written or the job done)."""
    rows, encoding = read_rows(path, mapping)
    check_header(
        set(rows[0]) if rows else set(), ["customer", "time", "product", "amount"], Transaction
    )
    report = ImportReport(dry_run=dry_run, rows=len(rows), encoding=encoding)
    keys = {row.get("customer", "") for row in rows}
    customers = {c.number: c.pk for c in Customer.objects.filter(number__in=keys)}
    customers.update(
        {
            c.external_id: c.pk
            for c in Customer.objects.filter(external_id__in=keys - customers.keys())
        }
    )
    known = set(
        Transaction.objects.filter(customer_id__in=set(customers.values())).values_list(
            "customer_id", "occurred_at", "product", "quantity", "amount"
        )
    )
    known_external = set(
        Transaction.objects.filter(
            external_id__in={r["external_id"] for r in rows if r.get("external_id")}
        ).values_list("external_id", flat=True)
    )
    creates: list[Transaction] = []
    for done, row in enumerate(rows):
        line = done + 2  # the header is row 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, len(rows))  # rows checked so far, out of the file's rows
        try:
            customer_id = customers.get(row.get("customer", ""))
            if customer_id is None:
                raise DomainError(_("找不到该客户（客户编号或外部编号）。"), field="customer")
            try:
                quantity = int(row.get("quantity") or 1)
            except ValueError:
                raise DomainError(_("数量必须是正整数。"), field="quantity") from None
            cleaned = check_transaction_fields(
                {
                    "occurred_at": _parse_time(row.get("time", "")),
                    "product": row.get("product", ""),
                    "quantity": quantity,
                    "amount": row.get("amount") or "x",
                    "profit": row.get("profit") or "0",
                    "channel": row.get("channel", ""),
                    "state": _choice(row.get("state", ""), Transaction.State),
                    "external_id": row.get("external_id", ""),
                }
            )
        except (DomainError, InvalidOperation) as error:
            report.errors.append(
                _row_error(Transaction, line, getattr(error, "field", "") or "", str(error))
            )
            continue
        natural = (
            customer_id,
            cleaned["occurred_at"],
            cleaned["product"],
            cleaned["quantity"],
            cleaned["amount"],
        )
        if (
            cleaned["external_id"] and cleaned["external_id"] in known_external
        ) or natural in known:
            report.unchanged += 1
            continue
        known.add(natural)
        if cleaned["external_id"]:
            known_external.add(cleaned["external_id"])
        creates.append(Transaction(customer_id=customer_id, **cleaned))
    if report.errors and not skip_bad:
        return report
    report.skipped = len(report.errors)
    report.created = len(creates)
    if not dry_run:
        with transaction.atomic():
            _write_transactions(creates)
            if on_written:
                on_written(report)
    return report


def _write_transactions(creates: list[Transaction]) -> None:
    Transaction.objects.bulk_create(creates, batch_size=BATCH)
    # A counted purchase makes prospects current and clears the loss-risk flag.
    buyers = {t.customer_id for t in creates if t.state in Transaction.COUNTED_STATES}
    Customer.objects.filter(pk__in=buyers, stage__in=[Stage.POTENTIAL, Stage.TARGET]).update(
        stage=Stage.CURRENT
    )
    Customer.objects.filter(pk__in=buyers).update(loss_risk_since=None)
