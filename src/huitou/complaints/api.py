"""/api/v1/complaints: drive the dispatch flow from another system."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from huitou.accounts.models import Department
from huitou.core.errors import DomainError
from huitou.core.pagination import ApiPagination
from huitou.core.periods import Period, checked_period
from huitou.core.permissions import check_permission
from huitou.core.schemas import Body, Day, Moment, Note, SearchText, Text, choices_literal

from . import services
from .analysis import complaint_analysis
from .crisis import do_crisis_alert_acknowledge
from .models import (
    DISPATCH_RUBRIC,
    Behaviour,
    Cause,
    Purpose,
    RecoveryAction,
    ReplyMode,
    Severity,
    State,
    Validity,
)
from .qa import (
    do_dispatch_score,
    forbidden_phrase_counts,
    score_rollup_by_agent,
    score_rollup_by_department,
)
from .selectors import (
    access_complaint,
    access_crisis_alert,
    callback_tasks,
    complaint_list,
    crisis_alerts,
)
from .workflow import allowed_actions

router = Router(tags=["complaints"])

StateName = choices_literal(State)
SeverityName = choices_literal(Severity)
# "" clears a classification the agent set by mistake.
BehaviourName = choices_literal(Behaviour, "")
PurposeName = choices_literal(Purpose, "")
CauseName = choices_literal(Cause, "")
ValidityName = choices_literal(Validity, "")
ReplyModeName = choices_literal(ReplyMode, "")
RecoveryKind = choices_literal(RecoveryAction.Kind)
Amount = Field(None, ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)


class StepOut(Schema):
    step: str
    step_label: str = Field(alias="get_step_display")
    actor: int | None = Field(alias="actor_id")
    actor_name: str | None = None
    at: datetime
    state: str
    department: int | None = Field(alias="department_id")
    department_name: str | None = None
    note: str
    due_at: datetime | None

    @staticmethod
    def resolve_actor_name(obj) -> str | None:
        return obj.actor.display_name if obj.actor_id else None

    @staticmethod
    def resolve_department_name(obj) -> str | None:
        return obj.department.name if obj.department_id else None


class RecoveryOut(Schema):
    id: int
    kind: str
    description: str
    amount: float
    actor: int = Field(alias="actor_id")
    created_at: datetime


class CallbackOut(Schema):
    id: int
    due_at: datetime
    status: str
    attempts: int
    outcome: str
    satisfaction: int | None
    note: str
    done_by: int | None = Field(alias="done_by_id")
    done_at: datetime | None


class ComplaintListOut(Schema):
    ticket_id: int
    ticket_number: str = Field(alias="ticket.number")
    subject: str = Field(alias="ticket.subject")
    customer_name: str = Field(alias="ticket.customer.name")
    customer_tier: str = Field(alias="ticket.customer.tier")
    state: str
    severity: str
    behaviour: str
    purpose: str
    cause: str
    product: str
    major: bool = Field(alias="is_major")
    department: int | None = Field(alias="department_id")
    dispatch_due_at: datetime | None
    dispatch_overdue: bool
    reopen_count: int
    first_contact_resolution: bool
    received_at: datetime
    closed_at: datetime | None


class ComplaintOut(ComplaintListOut):
    who: str
    what: str
    when: str
    where: str
    why: str
    how: str
    validity: str
    validity_reason: str
    demand: str
    compensation_demand: float | None
    solution_offered: str
    solution_accepted: bool | None
    reply_mode: str
    promised_date: date | None
    recovery_satisfaction: int | None
    major_reasons: list[str]
    major_at: datetime | None
    handler: int | None = Field(alias="handler_id")
    dispatched_by: int | None = Field(alias="dispatched_by_id")
    result: str
    first_dispatched_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    result_at: datetime | None
    replied_at: datetime | None
    dispatch_target_due: datetime | None = Field(
        None, description="by when the SLA policy wants it dispatched (time to dispatch)"
    )
    allowed_actions: list[str]
    timeline: list[StepOut]
    recoveries: list[RecoveryOut]
    callbacks: list[CallbackOut]

    @staticmethod
    def resolve_dispatch_target_due(obj) -> datetime | None:
        return services.dispatch_target_due(obj)

    @staticmethod
    def resolve_allowed_actions(obj) -> list[str]:
        return allowed_actions(obj.state)

    @staticmethod
    def resolve_timeline(obj):
        return list(obj.steps.all())

    @staticmethod
    def resolve_recoveries(obj):
        return list(obj.recoveries.all())

    @staticmethod
    def resolve_callbacks(obj):
        return list(obj.callbacks.all())


class ComplaintFilters(Schema):
    state: StateName | Literal["", "active"] = ""
    major: bool | None = None
    overdue: bool | None = None
    q: SearchText = ""


class ComplaintPatch(Schema):
    severity: SeverityName | None = None
    behaviour: BehaviourName | None = None
    purpose: PurposeName | None = None
    cause: CauseName | None = None
    product: Text(100) | None = None
    compensation_demand: Decimal | None = Amount
    who: Text(200) | None = None
    what: Text(500) | None = None
    when: Text(200) | None = None
    where: Text(200) | None = None
    why: Text(500) | None = None
    how: Text(500) | None = None
    validity: ValidityName | None = None
    validity_reason: Text(500) | None = None
    demand: Note | None = None
    solution_offered: Note | None = None
    solution_accepted: bool | None = None
    reply_mode: ReplyModeName | None = None
    promised_date: Day | None = None


class BodyIn(Schema):
    body: Body
    confirm_forbidden: bool = False


class DispatchIn(Schema):
    department: int
    note: Text(2000) = ""
    due_at: Moment | None = None


class ResultIn(Schema):
    result: Note


class CallbackIn(Schema):
    satisfaction: int | None = Field(None, ge=1, le=5)
    note: Text(2000) = ""
    reached: bool = True
    reopen: bool | None = None


class ReopenIn(Schema):
    reason: Note


class RecoveryIn(Schema):
    kind: RecoveryKind
    amount: Decimal = Field(Decimal("0"), ge=0, le=Decimal("9999999999.99"), decimal_places=2)
    description: Text(500) = ""


class ScoreIn(Schema):
    right_department: int = Field(ge=0, le=DISPATCH_RUBRIC["right_department"])
    clear_description: int = Field(ge=0, le=DISPATCH_RUBRIC["clear_description"])
    due_time_met: int = Field(ge=0, le=DISPATCH_RUBRIC["due_time_met"])
    reply_quality: int = Field(ge=0, le=DISPATCH_RUBRIC["reply_quality"])
    comment: Text(2000) = ""


class ScoreOut(Schema):
    complaint: int = Field(alias="complaint_id")
    inspector: int = Field(alias="inspector_id")
    agent: int | None = Field(alias="agent_id")
    department: int | None = Field(alias="department_id")
    right_department: int
    clear_description: int
    due_time_met: int
    reply_quality: int
    total: int
    comment: str
    scored_at: datetime


class PeriodQuery(Schema):
    start: Day | None = None
    end: Day | None = None

    def period(self) -> Period:
        return checked_period(self.start, self.end)


class CallbackTaskOut(Schema):
    id: int
    ticket_id: int = Field(alias="complaint_id")
    ticket_number: str = Field(alias="complaint.ticket.number")
    customer_name: str = Field(alias="complaint.ticket.customer.name")
    due_at: datetime
    attempts: int


class AlertOut(Schema):
    id: int
    kind: str
    cause: str
    product: str
    complaint_count: int
    tickets: list[int]
    window_start: datetime
    created_at: datetime
    acknowledged_by: int | None = Field(alias="acknowledged_by_id")
    acknowledged_at: datetime | None
    acknowledge_note: str

    @staticmethod
    def resolve_tickets(obj) -> list[int]:
        return sorted(complaint.pk for complaint in obj.complaints.all())


class AcknowledgeIn(Schema):
    note: Text(500) = ""


def _reload(request, ticket_id: int):
    return access_complaint(user=request.user, ticket_id=ticket_id)


@router.get("", response=list[ComplaintListOut])
@paginate(ApiPagination)
def complaints_list(request, filters: Query[ComplaintFilters]):
    return complaint_list(user=request.user, **filters.dict())


@router.get("/analysis", response=dict)
def complaints_analysis(request, query: Query[PeriodQuery]):
    """Counts, weekly trend, first-contact resolution, durations in hours, reopens, recovery."""
    return complaint_analysis(user=request.user, period=query.period())


@router.get("/qa", response=dict)
def complaints_qa(request, query: Query[PeriodQuery]):
    """Dispatch-quality scores per agent and department, forbidden phrases per agent."""
    check_permission(request.user, "complaints.view_complaint_analysis")
    period = query.period()
    window = {"start": period.start_at, "end": period.end_at}
    return {
        "rubric": DISPATCH_RUBRIC,
        "by_agent": score_rollup_by_agent(user=request.user, **window),
        "by_department": score_rollup_by_department(user=request.user, **window),
        "forbidden_phrases": forbidden_phrase_counts(user=request.user, **window),
    }


@router.get("/callbacks", response=list[CallbackTaskOut])
@paginate(ApiPagination)
def complaints_callbacks(request, due_only: bool = False):
    return callback_tasks(user=request.user, due_only=due_only)


@router.get("/alerts", response=list[AlertOut])
@paginate(ApiPagination)
def complaints_alerts(request, open_only: bool = False):
    return crisis_alerts(user=request.user, open_only=open_only)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut)
def complaints_alert_acknowledge(request, alert_id: int, payload: AcknowledgeIn):
    alert = access_crisis_alert(user=request.user, alert_id=alert_id)
    do_crisis_alert_acknowledge(actor=request.user, alert=alert, note=payload.note)
    return access_crisis_alert(user=request.user, alert_id=alert_id)


@router.get("/{ticket_id}", response=ComplaintOut)
def complaints_get(request, ticket_id: int):
    return _reload(request, ticket_id)


@router.patch("/{ticket_id}", response=ComplaintOut)
def complaints_classify(request, ticket_id: int, payload: ComplaintPatch):
    complaint = _reload(request, ticket_id)
    changes = payload.dict(exclude_unset=True)
    for field in ("severity", "product", "who", "what", "when", "where", "why", "how"):
        if field in changes and changes[field] is None:
            raise DomainError(_("该字段不能为空。"), field=field)
    for field in ("behaviour", "purpose", "cause", "validity", "reply_mode", "validity_reason"):
        if field in changes and changes[field] is None:
            changes[field] = ""
    for field in ("demand", "solution_offered"):
        if field in changes and changes[field] is None:
            changes[field] = ""
    services.do_complaint_classify(actor=request.user, complaint=complaint, changes=changes)
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/answer", response=ComplaintOut)
def complaints_answer(request, ticket_id: int, payload: BodyIn):
    """Answer at once: reply and close, counted as first-contact resolution."""
    services.do_complaint_answer(
        actor=request.user,
        complaint=_reload(request, ticket_id),
        body=payload.body,
        confirm_forbidden=payload.confirm_forbidden,
    )
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/dispatch", response=ComplaintOut)
def complaints_dispatch(request, ticket_id: int, payload: DispatchIn):
    complaint = _reload(request, ticket_id)
    department = Department.objects.filter(pk=payload.department).first()
    if department is None:
        raise DomainError(_("部门不存在。"), field="department")
    services.do_complaint_dispatch(
        actor=request.user,
        complaint=complaint,
        department=department,
        note=payload.note,
        due_at=payload.due_at,
    )
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/accept", response=ComplaintOut)
def complaints_accept(request, ticket_id: int):
    services.do_complaint_accept(actor=request.user, complaint=_reload(request, ticket_id))
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/result", response=ComplaintOut)
def complaints_result(request, ticket_id: int, payload: ResultIn):
    services.do_complaint_result(
        actor=request.user, complaint=_reload(request, ticket_id), result=payload.result
    )
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/reply", response=ComplaintOut)
def complaints_reply(request, ticket_id: int, payload: BodyIn):
    services.do_complaint_reply(
        actor=request.user,
        complaint=_reload(request, ticket_id),
        body=payload.body,
        confirm_forbidden=payload.confirm_forbidden,
    )
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/callback", response=ComplaintOut)
def complaints_callback(request, ticket_id: int, payload: CallbackIn):
    services.do_complaint_callback(
        actor=request.user,
        complaint=_reload(request, ticket_id),
        satisfaction=payload.satisfaction,
        note=payload.note,
        reached=payload.reached,
        reopen=payload.reopen,
    )
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/reopen", response=ComplaintOut)
def complaints_reopen(request, ticket_id: int, payload: ReopenIn):
    services.do_complaint_reopen(
        actor=request.user, complaint=_reload(request, ticket_id), reason=payload.reason
    )
    return _reload(request, ticket_id)


@router.post("/{ticket_id}/recoveries", response={201: RecoveryOut})
def complaints_recovery_add(request, ticket_id: int, payload: RecoveryIn):
    recovery = services.do_recovery_add(
        actor=request.user,
        complaint=_reload(request, ticket_id),
        kind=payload.kind,
        amount=payload.amount,
        description=payload.description,
    )
    return Status(201, recovery)


@router.put("/{ticket_id}/score", response=ScoreOut)
def complaints_score(request, ticket_id: int, payload: ScoreIn):
    """QA's dispatch-quality score on the 100-point rubric; PUT again to re-score."""
    data = payload.dict()
    comment = data.pop("comment")
    return do_dispatch_score(
        actor=request.user, complaint=_reload(request, ticket_id), scores=data, comment=comment
    )
