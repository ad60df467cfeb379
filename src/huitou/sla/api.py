"""/api/v1/sla: calendars, policies, the preview, compliance reports, agent availability."""

from datetime import date, datetime

from django.http import Http404
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from huitou.accounts.models import User
from huitou.core.errors import DomainError, check_text
from huitou.core.periods import checked_period
from huitou.core.permissions import check_permission
from huitou.core.schemas import Day, Moment, ShortName, Text, choices_literal
from huitou.customers.models import Tier
from huitou.tickets.api import MAX_ID, ChannelName, PriorityName, TypeName

from .business_time import CalendarError
from .clock import compute_dues, policy_for
from .models import AgentStatus, BusinessCalendar, Queue, SlaPolicy
from .reports import GROUPS, sla_breaches, sla_compliance
from .routing import do_agent_status_set
from .services import do_calendar_create, do_policy_create

router = Router(tags=["sla"])
Clock = list[list[Text(8)]]  # [["09:00", "12:00"], ...]


class CalendarIn(Schema):
    name: ShortName
    timezone: ShortName = "Asia/Shanghai"
    hours: dict[Text(3), Clock] = Field(
        ..., description='{"mon": [["09:00","12:00"],["13:30","18:00"]], ...}'
    )
    holidays: list[Day] = Field([], max_length=1000)
    workdays: list[Day] = Field([], max_length=1000, description="make-up working days (调休)")
    workday_hours: Clock | None = None


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    hours: dict
    workday_hours: list | None
    holidays: list[date]
    workdays: list[date]

    @staticmethod
    def resolve_holidays(obj) -> list[date]:
        return [day.date for day in obj.days.all() if day.kind == "holiday"]

    @staticmethod
    def resolve_workdays(obj) -> list[date]:
        return [day.date for day in obj.days.all() if day.kind == "workday"]


class PolicyIn(Schema):
    name: ShortName
    order: int = Field(100, ge=0, le=1_000_000)
    conditions: dict[ShortName, ShortName | None] = Field(
        {}, description="tier, type, priority, channel; absent or empty matches any"
    )
    calendar: int | ShortName = Field(..., description="the calendar's id or name")
    first_response_minutes: int
    next_response_minutes: int | None = None
    resolution_minutes: int
    dispatch_minutes: int | None = None
    department_result_minutes: int | None = None
    at_risk_percent: int = Field(75, ge=1, le=99)


class PolicyOut(Schema):
    id: int
    name: str
    order: int
    active: bool
    conditions: dict
    calendar: int = Field(alias="calendar_id")
    calendar_name: str = Field(alias="calendar.name")
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int
    dispatch_minutes: int | None
    department_result_minutes: int | None
    at_risk_percent: int


class PreviewQuery(Schema):
    tier: choices_literal("", Tier) = ""
    type: TypeName | None = None
    priority: PriorityName | None = None
    channel: ChannelName | None = None
    start: Moment | None = None


class PreviewOut(Schema):
    policy: str | None
    policy_id: int | None
    calendar: str | None
    start: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None


class PeriodQuery(Schema):
    start: Day | None = None
    end: Day | None = None
    group_by: ShortName = "policy"


class AgentStatusIn(Schema):
    on_duty: bool | None = None
    capacity: int | None = Field(None, ge=0, le=1000)
    skills: list[TypeName] | None = None


class AgentStatusOut(Schema):
    user: int = Field(alias="user_id")
    on_duty: bool
    capacity: int
    skills: list[str]


class QueueOut(Schema):
    id: int
    name: str
    order: int
    tier: str
    ticket_type: str
    department: int | None = Field(alias="department_id")
    strategy: str
    members: list[int]

    @staticmethod
    def resolve_members(obj) -> list[int]:
        return [member.pk for member in obj.members.all()]


def _calendar(value: int | str) -> BusinessCalendar:
    if isinstance(value, str):
        check_text(value, field="calendar", max_length=64)
    elif not 1 <= value <= MAX_ID:
        raise DomainError(_("工作日历不存在。"), field="calendar")
    calendars = BusinessCalendar.objects
    calendar = (
        calendars.filter(pk=value).first()
        if isinstance(value, int)
        else calendars.filter(name=value).first()
    )
    if calendar is None:
        raise DomainError(_("工作日历不存在。"), field="calendar")
    return calendar


