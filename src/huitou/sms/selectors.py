"""Reads: today's count for a number, the deferred sends that are due, templates."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from .models import SmsSend, SmsTemplate

Status = SmsSend.Status
# A send counts against the number's day once it went to the gateway, including one the
# provider accepted and later reported undelivered (it has a provider id).
COUNTED = Q(status__in=[Status.SENDING, Status.SENT, Status.DELIVERED]) | (
    Q(status=Status.FAILED) & ~Q(provider_id="")
)


def local_day_start(moment: datetime) -> datetime:
    """Midnight of `moment`'s day in TIME_ZONE."""
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def sent_today(*, to: str, now: datetime, exclude_pk: int | None = None) -> int:
    rows = SmsSend.objects.filter(COUNTED, to=to, sent_at__gte=local_day_start(now))
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.count()


def due_deferred(*, now: datetime):
    return SmsSend.objects.filter(status=Status.DEFERRED, scheduled_for__lte=now).order_by(
        "scheduled_for", "pk"
    )


def template_by_code(code: str) -> SmsTemplate | None:
    if not code:
        return None
    return SmsTemplate.objects.filter(code=code).first()
