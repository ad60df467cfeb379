"""/api/v1/quality: scorecards, sampling, inspections, appeals, calibration, mystery shoppers."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huitou.core.errors import DomainError
from huitou.core.pagination import ApiPagination
from huitou.core.periods import checked_period
from huitou.core.schemas import Day, Name, Note, Text, choices_literal
from huitou.tickets.models import Channel
from huitou.tickets.selectors import access_ticket

from . import selectors, services
from .models import Check, Result, SamplingPlan, Scorecard
from .sampling import do_plan_run

router = Router(tags=["quality"])

ChannelName = choices_literal(Channel)
ItemKey = Text(32, min_length=1)


class ItemOut(Schema):
    key: str
    label: str
    description: str
    weight: int
    critical: bool
    check: str = Field(alias="auto_check")


class ScorecardOut(Schema):
    id: int
    name: str
    description: str
    channels: list[str]
    active: bool
    builtin: str
    items: list[ItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class ItemIn(Schema):
    key: Text(32, min_length=1) = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text(100, min_length=1)
    description: Text(300) = ""
    weight: int = Field(ge=1, le=100)
    critical: bool = False
    check: choices_literal(Check) = ""


class ScorecardIn(Schema):
    name: Name
    description: Note = ""
    channels: list[ChannelName] = []
    items: list[ItemIn] = Field(min_length=1, max_length=50)


class PlanOut(Schema):
    id: int
    name: str
    kind: str
    percent: int
    channels: list[str]
    scorecard: int | None = Field(alias="scorecard_id")
    inspectors: list[int]
    active: bool

    @staticmethod
    def resolve_inspectors(obj) -> list[int]:
        return [user.pk for user in obj.inspectors.all()]


class PlanIn(Schema):
    name: Name
    kind: choices_literal(SamplingPlan.Kind)
    percent: int = Field(5, ge=1, le=100)
    channels: list[ChannelName] = []
    scorecard: int | None = None
    inspectors: list[int] = Field(min_length=1, max_length=100)


class InspectionItemOut(Schema):
    key: str = Field(alias="item.key")
    label: str = Field(alias="item.label")
    weight: int = Field(alias="item.weight")
    critical: bool = Field(alias="item.critical")
    result: str
    points: float | None
    comment: str
    auto_result: str
    auto_reason: str


class AppealOut(Schema):
    id: int
    inspection: int = Field(alias="inspection_id")
    agent: int = Field(alias="agent_id")
    reason: str
    state: str
    old_score: float | None
    new_score: float | None
    decision_note: str
    decided_by: int | None = Field(alias="decided_by_id")
    created_at: datetime
    decided_at: datetime | None


class InspectionOut(Schema):
    id: int
    ticket: int = Field(alias="ticket_id")
    ticket_number: str = Field(alias="ticket.number")
    channel: str = Field(alias="ticket.channel")
    scorecard: int = Field(alias="scorecard_id")
    inspector: int = Field(alias="inspector_id")
    agent: int | None = Field(alias="agent_id")
    source: str
    state: str
    score: float | None
    critical_failed: bool
    comment: str
    week: date | None
    submitted_at: datetime | None
    items: list[InspectionItemOut]
    appeal: AppealOut | None = None

    @staticmethod
    def resolve_items(obj):
        return selectors.inspection_items(obj)

    @staticmethod
    def resolve_appeal(obj):
        return getattr(obj, "appeal", None)  # a missing one-to-one is an AttributeError


class InspectionListOut(Schema):
    id: int
    ticket: int = Field(alias="ticket_id")
    ticket_number: str = Field(alias="ticket.number")
    scorecard: int = Field(alias="scorecard_id")
    inspector: int = Field(alias="inspector_id")
    agent: int | None = Field(alias="agent_id")
    source: str
    state: str
    score: float | None
    critical_failed: bool
    submitted_at: datetime | None


class InspectionIn(Schema):
    ticket: int
    scorecard: int | None = None


class ScoreItemIn(Schema):
    result: choices_literal(Result)
    points: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=1)
    comment: Note = ""


class ScoreIn(Schema):
    items: dict[ItemKey, ScoreItemIn] = {}
    comment: Note | None = None


class AppealIn(Schema):
    reason: Note


class DecideIn(Schema):
    decision: Literal["upheld", "overturned"]
    new_score: Decimal | None = Field(None, ge=0, le=100, max_digits=4, decimal_places=1)
    note: Note = ""


class CalibrationIn(Schema):
    name: Name
    ticket: int
    scorecard: int | None = None
    inspectors: list[int] = Field(min_length=2, max_length=20)


class CalibrationOut(Schema):
    id: int
    name: str
    ticket: int = Field(alias="ticket_id")
    scorecard: int = Field(alias="scorecard_id")
    created_at: datetime
    spread: dict

    @staticmethod
    def resolve_spread(obj) -> dict:
        return selectors.calibration_spread(obj)


class CalibrationListOut(Schema):
    id: int
    name: str
    ticket: int = Field(alias="ticket_id")
    scorecard: int = Field(alias="scorecard_id")
    created_at: datetime


class MysteryIn(Schema):
    title: Text(200, min_length=1)
    script: Note
    channel: ChannelName
    due_date: Day
    inspector: int
    scorecard: int | None = None


class MysteryOut(Schema):
    id: int
    title: str
    script: str
    channel: str
    due_date: date
    inspector: int = Field(alias="inspector_id")
    scorecard: int | None = Field(alias="scorecard_id")
    ticket: int | None = Field(alias="ticket_id")
    state: str


class LinkIn(Schema):
    ticket: int


class FiguresQuery(Schema):
    start: Day | None = None
    end: Day | None = None


def _scorecard(request, scorecard_id: int | None) -> Scorecard | None:
    if scorecard_id is None:
        return None
    try:
        return selectors.access_scorecard(user=request.user, scorecard_id=scorecard_id)
    except Http404:
        raise DomainError(_("评分表不存在。"), field="scorecard") from None


def _ticket(request, ticket_id: int):
    try:
        return access_ticket(user=request.user, ticket_id=ticket_id)
    except Http404:
        raise DomainError(_("工单不存在。"), field="ticket") from None


def _fresh(request, inspection_id: int):
    return selectors.access_inspection(user=request.user, inspection_id=inspection_id)


@router.get("/scorecards", response=list[ScorecardOut])
def scorecards_list(request):
    return list(selectors.scorecards(user=request.user))


@router.post("/scorecards", response={201: ScorecardOut})
def scorecards_create(request, payload: ScorecardIn):
    card = services.do_scorecard_create(
        actor=request.user,
        name=payload.name,
        description=payload.description,
        channels=payload.channels,
        items=[item.dict() for item in payload.items],
    )
    return Status(201, card)


@router.get("/scorecards/{scorecard_id}", response=ScorecardOut)
def scorecards_get(request, scorecard_id: int):
    return selectors.access_scorecard(user=request.user, scorecard_id=scorecard_id)


@router.get("/plans", response=list[PlanOut])
def plans_list(request):
    return list(selectors.sampling_plans(user=request.user))


@router.post("/plans", response={201: PlanOut})
def plans_create(request, payload: PlanIn):
    plan = services.do_plan_create(
        actor=request.user,
        name=payload.name,
        kind=payload.kind,
        percent=payload.percent,
        channels=payload.channels,
        scorecard=_scorecard(request, payload.scorecard),
        inspectors=services.users_by_ids(payload.inspectors, field="inspectors"),
    )
    return Status(201, plan)


@router.post("/plans/{plan_id}/run", response=dict)
def plans_run(request, plan_id: int):
    """Draw this plan's samples now (idempotent: a second run draws nothing new)."""
    services.check_permission(request.user, services.MANAGE)
    plan = selectors.sampling_plans(user=request.user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404(_("抽样计划不存在。"))
    return {"drawn": len(do_plan_run(plan=plan))}


@router.get("/inspections", response=list[InspectionListOut])
@paginate(ApiPagination)
def inspections_list(request, queue: bool = False):
    """An inspector's view: all inspections, or with ?queue=true their own work queue; an
    agent's: their own submitted results."""
    if queue:
        return selectors.inspection_queue(user=request.user)
    return selectors.visible_inspections(user=request.user).order_by("-created_at", "-id")


@router.post("/inspections", response={201: InspectionOut})
def inspections_create(request, payload: InspectionIn):
    services.check_permission(request.user, services.INSPECT)
    inspection = services.do_inspection_manual(
        actor=request.user,
        ticket=_ticket(request, payload.ticket),
        scorecard=_scorecard(request, payload.scorecard),
    )
    return Status(201, _fresh(request, inspection.pk))


@router.get("/inspections/{inspection_id}", response=InspectionOut)
def inspections_get(request, inspection_id: int):
    return _fresh(request, inspection_id)


@router.put("/inspections/{inspection_id}/score", response=InspectionOut)
def inspections_score(request, inspection_id: int, payload: ScoreIn):
    """Save results per item key ({result, points, comment}); items left out keep theirs."""
    inspection = _fresh(request, inspection_id)
    services.do_inspection_score(
        actor=request.user,
        inspection=inspection,
        items={key: entry.dict() for key, entry in payload.items.items()},
        comment=payload.comment,
    )
    return _fresh(request, inspection_id)


@router.post("/inspections/{inspection_id}/submit", response=InspectionOut)
def inspections_submit(request, inspection_id: int):
    services.do_inspection_submit(actor=request.user, inspection=_fresh(request, inspection_id))
    return _fresh(request, inspection_id)


@router.post("/inspections/{inspection_id}/appeal", response={201: AppealOut})
def inspections_appeal(request, inspection_id: int, payload: AppealIn):
    """The agent's one appeal against their result."""
    appeal = services.do_appeal_file(
        actor=request.user, inspection=_fresh(request, inspection_id), reason=payload.reason
    )
    return Status(201, appeal)


@router.get("/appeals", response=list[AppealOut])
def appeals_list(request):
    return list(selectors.open_appeals(user=request.user))


@router.post("/appeals/{appeal_id}/decide", response=AppealOut)
def appeals_decide(request, appeal_id: int, payload: DecideIn):
    return services.do_appeal_decide(
        actor=request.user,
        appeal=selectors.access_appeal(user=request.user, appeal_id=appeal_id),
        decision=payload.decision,
        new_score=payload.new_score,
        note=payload.note,
    )


@router.get("/calibrations", response=list[CalibrationListOut])
def calibrations_list(request):
    return list(selectors.calibrations(user=request.user)[:200])


@router.post("/calibrations", response={201: CalibrationOut})
def calibrations_create(request, payload: CalibrationIn):
    services.check_permission(request.user, services.INSPECT)
    ticket = _ticket(request, payload.ticket)
    scorecard = _scorecard(request, payload.scorecard) or services.scorecard_for(ticket)
    if scorecard is None:
        raise DomainError(_("没有适用于该渠道的评分表。"), field="scorecard")
    session = services.do_calibration_create(
        actor=request.user,
        name=payload.name,
        ticket=ticket,
        scorecard=scorecard,
        inspectors=services.users_by_ids(payload.inspectors, field="inspectors"),
    )
    return Status(201, session)


@router.get("/calibrations/{session_id}", response=CalibrationOut)
def calibrations_get(request, session_id: int):
    """Each inspector's score and the spread (max − min, standard deviation) per item."""
    return selectors.access_calibration(user=request.user, session_id=session_id)


@router.get("/mystery-tasks", response=list[MysteryOut])
def mystery_list(request):
    return list(selectors.mystery_tasks(user=request.user)[:500])


@router.post("/mystery-tasks", response={201: MysteryOut})
def mystery_create(request, payload: MysteryIn):
    services.check_permission(request.user, services.MANAGE)
    task = services.do_mystery_create(
        actor=request.user,
        title=payload.title,
        script=payload.script,
        channel=payload.channel,
        due_date=payload.due_date,
        inspector=services.users_by_ids([payload.inspector], field="inspector")[0],
        scorecard=_scorecard(request, payload.scorecard),
    )
    return Status(201, task)


@router.post("/mystery-tasks/{task_id}/link", response=InspectionOut)
def mystery_link(request, task_id: int, payload: LinkIn):
    """Link the ticket the test contact made; its inspection goes to the inspector."""
    task = selectors.access_mystery(user=request.user, task_id=task_id)
    inspection = services.do_mystery_link(
        actor=request.user, task=task, ticket=_ticket(request, payload.ticket)
    )
    return _fresh(request, inspection.pk)


@router.get("/figures", response=dict)
def figures(request, query: Query[FiguresQuery]):
    """Average QA score and critical-fail rate per agent, department and week."""
    period = checked_period(query.start, query.end)
    return selectors.quality_figures(user=request.user, start=period.start_at, end=period.end_at)
