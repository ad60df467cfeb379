"""Satisfaction figures (满意度分析): CSAT, the average rating, NPS, response rate, per
dimension and period, indicators (importance × performance) and SERVQUAL gaps.

Every figure is one SQL aggregate over Response or Answer (Count/Avg with conditions,
GROUP BY), never a loop over rows: the page stays fast over millions of answers
(bench/survey_analysis.py). The analysis dimensions were copied onto each Response when it
was made (agent, department, queue, channel, tier, ticket type), so a breakdown is a GROUP
BY on one table.

Definitions: CSAT = share of ratings 4–5 (很好, 好) among rated answer sheets, 0–1; the
average is of ratings 5 (很好) … 1 (差); NPS = % of scores 9–10 minus % of 0–6, in points
(−100 … 100), over the sheets with an NPS answer; response rate = answered / sent."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, TruncDay, TruncMonth, TruncWeek

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
    return {
        "responses": Count("id"),
        "rated": Count("id", filter=Q(rating__isnull=False)),
        "top_two": Count("id", filter=Q(rating__gte=4)),
        "average": Avg(Cast("rating", FloatField())),
        "scored": Count("id", filter=Q(nps__isnull=False)),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
    }


def _finish(row: dict) -> dict:
    rated, scored = row["rated"], row["scored"]
    return {
        "responses": row["responses"],
        "rated": rated,
        "csat": round(row["top_two"] / rated, 4) if rated else None,
        "average": round(row["average"], 3) if row["average"] is not None else None,
        "nps": round((row["promoters"] - row["detractors"]) * 100 / scored, 1) if scored else None,
        "nps_answers": scored,
    }


def summary(*, user, scope: Scope) -> dict:
    """{responses, rated, csat, average, nps, nps_answers, invited, response_rate}."""
    figures = _finish(sheets(user=user, scope=scope).aggregate(**_figures()))
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
    column = _column(by)
    rows = list(
        sheets(user=user, scope=scope).values(column).annotate(**_figures()).order_by(column)
    )
    labels = _labels(by, [row[column] for row in rows])
    result = [
        {"key": row[column], "label": labels.get(row[column]) or "—", **_finish(row)}
        for row in rows
    ]
    return sorted(result, key=lambda row: (-row["responses"], str(row["label"])))


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
    row_column, col_column = _column(rows), _column(cols)
    cells = list(
        sheets(user=user, scope=scope)
        .values(row_column, col_column)
        .annotate(**_figures())
        .order_by(row_column, col_column)
    )
    row_keys = list(dict.fromkeys(cell[row_column] for cell in cells))
    col_keys = list(dict.fromkeys(cell[col_column] for cell in cells))
    row_labels, col_labels = _labels(rows, row_keys), _labels(cols, col_keys)
    table = {(cell[row_column], cell[col_column]): _finish(cell) for cell in cells}
    return {
        "rows": [{"key": key, "label": row_labels.get(key) or "—"} for key in row_keys],
        "cols": [{"key": key, "label": col_labels.get(key) or "—"} for key in col_keys],
        "cells": [[table.get((r, c)) for c in col_keys] for r in row_keys],
    }


# --- questionnaire answers: indicators, importance × performance, SERVQUAL -------------------
def _answers(*, user, scope: Scope) -> QuerySet:
    responses = sheets(user=user, scope=scope)
    return Answer.objects.filter(
        response__in=responses.values("pk"),
        question__kind__in=(QuestionKind.SCALE, QuestionKind.MATRIX),
        number__isnull=False,
    )


def indicators(*, user, scope: Scope) -> list[dict]:
    """Per indicator [000] (timeliness, process, attitude, skill): the mean performance
    (scale answers not marked importance), the share of the top two levels, the mean
    importance, and the quadrant of importance × performance."""
    rows = (
        _answers(user=user, scope=scope)
        .exclude(question__indicator="")
        .values(indicator=F("question__indicator"))
        .annotate(
            performance=Avg(
                Cast("number", FloatField()), filter=~Q(question__side=Side.IMPORTANCE)
            ),
            answers=Count("id", filter=~Q(question__side=Side.IMPORTANCE)),
            top_two=Count("id", filter=~Q(question__side=Side.IMPORTANCE) & Q(number__gte=4)),
            importance=Avg(Cast("number", FloatField()), filter=Q(question__side=Side.IMPORTANCE)),
        )
        .order_by("indicator")
    )
    labels = dict(Indicator.choices)
    return _quadrants(
        [
            {
                "key": row["indicator"],
                "label": str(labels.get(row["indicator"], row["indicator"])),
                "performance": _round(row["performance"]),
                "importance": _round(row["importance"]),
                "answers": row["answers"],
                "top_two": round(row["top_two"] / row["answers"], 4) if row["answers"] else None,
            }
            for row in rows
        ]
    )


def servqual(*, user, scope: Scope) -> list[dict]:
    """The five dimensions of [003]: mean expectation, mean perception, the gap (perception −
    expectation: below zero, service falls short of what customers expect [001]) and the
    mean importance; with the quadrant of importance × perception."""
    rows = (
        _answers(user=user, scope=scope)
        .exclude(question__dimension="")
        .values(dimension=F("question__dimension"))
        .annotate(
            expectation=Avg(
                Cast("number", FloatField()), filter=Q(question__side=Side.EXPECTATION)
            ),
            perception=Avg(Cast("number", FloatField()), filter=Q(question__side=Side.PERCEPTION)),
            importance=Avg(Cast("number", FloatField()), filter=Q(question__side=Side.IMPORTANCE)),
            pairs=Count("id", filter=Q(question__side=Side.PERCEPTION)),
        )
        .order_by("dimension")
    )
    labels = dict(Dimension.choices)
    order = {value: index for index, value in enumerate(Dimension.values)}
    result = []
    for row in sorted(rows, key=lambda row: order.get(row["dimension"], 99)):
        expectation, perception = row["expectation"], row["perception"]
        gap = perception - expectation if None not in (expectation, perception) else None
        result.append(
            {
                "key": row["dimension"],
                "label": str(labels.get(row["dimension"], row["dimension"])),
                "expectation": _round(expectation),
                "perception": _round(perception),
                "gap": _round(gap),
                "importance": _round(row["importance"]),
                "performance": _round(perception),
                "answers": row["pairs"],
            }
        )
    return _quadrants(result)


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
