"""Business-time arithmetic (工作时间): pure functions, no database.

A `BusinessCalendar` knows the working intervals of every local date: the weekly hours,
minus holidays, plus make-up working days (调休). Times are handled as POSIX timestamps
internally, so a due time is a few float additions per working interval, and a zone with
daylight saving time is measured in real elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3660  # a due time more than ten years of calendar away is a configuration error


class CalendarError(ValueError):
    """The calendar's hours cannot be used (bad times, overlaps, no working time at all)."""


def parse_clock(text: str) -> int:
    """'09:30' → minutes after midnight; '24:00' is the end of the day."""
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
    except (AttributeError, ValueError):
        raise CalendarError(f"not a time of day: {text!r}") from None
    if not (0 <= int(minutes) < 60 and 0 <= value <= 24 * 60):
        raise CalendarError(f"not a time of day: {text!r}")
    return value


def parse_intervals(pairs) -> tuple[tuple[int, int], ...]:
    """[["09:00","12:00"],["13:30","18:00"]] → ((540, 720), (810, 1080)), checked and sorted."""
    intervals = []
    for pair in pairs or ():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CalendarError(f"an interval is [start, end]: {pair!r}")
        start, end = parse_clock(pair[0]), parse_clock(pair[1])
        if end <= start:
            raise CalendarError(f"an interval must end after it starts: {pair!r}")
        intervals.append((start, end))
    intervals.sort()
    for (_s1, e1), (s2, _e2) in pairwise(intervals):
        if s2 < e1:
            raise CalendarError("intervals overlap")
    return tuple(intervals)


@dataclass
class BusinessCalendar:
    """Working hours in one time zone. `hours` maps "mon".."sun" to [[start, end], ...];
    `holidays` are dates off; `workdays` are make-up working days, worked with the hours
    of `workday_hours` (by default the first weekday that has hours)."""

    timezone: str
    hours: dict[str, list]
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    workday_hours: list | None = None
    _weekly: tuple = field(init=False, repr=False)
    _makeup: tuple = field(init=False, repr=False)
    _zone: ZoneInfo = field(init=False, repr=False)
    _days: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.timezone not in _zone_names():
            raise CalendarError(f"unknown time zone: {self.timezone!r}")
        self._zone = ZoneInfo(self.timezone)
        unknown = set(self.hours or {}) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"unknown weekday: {sorted(unknown)[0]!r}")
        self._weekly = tuple(parse_intervals((self.hours or {}).get(day)) for day in WEEKDAYS)
        if self.workday_hours is not None:
            self._makeup = parse_intervals(self.workday_hours)
        else:
            self._makeup = next((day for day in self._weekly[:5] if day), ())
        if not any(self._weekly):
            raise CalendarError("the calendar has no working hours")
        self.holidays = frozenset(self.holidays)
        self.workdays = frozenset(self.workdays)

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def intervals_on(self, day: date) -> tuple[tuple[float, float], ...]:
        """The working intervals of local date `day`, as (start, end) POSIX timestamps."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        if day in self.workdays:
            minutes = self._makeup
        elif day in self.holidays:
            minutes = ()
        else:
            minutes = self._weekly[day.weekday()]
        pairs = ((self._timestamp(day, start), self._timestamp(day, end)) for start, end in minutes)
        # A DST change can shrink an interval to nothing; never let one run backwards.
        result = tuple((begin, end) for begin, end in pairs if end > begin)
        if len(self._days) > 20000:  # long-running processes: keep the cache bounded
            self._days.clear()
        self._days[day] = result
        return result

    def _timestamp(self, day: date, minute: int) -> float:
        """The instant of local `day` + `minute`. A wall time that does not exist (skipped by
        a DST change) means the moment of the change: the first instant at or after it."""
        if minute >= 24 * 60:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self._zone)
        ts = local.timestamp()
        if datetime.fromtimestamp(ts, self._zone).replace(tzinfo=None) == local.replace(
            tzinfo=None
        ):
            return ts
        # In a gap: walk back to the last wall minute that exists; the change is a minute on.
        for back in range(1, 181):
            earlier = local - timedelta(minutes=back)
            earlier_ts = earlier.timestamp()
            if datetime.fromtimestamp(earlier_ts, self._zone).replace(
                tzinfo=None
            ) == earlier.replace(tzinfo=None):
                return earlier_ts + 60
        return ts

    def _local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self._zone).date()

    # --- the arithmetic -------------------------------------------------------------

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start`."""
        try:
            return _aware(self.add_ts(start.timestamp(), seconds))
        except (OverflowError, ValueError) as error:
            if isinstance(error, CalendarError):
                raise
            raise CalendarError("date out of range") from None

    def add_ts(self, start: float, seconds: float) -> float:
        remaining = max(0.0, float(seconds))
        day = self._local_date(start)
        # A working interval of the previous local date may run past midnight into `start`.
        day -= timedelta(days=1)
        for _ in range(MAX_DAYS):
            for begin, end in self.intervals_on(day):
                if end <= start:
                    continue
                begin = max(begin, start)
                if remaining <= end - begin:
                    return begin + remaining if remaining or begin > start else start
                remaining -= end - begin
            day += timedelta(days=1)
        raise CalendarError("no working time within ten years")

    def between(self, start: datetime, end: datetime) -> float:
        """Seconds of working time from `start` to `end` (0 if end is before start)."""
        return self.between_ts(start.timestamp(), end.timestamp())

    def between_ts(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        total = 0.0
        day = self._local_date(start) - timedelta(days=1)
        last = self._local_date(end)
        while day <= last:
            for begin, finish in self.intervals_on(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total

    def is_working(self, moment: datetime) -> bool:
        ts = moment.timestamp()
        day = self._local_date(ts)
        return any(
            begin <= ts < end
            for check in (day - timedelta(days=1), day)
            for begin, end in self.intervals_on(check)
        )


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # IANA names only: "localtime" or "posixrules" would depend on the host.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def _aware(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
