"""/api/v1/satisfaction: the figures (surveys.figures). Dates are ISO local dates, both
inclusive; a bad one is a 422 naming the field."""

from datetime import date
from typing import Literal

from ninja import Field, Query, Router, Schema

from huitou.core.periods import checked_period
from huitou.core.permissions import check_permission

from .. import figures
from ..figures import Scope

router = Router(tags=["satisfaction"])

Dimension = Literal[
    "agent", "department", "queue", "channel", "tier", "ticket_type", "questionnaire"
]


class PeriodQuery(Schema):
    start: date | None = None
    end: date | None = None
    channel: str | None = Field(None, max_length=16)
    tier: str | None = Field(None, max_length=1)
    ticket_type: str | None = Field(None, max_length=16)
    questionnaire: int | None = Field(None, ge=1, le=2**63 - 1)
    agent: int | None = Field(None, ge=1, le=2**63 - 1)
    department: int | None = Field(None, ge=1, le=2**63 - 1)
    queue: int | None = Field(None, ge=1, le=2**63 - 1)


def scope_of(request, query: PeriodQuery, *, own: bool = False) -> Scope:
    if not own:
        check_permission(request.user, "surveys.view_survey_analysis")
    filters = {name: getattr(query, name) for name in figures.FILTERS}
    if own:
        filters["agent"] = request.user.pk
    return Scope(period=checked_period(query.start, query.end), filters=filters)


class SummaryOut(Schema):
    responses: int = Field(description="answer sheets in the period")
    rated: int = Field(description="of them, with a 1–5 rating")
    csat: float | None = Field(description="share of ratings 4–5 (很好, 好) among rated, 0–1")
    average: float | None = Field(description="mean rating, 5 = 很好 … 1 = 差")
    nps: float | None = Field(description="% of 9–10 minus % of 0–6; null without NPS answers")
    nps_answers: int
    invited: int = Field(description="invitations sent in the period")
    answered_invitations: int
    response_rate: float | None


class FiguresRow(Schema):
    key: str | int | None
    label: str
    responses: int
    rated: int
    csat: float | None
    average: float | None
    nps: float | None
    nps_answers: int


class TrendRow(Schema):
    period: str
    responses: int
    rated: int
    csat: float | None
    average: float | None
    nps: float | None
    nps_answers: int


class QualityRow(Schema):
    key: str
    label: str
    performance: float | None
    importance: float | None
    answers: int
    quadrant: str = Field(description="keep_up, concentrate, low_priority, overkill or empty")
    top_two: float | None = None
    expectation: float | None = None
    perception: float | None = None
    gap: float | None = Field(None, description="SERVQUAL: perception − expectation")


@router.get("/summary", response=SummaryOut)
def satisfaction_summary(request, query: Query[PeriodQuery]):
    """Answer sheets, CSAT, average rating, NPS and response rate of a period."""
    return figures.summary(user=request.user, scope=scope_of(request, query))


@router.get("/breakdown", response=list[FiguresRow])
def satisfaction_breakdown(request, query: Query[PeriodQuery], by: Dimension = "channel"):
    """The figures per agent, department, queue, channel, tier, ticket type or questionnaire."""
    return figures.breakdown(user=request.user, scope=scope_of(request, query), by=by)


@router.get("/trend", response=list[TrendRow])
def satisfaction_trend(
    request, query: Query[PeriodQuery], period: Literal["day", "week", "month"] = "week"
):
    return figures.trend(user=request.user, scope=scope_of(request, query), period=period)


@router.get("/indicators", response=list[QualityRow])
def satisfaction_indicators(request, query: Query[PeriodQuery]):
    """Timeliness, process, attitude, skill: performance, importance and their quadrant."""
    return figures.indicators(user=request.user, scope=scope_of(request, query))


@router.get("/servqual", response=list[QualityRow])
def satisfaction_servqual(request, query: Query[PeriodQuery]):
    """The five SERVQUAL dimensions: expectation, perception, gap, importance."""
    return figures.servqual(user=request.user, scope=scope_of(request, query))


class CrosstabOut(Schema):
    rows: list[dict]
    cols: list[dict]
    cells: list[list[dict | None]]


@router.get("/crosstab", response=CrosstabOut)
def satisfaction_crosstab(
    request, query: Query[PeriodQuery], rows: Dimension = "channel", cols: Dimension = "tier"
):
    return figures.crosstab(user=request.user, scope=scope_of(request, query), rows=rows, cols=cols)


@router.get("/mine", response=SummaryOut)
def satisfaction_mine(request, query: Query[PeriodQuery]):
    """Your own ratings' figures (every staff member)."""
    check_permission(request.user, "tickets.view_ticket")
    return figures.summary(user=request.user, scope=scope_of(request, query, own=True))
