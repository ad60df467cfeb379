"""Settings from the environment, read strictly.

A value we cannot understand stops the start with a message naming the variable, instead of
quietly becoming something else: SECURE_COOKIES=ture must not mean "cookies over plain
HTTP", nor HUITOU_OUTBOX_MAX_ATTEMPTS=10x a traceback without the variable's name. An unset
or empty variable means the default.
"""

import os
import re
import zoneinfo
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
RATE = re.compile(r"[1-9]\d*/\d*[smhd]")  # 5/m, 300/h, 20/10m (django-ratelimit's form)
CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
TIME_RANGE = re.compile(rf"{CLOCK}-{CLOCK}")  # 21:00-08:00 (may run past midnight)


class BadSetting(ImproperlyConfigured, ValueError):
    """An environment variable's value is not one the setting accepts."""

    def __init__(self, name: str, value: str, expected: str):
        super().__init__(f"{name}={value!r} is not {expected}.")


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str) -> str:
    """As given, spaces and all (a password may have them); blank means the default."""
    value = os.environ.get(name, "")
    return value if value.strip() else default


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise BadSetting(name, value, "a boolean (true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise BadSetting(name, value, f"a whole number of at least {minimum}")
    return number


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or not 0 < number < float("inf"):
        raise BadSetting(name, value, "a positive number")
    return number


def env_list(name: str, default: str) -> list[str]:
    """Comma-separated; an item with a space in it was meant as two (commas, not spaces)."""
    value = _raw(name)
    items = [item.strip() for item in (value or default).split(",") if item.strip()]
    if value is not None and any(re.search(r"\s", item) for item in items):
        raise BadSetting(name, value, "a comma-separated list (separate items with commas)")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value.upper() not in choices:
        raise BadSetting(name, value, f"one of {', '.join(choices)}")
    return value.upper()


def env_url(name: str, default: str) -> str:
    """An http(s) address with a host: links in e-mails are built on it."""
    value = _raw(name) or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise BadSetting(name, value, "an address like https://desk.example.com")
    return value


def env_time_zone(name: str, default: str) -> str:
    value = _raw(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadSetting(name, value, "a time zone like Asia/Shanghai") from None
    return value


def env_rate(name: str, default: str) -> str:
    value = _raw(name) or default
    if not RATE.fullmatch(value):
        raise BadSetting(name, value, "a rate like 5/m, 300/h or 20/10m")
    return value


def env_time_range(name: str, default: str) -> str:
    """Local clock times "HH:MM-HH:MM"; a range whose end is before its start runs past
    midnight."""
    value = _raw(name) or default
    if not TIME_RANGE.fullmatch(value):
        raise BadSetting(name, value, "a time range like 21:00-08:00")
    return value


def rate_pair(name: str, default: tuple[str, str]) -> tuple[str, str]:
    """Rates "5/m,300/h" (per client, all clients) from `name`; one rate: per client only."""
    value = _raw(name)
    if value is None:
        return default
    rates = [rate.strip() for rate in value.split(",")]
    if len(rates) > 2 or not all(RATE.fullmatch(rate) for rate in rates):
        raise BadSetting(name, value, 'one or two rates like "5/m" or "5/m,300/h"')
    return rates[0], (rates[1] if len(rates) == 2 else default[1])
