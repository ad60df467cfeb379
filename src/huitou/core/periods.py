"""Reporting periods: a range of local dates, checked the same way by every report."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, datetime.min.time()))

    @property
    def end_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.end + timedelta(days=1), datetime.min.time())
        )

    @classmethod
    def last_days(cls, days: int = 90) -> "Period":
        today = timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)


def checked_period(start: date | None, end: date | None) -> Period:
    """The period from `start` to `end` (each defaulting to the last 90 days), or a 422."""
    default = Period.last_days(90)
    period = Period(start or default.start, end or default.end)
    if period.end < period.start:
        raise DomainError(_("结束日期不能早于开始日期。"), field="end")
    if (period.end - period.start).days > 3660:
        raise DomainError(_("统计期间不能超过十年。"), field="start")
    if period.start.year < 2000 or period.end.year > 2999:
        raise DomainError(_("日期超出范围。"), field="start" if period.start.year < 2000 else "end")
    return period