@router.get("/calendars", response=list[CalendarOut])
def calendars_list(request):
    check_permission(request.user, "tickets.view_ticket")
    return BusinessCalendar.objects.prefetch_related("days")


@router.post("/calendars", response={201: CalendarOut})
def calendars_create(request, payload: CalendarIn):
    calendar = do_calendar_create(actor=request.user, **payload.dict())
    return Status(201, BusinessCalendar.objects.prefetch_related("days").get(pk=calendar.pk))


@router.get("/policies", response=list[PolicyOut])
def policies_list(request):
    check_permission(request.user, "tickets.view_ticket")
    return SlaPolicy.objects.select_related("calendar").order_by("order", "id")


@router.post("/policies", response={201: PolicyOut})
def policies_create(request, payload: PolicyIn):
    data = payload.dict()
    data["calendar"] = _calendar(data["calendar"])
    policy = do_policy_create(actor=request.user, **data)
    return Status(201, SlaPolicy.objects.select_related("calendar").get(pk=policy.pk))


@router.get("/preview", response=PreviewOut)
def sla_preview(request, query: Query[PreviewQuery]):
    """Which policy a ticket like this would get, and its due times from `start` (now)."""
    check_permission(request.user, "tickets.view_ticket")
    start = query.start or django_timezone.now()
    if django_timezone.is_naive(start):
        start = django_timezone.make_aware(start)
    if not 2000 <= start.year <= 2999:
        raise DomainError(_("日期超出范围。"), field="start")
    policy = policy_for(
        tier=query.tier, type=query.type or "", priority=query.priority or "normal",
        channel=query.channel or "",
    )  # fmt: skip
    if policy is None:
        return {"policy": None, "policy_id": None, "calendar": None, "start": start,
                "first_response_due": None, "resolution_due": None}  # fmt: skip
    try:
        dues = compute_dues(policy, start)
    except CalendarError as error:
        raise DomainError(
            _("该策略的日历无法算出截止时间：%(error)s") % {"error": error}, field="start"
        ) from None
    return {
        "policy": policy.name,
        "policy_id": policy.pk,
        "calendar": policy.calendar.name,
        "start": start,
        "first_response_due": dues.first_response,
        "resolution_due": dues.resolution,
    }


def _window(query: PeriodQuery) -> tuple[datetime, datetime]:
    if query.group_by not in GROUPS:
        raise DomainError(
            _("group_by 必须是 %(choices)s 之一。") % {"choices": ", ".join(GROUPS)},
            field="group_by",
        )

    period = checked_period(query.start, query.end)
    return period.start_at, period.end_at


@router.get("/report", response=dict)
def sla_report(request, query: Query[PeriodQuery]):
    """Compliance per policy, tier, type, team or agent (group_by) for tickets opened in
    the period; average first-response and resolution times in business minutes."""
    start, end = _window(query)
    return sla_compliance(user=request.user, start=start, end=end, group_by=query.group_by)


@router.get("/breaches", response=list[dict])
def sla_breach_list(request, query: Query[PeriodQuery]):
    start, end = _window(query)
    return sla_breaches(user=request.user, start=start, end=end)


@router.get("/queues", response=list[QueueOut])
def queues_list(request):
    check_permission(request.user, "tickets.view_ticket")
    return Queue.objects.prefetch_related("members").order_by("order", "id")


@router.patch("/agents/{user_id}", response=AgentStatusOut)
def agent_status_set(request, user_id: int, payload: AgentStatusIn):
    """On or off duty (agents for themselves), capacity and skills (supervisors)."""
    if not 1 <= user_id <= MAX_ID:
        raise DomainError(_("用户不存在。"), field="user")
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise DomainError(_("用户不存在。"), field="user")
    return do_agent_status_set(actor=request.user, user=user, **payload.dict(exclude_unset=True))


@router.get("/agents/{user_id}", response=AgentStatusOut)
def agent_status_get(request, user_id: int):
    check_permission(request.user, "tickets.view_ticket")
    if not 1 <= user_id <= MAX_ID or not User.objects.filter(pk=user_id).exists():
        raise Http404(_("用户不存在。"))
    status = AgentStatus.objects.filter(user_id=user_id).first()
    return status or AgentStatus(user_id=user_id)
