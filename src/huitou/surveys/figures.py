"""Satisfaction figures (满意度分析): CSAT, the average rating, NPS, response rate, per
dimension and period, indicators (importance × performance) and SERVQUAL gaps.

Every figure is an SQL aggregate over Response or Answer (Count/Sum/Avg with conditions,
GROUP BY), never a loop over answer sheets; a page of many breakdowns groups once by all
their dimensions and adds up the groups (Cube): the page stays fast over millions of answers
(bench/survey_analysis.py). The analysis dimensions were copied onto each Response when it
was made (agent, department, queue, channel, tier, ticket type), so a breakdown is a GROUP
BY on one table.

Definitions: CSAT = share of ratings 4–5 (很好, 好) among rated answer sheets, 0–1; the
average is of ratings 5 (很好) … 1 (差); NPS = % of scores 9–10 minus % of 0–6, in points
(−100 … 100), over the sheets with an NPS answer; response rate = answered / sent."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from huitou.accounts.models import Department, User
from huitou.accounts.scope import scope_to_department
from huitou.core.periods import Period
from huitou.sla.models import Queue
from huitou.tickets.models import Channel, TicketType

from .models import (
    Answer,
    Dimension,
    Indicator,
    Invitation,
    InviteState,
    QuestionKind,
    Questionnaire,
    Response,
    Side,
)

BREAKDOWNS = ("agent", "department", "queue", "channel", "tier", "ticket_type", "questionnaire")
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
FILTERS = ("channel", "tier", "ticket_type", "questionnaire", "agent", "department", "queue")


@dataclass(frozen=True)
class Scope:
    """Which answer sheets a figure counts: a period and optional filters."""

    period: Period
    filters: dict = field(default_factory=dict)


def sheets(*, user, scope: Scope) -> QuerySet:
    """The answer sheets of the period the user may see (accounts.scope: their department's
    unless they see every department), narrowed by the filters."""
    rows = Response.objects.filter(
        answered_at__gte=scope.period.start_at, answered_at__lt=scope.period.end_at
    )
    rows = scope_to_department(rows, user)
    for name in FILTERS:
        value = scope.filters.get(name)
        if value not in (None, ""):
            rows = rows.filter(
                **{
                    f"{name}_id"
                    if name in ("questionnaire", "agent", "department", "queue")
                    else name: value
                }
            )
    return rows


def _figures() -> dict:
    """Counts and sums, never averages: a grouped row can be added to its neighbours (Cube)."""
    return {
        "responses": Count("id"),
        "rated": Count("id", filter=Q(rating__isnull=False)),
        "top_two": Count("id", filter=Q(rating__gte=4)),
        "rating_sum": Sum("rating"),
        "scored": Count("id", filter=Q(nps__isnull=False)),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
    }


SUMS = tuple(_figures())


def _finish(row: dict) -> dict:
    rated, scored = row["rated"], row["scored"]
    return {
        "responses": row["responses"],
        "rated": rated,
        "csat": round(row["top_two"] / rated, 4) if rated else None,
        "average": round((row["rating_sum"] or 0) / rated, 3) if rated else None,
        "nps": round((row["promoters"] - row["detractors"]) * 100 / scored, 1) if scored else None,
        "nps_answers": scored,
    }


def _none_last(key):
    return (key is None, key if key is not None else 0)


class Cube:
    """The answer sheets' counts grouped by several dimensions in ONE query; every breakdown,
    cross-tab and total of those dimensions is then a sum over its rows (a few thousand at
    most), so a page showing many of them scans the sheets once instead of once per figure."""

    def __init__(self, *, user, scope: Scope, dimensions: tuple[str, ...]) -> None:
        self.dimensions = dimensions
        columns = [_column(by) for by in dimensions]
        query = sheets(user=user, scope=scope)
        if columns:
            self.rows = list(query.values(*columns).annotate(**_figures()).order_by(*columns))
        else:
            self.rows = [query.aggregate(**_figures())]

    def _rolled(self, dimensions: tuple[str, ...]) -> dict[tuple, dict]:
        columns = [_column(by) for by in dimensions]
        groups: dict[tuple, dict] = {}
        for row in self.rows:
            key = tuple(row[column] for column in columns)
            total = groups.setdefault(key, dict.fromkeys(SUMS, 0))
            for name in SUMS:
                total[name] += row[name] or 0
        return groups

    def total(self) -> dict:
        return _finish(self._rolled(()).get((), dict.fromkeys(SUMS, 0)))

    def breakdown(self, by: str) -> list[dict]:
        groups = self._rolled((by,))
        labels = _labels(by, [key for (key,) in groups])
        result = [
            {"key": key, "label": labels.get(key) or "—", **_finish(row)}
            for (key,), row in groups.items()
        ]
        return sorted(result, key=lambda row: (-row["responses"], str(row["label"])))

    def crosstab(self, rows: str, cols: str) -> dict:
        table = {key: _finish(row) for key, row in self._rolled((rows, cols)).items()}
        row_keys = sorted({key for key, _col in table}, key=_none_last)
        col_keys = sorted({col for _key, col in table}, key=_none_last)
        row_labels, col_labels = _labels(rows, row_keys), _labels(cols, col_keys)
        return {
            "rows": [{"key": key, "label": row_labels.get(key) or "—"} for key in row_keys],
            "cols": [{"key": key, "label": col_labels.get(key) or "—"} for key in col_keys],
            "cells": [[table.get((r, c)) for c in col_keys] for r in row_keys],
        }


def summary(*, user, scope: Scope) -> dict:
    """{responses, rated, csat, average, nps, nps_answers, invited, response_rate}."""
    figures = Cube(user=user, scope=scope, dimensions=()).total()
    figures.update(response_rate(user=user, scope=scope))
    return figures


def response_rate(*, user, scope: Scope) -> dict:
    """Invitations sent in the period, how many of them were answered, and the share."""
    sent = Invitation.objects.filter(
        sent_at__gte=scope.period.start_at, sent_at__lt=scope.period.end_at
    )
    sent = scope_to_department(sent, user, field="ticket__department")
    if scope.filters.get("questionnaire"):
        sent = sent.filter(distribution__questionnaire_id=scope.filters["questionnaire"])
    if scope.filters.get("channel"):
        sent = sent.filter(ticket__channel=scope.filters["channel"])
    counts = sent.aggregate(
        invited=Count("id"), answered=Count("id", filter=Q(state=InviteState.ANSWERED))
    )
    invited = counts["invited"]
    return {
        "invited": invited,
        "answered_invitations": counts["answered"],
        "response_rate": round(counts["answered"] / invited, 4) if invited else None,
    }


def _labels(by: str, keys: list) -> dict:
    keys = [key for key in keys if key not in (None, "")]
    if by == "agent":
        return {user.pk: user.display_name for user in User.objects.filter(pk__in=keys)}
    if by == "department":
        return dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "queue":
        return dict(Queue.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "questionnaire":
        return dict(Questionnaire.objects.filter(pk__in=keys).values_list("pk", "title"))
    if by == "channel":
        return {key: str(Channel(key).label) for key in keys if key in Channel.values}
    if by == "ticket_type":
        return {key: str(TicketType(key).label) for key in keys if key in TicketType.values}
    return {key: key for key in keys}


def _column(by: str) -> str:
    return f"{by}_id" if by in ("agent", "department", "queue", "questionnaire") else by


def breakdown(*, user, scope: Scope, by: str) -> list[dict]:
    """The figures per agent, department, queue, channel, tier, ticket type or questionnaire."""
    return Cube(user=user, scope=scope, dimensions=(by,)).breakdown(by)


def trend(*, user, scope: Scope, period: str = "week") -> list[dict]:
    truncate = PERIODS[period]
    rows = (
        sheets(user=user, scope=scope)
        .annotate(bucket=truncate("answered_at"))
        .values("bucket")
        .annotate(**_figures())
        .order_by("bucket")
    )
    return [{"period": _day(row["bucket"]), **_finish(row)} for row in rows]


def _day(value) -> str:
    return value.date().isoformat() if hasattr(value, "date") else str(value)


def crosstab(*, user, scope: Scope, rows: str, cols: str) -> dict:
    """One dimension against another: answer sheets and CSAT in each cell."""
    return Cube(user=user, scope=scope, dimensions=(rows, cols)).crosstab(rows, cols)


# --- questionnaire answers: indicators, importance × performance, SERVQUAL -------------------
def _answers(*, user, scope: Scope) -> QuerySet:
    responses = sheets(user=user, scope=scope)
    return Answer.objects.filter(
        response__in=responses.values("pk"),
        question__kind__in=(QuestionKind.SCALE, QuestionKind.MATRIX),
        number__isnull=False,
    )


class AnswerGroups:
    """Scale and matrix answers counted and summed per (indicator, SERVQUAL dimension, side)
    in ONE query; the indicators and the SERVQUAL figures are both read from its rows."""

    def __init__(self, *, user, scope: Scope) -> None:
        self.rows = list(
            _answers(user=user, scope=scope)
            .filter(~Q(question__indicator="") | ~Q(question__dimension=""))
            .values(
                indicator=F("question__indicator"),
                dimension=F("question__dimension"),
                side=F("question__side"),
            )
            .annotate(
                answers=Count("id"),
                total=Sum("number"),
                top_two=Count("id", filter=Q(number__gte=4)),
            )
            .order_by()
        )

    def _sum(self, axis: str, key: str, sides) -> tuple[int, int, int]:
        """(answers, total of the numbers, answers of 4 and up) of one indicator or dimension."""
        answers = total = top_two = 0
        for row in self.rows:
            if row[axis] == key and row["side"] in sides:
                answers += row["answers"]
                total += row["total"] or 0
                top_two += row["top_two"]
        return answers, total, top_two

    def _mean(self, axis: str, key: str, sides):
        answers, total, _top = self._sum(axis, key, sides)
        return total / answers if answers else None

    def keys(self, axis: str) -> list[str]:
        return sorted({row[axis] for row in self.rows if row[axis]})

    def indicators(self) -> list[dict]:
        labels = dict(Indicator.choices)
        performance_sides = [side for side in Side.values if side != Side.IMPORTANCE]
        result = []
        for key in self.keys("indicator"):
            answers, total, top_two = self._sum("indicator", key, performance_sides)
            result.append(
                {
                    "key": key,
                    "label": str(labels.get(key, key)),
                    "performance": _round(total / answers if answers else None),
                    "importance": _round(self._mean("indicator", key, [Side.IMPORTANCE])),
                    "answers": answers,
                    "top_two": round(top_two / answers, 4) if answers else None,
                }
            )
        return _quadrants(result)

    def servqual(self) -> list[dict]:
        labels = dict(Dimension.choices)
        order = {value: index for index, value in enumerate(Dimension.values)}
        result = []
        for key in sorted(self.keys("dimension"), key=lambda key: order.get(key, 99)):
            expectation = self._mean("dimension", key, [Side.EXPECTATION])
            perception = self._mean("dimension", key, [Side.PERCEPTION])
            gap = perception - expectation if None not in (expectation, perception) else None
            result.append(
                {
                    "key": key,
                    "label": str(labels.get(key, key)),
                    "expectation": _round(expectation),
                    "perception": _round(perception),
                    "gap": _round(gap),
                    "importance": _round(self._mean("dimension", key, [Side.IMPORTANCE])),
                    "performance": _round(perception),
                    "answers": self._sum("dimension", key, [Side.PERCEPTION])[0],
                }
            )
        return _quadrants(result)


def indicators(*, user, scope: Scope) -> list[dict]:
    """Per indicator [000] (timeliness, process, attitude, skill): the mean performance
    (scale answers not marked importance), the share of the top two levels, the mean
    importance, and the quadrant of importance × performance."""
    return AnswerGroups(user=user, scope=scope).indicators()


def servqual(*, user, scope: Scope) -> list[dict]:
    """The five dimensions of [003]: mean expectation, mean perception, the gap (perception −
    expectation: below zero, service falls short of what customers expect [001]) and the
    mean importance; with the quadrant of importance × perception."""
    return AnswerGroups(user=user, scope=scope).servqual()


def _round(value):
    return round(value, 3) if value is not None else None


def _quadrants(rows: list[dict]) -> list[dict]:
    """Importance × performance: each row against the means of the rows (keep up the good
    work / concentrate here / low priority / possible overkill)."""
    scored = [
        row for row in rows if row["importance"] is not None and row["performance"] is not None
    ]
    if scored:
        mean_importance = sum(row["importance"] for row in scored) / len(scored)
        mean_performance = sum(row["performance"] for row in scored) / len(scored)
    for row in rows:
        row["quadrant"] = ""
        if row in scored:
            high_i = row["importance"] >= mean_importance
            high_p = row["performance"] >= mean_performance
            row["quadrant"] = {
                (True, True): "keep_up",
                (True, False): "concentrate",
                (False, False): "low_priority",
                (False, True): "overkill",
            }[(high_i, high_p)]
    return rows


def texts(*, user, scope: Scope, limit: int = 500) -> list[str]:
    """The latest free-text answers and rating comments (for the themes)."""
    responses = sheets(user=user, scope=scope)
    comments = (
        responses.exclude(comment="").order_by("-answered_at").values_list("comment", flat=True)
    )
    written = (
        Answer.objects.filter(
            response__in=responses.values("pk"),
            question__kind__in=(QuestionKind.TEXT, QuestionKind.FILL_IN),
        )
        .exclude(text="")
        .order_by("-pk")
        .values_list("text", flat=True)
    )
    return list(comments[:limit]) + list(written[:limit])


def parse_filters(params) -> dict:
    """The filters of a request's query (invalid ones are refused by the caller's schema)."""
    return {name: params.get(name) for name in FILTERS if params.get(name) not in (None, "")}


def default_period() -> Period:
    return Period.last_days(90)


def today() -> date:
    return default_period().end
