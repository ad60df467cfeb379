"""From calendar rows to the pure business-time calendar, cached per process."""

import csv
import io
from datetime import date, datetime, timedelta

from . import business_time
from .models import BusinessCalendar, CalendarDay

_cache: dict[int, tuple[tuple, business_time.BusinessCalendar]] = {}


def compiled_calendar(calendar: BusinessCalendar) -> business_time.BusinessCalendar:
    """The calendar's arithmetic. Rebuilt when the row changes (days touch it), so every web
    and worker process sees an edit without a restart."""
    key = (calendar.updated_at, calendar.timezone)
    cached = _cache.get(calendar.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    days = list(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"))
    compiled = build_calendar(
        timezone=calendar.timezone,
        hours=calendar.hours,
        workday_hours=calendar.workday_hours,
        holidays=[day for day, kind in days if kind == CalendarDay.Kind.HOLIDAY],
        workdays=[day for day, kind in days if kind == CalendarDay.Kind.WORKDAY],
    )
    _cache[calendar.pk] = (key, compiled)
    return compiled


def build_calendar(
    *, timezone: str, hours: dict, workday_hours=None, holidays=(), workdays=()
) -> business_time.BusinessCalendar:
    return business_time.BusinessCalendar(
        timezone=timezone,
        hours=hours,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        workday_hours=workday_hours,
    )


def parse_day_list(text: str, *, filename: str = "") -> list[tuple[date, str, str]]:
    """Holidays and make-up days from CSV (date,kind,name) or iCalendar (.ics).

    In an .ics file an all-day event is a holiday, unless its summary says 班 / 上班 /
    调休上班 / workday, which makes it a make-up working day (how Chinese holiday feeds
    mark 调休). Each event covers every date from DTSTART up to DTEND."""
    if filename.lower().endswith(".ics") or text.lstrip().startswith("BEGIN:VCALENDAR"):
        return _parse_ics(text)
    return _parse_csv(text)


def _kind(word: str) -> str | None:
    word = (word or "").strip().lower()
    if word in ("holiday", "节假日", "假", "休", "休息", "放假"):
        return CalendarDay.Kind.HOLIDAY
    if word in ("workday", "调休工作日", "班", "上班", "调休", "调休上班"):
        return CalendarDay.Kind.WORKDAY
    return None


def _parse_csv(text: str) -> list[tuple[date, str, str]]:
    rows = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for number, row in enumerate(reader, start=1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and row[0].strip().lower() in ("date", "日期"):
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise ValueError(f"row {number}: not a date (YYYY-MM-DD): {row[0]!r}") from None
        kind = _kind(row[1]) if len(row) > 1 else CalendarDay.Kind.HOLIDAY
        if kind is None:
            raise ValueError(f"row {number}: kind must be holiday or workday: {row[1]!r}")
        rows.append((day, kind, row[2].strip()[:64] if len(row) > 2 else ""))
    return rows


def _parse_ics(text: str) -> list[tuple[date, str, str]]:
    # Lazy: icalendar takes 0.2 s to import; only .ics uploads need it.
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise ValueError(f"not an iCalendar file: {error}") from None
    rows = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else None
        start = start.date() if isinstance(start, datetime) else start
        end = (end.date() if isinstance(end, datetime) else end) or start + timedelta(days=1)
        summary = str(event.get("SUMMARY", ""))
        working = any(mark in summary for mark in ("班", "workday", "Workday", "上班"))
        kind = CalendarDay.Kind.WORKDAY if working else CalendarDay.Kind.HOLIDAY
        day = start
        while day < max(end, start + timedelta(days=1)):
            rows.append((day, kind, summary[:64]))
            day += timedelta(days=1)
    return rows
