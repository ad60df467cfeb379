"""Delivery receipts (状态报告) the providers push: parsing their shapes and recording them.

Aliyun (SmsReport): a JSON list of {phone_number, success, biz_id, err_code, err_msg,
report_time, ...}. Tencent Cloud (短信下发状态回调): a JSON list of {mobile, report_status
"SUCCESS"/"FAIL", sid, errmsg, description, user_receive_time, ...}. Times are Beijing time
("2026-12-03 10:00:00") whatever our TIME_ZONE; a missing or odd one is the arrival time.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import SmsSend

Status = SmsSend.Status
PROVIDER_TIME_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


class BadReceipt(ValueError):
    """The body is not the provider's receipt shape; the message says where."""


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    delivered: bool
    at: datetime | None
    error: str


def _time(value) -> datetime | None:
    try:
        naive = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=PROVIDER_TIME_ZONE)


def _items(payload) -> list[dict]:
    if isinstance(payload, dict):
        payload = [payload]  # one report, not in a list
    if not isinstance(payload, list):
        raise BadReceipt("expected a JSON list of reports")
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            raise BadReceipt(f"report {index} is not a JSON object")
    return payload


def parse_aliyun(payload) -> list[Receipt]:
    receipts = []
    for index, item in enumerate(_items(payload)):
        if not item.get("biz_id") or "success" not in item:
            raise BadReceipt(f"report {index} has no biz_id or success")
        delivered = item["success"] in (True, "true", "True", 1)
        error = "" if delivered else f"{item.get('err_code', '')}: {item.get('err_msg', '')}"
        receipts.append(
            Receipt(str(item["biz_id"]), delivered, _time(item.get("report_time")), error)
        )
    return receipts


def parse_tencent(payload) -> list[Receipt]:
    receipts = []
    for index, item in enumerate(_items(payload)):
        if not item.get("sid") or item.get("report_status") not in ("SUCCESS", "FAIL"):
            raise BadReceipt(f"report {index} has no sid or report_status SUCCESS/FAIL")
        delivered = item["report_status"] == "SUCCESS"
        error = "" if delivered else f"{item.get('errmsg', '')}: {item.get('description', '')}"
        receipts.append(
            Receipt(str(item["sid"]), delivered, _time(item.get("user_receive_time")), error)
        )
    return receipts


def do_sms_receipts_record(*, provider: str, receipts: list[Receipt]) -> int:
    """Mark the sends the receipts name delivered or failed; ids we never sent are ignored
    (another system on the same account, or a send rolled back). How many rows changed."""
    changed = 0
    for receipt in receipts:
        changed += SmsSend.objects.filter(
            provider=provider,
            provider_id=receipt.provider_id,
            status__in=[Status.SENT, Status.DELIVERED, Status.FAILED],
        ).update(
            status=Status.DELIVERED if receipt.delivered else Status.FAILED,
            delivered_at=receipt.at or timezone.now(),
            error=receipt.error[:2000],
        )
    return changed
