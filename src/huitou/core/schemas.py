"""The checked input types every API schema and query parameter uses, and the error schema.

Text (`Text(n)` and the aliases below) refuses what the database or a spreadsheet would choke
on — NUL, lone surrogates, other control characters except tab and newlines — and is bounded;
`Moment` and `Day` refuse a UTC offset outside ±15:59 (PostgreSQL's limit) and a year outside
1900–2200. A refusal is a 422 naming the field, like every other validation error.
"""

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from django.db.models import Choices
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, StringConstraints

from .text import has_unsafe_characters

MIN_YEAR = 1900
MAX_YEAR = 2200
MAX_OFFSET = timedelta(hours=15, minutes=59)

# Bounds shared by the schemas, the forms and the services (models' max_length where they
# have one; for TextFields a bound of our own: the database would take any size).
SUBJECT_MAX = 200
BODY_MAX = 20_000  # a ticket description, a message, an FAQ answer
NOTE_MAX = 5_000  # notes, results, demands, comments
QUERY_MAX = 200  # search boxes (?q=) and tag names in a query


def _safe_text(value: str) -> str:
    if has_unsafe_characters(value):
        raise ValueError(_("内容包含无效字符。"))
    return value


def Text(max_length: int, *, min_length: int = 0) -> Any:  # a type factory
    """A str of at most `max_length` characters with no unsafe characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_safe_text),
    ]


def choices_literal(*parts: type[Choices] | str) -> Any:  # a type factory
    """A Literal of the model choices' values, in their order, so an API type cannot drift
    from the model: `choices_literal(Status)`; a string adds a value where it stands, as
    `choices_literal("", Tier)` for a filter's "any" (OpenAPI lists the values in this order).
    """
    values: list[str] = []
    for part in parts:
        values.extend([part] if isinstance(part, str) else part.values)
    return Literal[tuple(values)]


def _checked_year(value: date) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(
            _("日期必须在 %(min)d 年到 %(max)d 年之间。") % {"min": MIN_YEAR, "max": MAX_YEAR}
        )


def _checked_moment(value: datetime) -> datetime:
    _checked_year(value)
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError(_("时区偏移必须在 ±15:59 之内。"))
    return value


def _checked_day(value: date) -> date:
    _checked_year(value)
    return value


Moment = Annotated[datetime, AfterValidator(_checked_moment)]
Day = Annotated[date, AfterValidator(_checked_day)]

Name = Text(100)
ShortName = Text(64)  # departments, tags, calendars, policies, usernames
Subject = Text(SUBJECT_MAX)
Body = Text(BODY_MAX)
Note = Text(NOTE_MAX)
SearchText = Text(QUERY_MAX)


class ErrorOut(Schema):
    """Every API error: a message, or a list of {loc, msg, type} naming the fields."""

    detail: str | list[dict[str, Any]]
