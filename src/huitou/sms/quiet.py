"""The do-not-disturb window (HUITOU_SMS_QUIET_HOURS, local time): no marketing texts then."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def quiet_hours() -> tuple[time, time]:
    start, end = settings.HUITOU_SMS_QUIET_HOURS.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def is_quiet(moment: datetime) -> bool:
    start, end = quiet_hours()
    now = timezone.localtime(moment, timezone.get_default_timezone()).time()
    if start == end:  # an empty window
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # past midnight


def quiet_end(moment: datetime) -> datetime:
    """The next end of the window after `moment` (08:00 tomorrow at 22:00, today at 01:00)."""
    _start, end = quiet_hours()
    local = timezone.localtime(moment, timezone.get_default_timezone())
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        # Naive day arithmetic, re-localised: a DST change moves the wall clock, not 08:00.
        naive = candidate.replace(tzinfo=None) + timedelta(days=1)
        candidate = timezone.make_aware(naive, timezone.get_default_timezone())
    return candidate
