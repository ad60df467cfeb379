"""Due-time arithmetic against hand-computed values."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from huitou.sla.business_time import ALWAYS_OPEN, BusinessCalendar, CalendarError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = {
    day: [["09:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}
HOUR = 3600


def sh(month, day, hour, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def office():
    # 2026-10-01 (Thursday) and 10-02 are holidays; Sunday 2026-09-27 is a make-up working day.
    return BusinessCalendar(
        "Asia/Shanghai",
        OFFICE,
        holidays={date(2026, 10, 1), date(2026, 10, 2)},
        workdays={date(2026, 9, 27)},
    )


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (sh(11, 23, 10), 1, sh(11, 23, 11)),  # inside the morning
        (sh(11, 23, 11, 30), 1, sh(11, 23, 14)),  # across the lunch break
        (sh(11, 23, 12, 15), 0.5, sh(11, 23, 14)),  # starting in the lunch break
        (sh(11, 23, 17, 30), 1, sh(11, 24, 9, 30)),  # across the night
        (sh(11, 23, 7), 1, sh(11, 23, 10)),  # before opening
        (sh(11, 20, 17), 2, sh(11, 23, 10)),  # Friday evening to Monday (weekend)
        (sh(11, 21, 15), 1, sh(11, 23, 10)),  # started on a Saturday
        (sh(11, 23, 9), 7.5, sh(11, 23, 18)),  # one whole working day
        (sh(11, 23, 9), 22.5, sh(11, 25, 18)),  # three working days [004]
        (sh(9, 30, 17), 2, sh(10, 5, 10)),  # Wed 30 Sep → holidays Thu/Fri → weekend → Mon 5 Oct
        (sh(9, 25, 17), 2, sh(9, 27, 10)),  # Friday → the make-up Sunday (调休)
        (sh(11, 23, 10), 0, sh(11, 23, 10)),  # zero target: due at once
        (sh(11, 23, 12, 30), 0, sh(11, 23, 13, 30)),  # zero target outside hours: next opening
    ],
)
def test_due_times_match_hand_computed_values(office, start, hours, due):
    assert office.add(start, hours * HOUR) == due


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (sh(11, 23, 11), sh(11, 23, 14), 1.5),  # lunch is not counted
        (sh(11, 20, 17), sh(11, 23, 10), 2),  # the weekend is not counted
        (sh(9, 30, 9), sh(10, 5, 18), 15),  # two holidays and a weekend in between
        (sh(9, 26, 0), sh(9, 28, 0), 7.5),  # Saturday off, make-up Sunday worked
        (sh(11, 23, 14), sh(11, 23, 10), 0),  # end before start
    ],
)
def test_business_time_between_two_moments(office, start, end, hours):
    assert office.between(start, end) == hours * HOUR


def test_adding_the_time_between_gets_back_to_the_end(office):
    start, end = sh(11, 20, 16, 10), sh(11, 26, 11, 5)
    assert office.add(start, office.between(start, end)) == end


def test_a_dst_zone_counts_real_elapsed_time():
    # New York springs forward at 02:00 on Sunday 2026-03-08.
    always = BusinessCalendar("America/New_York", ALWAYS_OPEN)
    start = datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)
    assert always.add(start, HOUR).astimezone(NEW_YORK) == datetime(
        2026, 3, 8, 3, 30, tzinfo=NEW_YORK
    )
    day = BusinessCalendar("America/New_York", {d: [["00:00", "24:00"]] for d in ("sun",)})
    # The Sunday of the change has only 23 hours.
    assert (
        day.between(
            datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK), datetime(2026, 3, 9, 0, 0, tzinfo=NEW_YORK)
        )
        == 23 * HOUR
    )
    office_ny = BusinessCalendar("America/New_York", {d: [["09:00", "17:00"]] for d in OFFICE})
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK)  # EST, UTC-5
    due = office_ny.add(friday, 2 * HOUR).astimezone(NEW_YORK)
    assert (due.hour, due.day, due.utcoffset().total_seconds()) == (10, 9, -4 * HOUR)  # EDT


def test_a_shift_past_midnight_is_counted_on_both_days():
    night = BusinessCalendar(
        "Asia/Shanghai", {"mon": [["22:00", "24:00"]], "tue": [["00:00", "02:00"]]}
    )
    assert night.add(sh(11, 23, 23), 2 * HOUR) == sh(11, 24, 1)
    assert night.is_working(sh(11, 24, 1)) and not night.is_working(sh(11, 24, 3))


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["09:00", "08:00"]]},
        {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]},
        {"mon": [["9am", "5pm"]]},
        {"mon": [["09:00", "25:00"]]},
        {"monday": [["09:00", "17:00"]]},
        {},
    ],
)
def test_bad_hours_are_refused(hours):
    with pytest.raises(CalendarError):
        BusinessCalendar("Asia/Shanghai", hours)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(CalendarError):
        BusinessCalendar("Mars/Olympus", OFFICE)
