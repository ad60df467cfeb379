from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """A controllable `timezone.now()`: set it, or move it forward."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Monday 2026-11-23 10:00 in Shanghai, and time moves only when told to."""
    fake = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


def sh(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)
