"""Writes for calendars and policies (admins), with the checks that keep the clock sane."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _

from huitou.core.errors import ConflictError, DomainError, check_choice, check_text
from huitou.core.permissions import check_admin
from huitou.customers.models import Tier
from huitou.tickets.models import Channel, Priority, TicketType

from .business_time import CalendarError, parse_intervals
from .calendars import build_calendar, compiled_calendar
from .defaults import STEPS
from .models import BusinessCalendar, CalendarDay, EscalationStep, Metric, SlaPolicy

MAX_MINUTES = 60 * 24 * 365  # a target longer than a year of working time is a typo


def _check_name(name: str, *, model, field: str = "name") -> str:
    name = check_text((name or "").strip(), field=field, max_length=64)
    if not name:
        raise DomainError(_("名称不能为空。"), field=field)
    if model.objects.filter(name=name).exists():
        raise ConflictError(_("名称已存在。"), field=field)
    return name


def _check_days(values, *, field: str) -> list[date]:
    days = []
    for value in values or []:
        try:
            days.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise DomainError(
                _("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value}, field=field
            ) from None
    return days


def check_calendar(*, timezone: str, hours, workday_hours=None, holidays=(), workdays=()):
    """The rules every calendar keeps, wherever it is written (API, admin, command line):
    known time zone, well-formed and non-overlapping hours, some working time in the week,
    no day both a holiday and a make-up working day. Returns the compiled calendar."""
    both = set(holidays) & set(workdays)
    if both:
        raise DomainError(
            _("同一天不能既是节假日又是调休工作日：%(day)s") % {"day": min(both)},
            field="workdays",
        )
    if workday_hours is not None:
        try:
            parse_intervals(workday_hours)
        except CalendarError as error:
            raise DomainError(
                _("调休日工作时间无效：%(error)s") % {"error": error}, field="workday_hours"
            ) from None
    try:
        return build_calendar(
            timezone=timezone,
            hours=hours,
            workday_hours=workday_hours,
            holidays=holidays,
            workdays=workdays,
        )
    except CalendarError as error:
        field = "timezone" if "time zone" in str(error) else "hours"
        raise DomainError(_("工作时间无效：%(error)s") % {"error": error}, field=field) from None


@transaction.atomic
def do_calendar_create(
    *,
    actor,
    name: str,
    timezone: str = "Asia/Shanghai",
    hours: dict,
    holidays=(),
    workdays=(),
    workday_hours=None,
) -> BusinessCalendar:
    check_admin(actor)
    name = _check_name(name, model=BusinessCalendar)
    if not isinstance(hours, dict):
        raise DomainError(
            _('工作时间应按星期给出，如 {"mon": [["09:00", "18:00"]]}。'), field="hours"
        )
    holidays = _check_days(holidays, field="holidays")
    workdays = _check_days(workdays, field="workdays")
    check_calendar(
        timezone=timezone,
        hours=hours,
        workday_hours=workday_hours,
        holidays=holidays,
        workdays=workdays,
    )
    calendar = BusinessCalendar.objects.create(
        name=name, timezone=timezone, hours=hours, workday_hours=workday_hours
    )
    do_calendar_days_set(
        actor=actor,
        calendar=calendar,
        rows=[(day, CalendarDay.Kind.HOLIDAY, "") for day in holidays]
        + [(day, CalendarDay.Kind.WORKDAY, "") for day in workdays],
    )
    return calendar


@transaction.atomic
def do_calendar_days_set(*, actor, calendar: BusinessCalendar, rows) -> int:
    """Add or replace holidays and make-up days (date, kind, name); returns how many."""
    check_admin(actor)
    seen: dict[date, str] = {}
    for day, kind, _name in rows:
        if seen.get(day, kind) != kind:
            raise DomainError(
                _("同一天不能既是节假日又是调休工作日：%(day)s") % {"day": day}, field="days"
            )
        seen[day] = kind
    for day, kind, label in rows:
        CalendarDay.objects.update_or_create(
            calendar=calendar, date=day, defaults={"kind": kind, "name": label}
        )
    calendar.save(update_fields=["updated_at"])  # every process rebuilds its cached copy
    return len(rows)


CONDITION_FIELDS = {
    "tier": ("tier", Tier),
    "type": ("ticket_type", TicketType),
    "priority": ("priority", Priority),
    "channel": ("channel", Channel),
}


def _check_minutes(value, *, field: str, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_MINUTES:
        raise DomainError(
            _("时限必须是 1 到 %(max)d 之间的整数（工作分钟）。") % {"max": MAX_MINUTES},
            field=field,
        )
    return value


def check_policy(policy: SlaPolicy, *, calendar=None) -> None:
    """The rules every policy keeps, wherever it is written (API, admin): its order, its
    targets in working minutes, its warning share, and targets the calendar can reach.
    `calendar` is the compiled calendar to check against (default: the policy's own)."""
    if not isinstance(policy.order, int) or not 0 <= policy.order <= 1_000_000:
        raise DomainError(_("顺序必须是 0 到 1000000 之间的整数。"), field="order")
    if not isinstance(policy.at_risk_percent, int) or not 1 <= policy.at_risk_percent <= 99:
        raise DomainError(_("预警比例必须在 1 到 99 之间。"), field="at_risk_percent")
    for field, required in (
        ("first_response_minutes", True),
        ("resolution_minutes", True),
        ("next_response_minutes", False),
        ("dispatch_minutes", False),
        ("department_result_minutes", False),
    ):
        _check_minutes(getattr(policy, field), field=field, required=required)
    longest = max(
        value
        for value in (
            policy.first_response_minutes, policy.resolution_minutes,
            policy.next_response_minutes, policy.department_result_minutes,
        )
        if value
    )  # fmt: skip
    try:
        (calendar or compiled_calendar(policy.calendar)).add(django_timezone.now(), longest * 60)
    except CalendarError:
        raise DomainError(
            _("该日历的工作时间不足以在十年内达到这个时限。"), field="resolution_minutes"
        ) from None


def check_escalation_step(step: EscalationStep) -> None:
    """A step that can fire: percent of a target below 100, minutes after a breach, and
    only on the first-response and resolution targets (next-response is shown only)."""
    if step.metric == Metric.NEXT_RESPONSE:
        raise DomainError(
            _("再次响应时限只显示，不触发升级；请选择首次响应或解决。"), field="metric"
        )
    if step.trigger == EscalationStep.Trigger.PERCENT and not 1 <= (step.value or 0) <= 99:
        raise DomainError(_("百分比必须在 1 到 99 之间（100 即超时）。"), field="value")
    if step.trigger == EscalationStep.Trigger.AFTER_BREACH and not (
        1 <= (step.value or 0) <= MAX_MINUTES
    ):
        raise DomainError(
            _("超时后的工作分钟数必须在 1 到 %(max)d 之间。") % {"max": MAX_MINUTES}, field="value"
        )


@transaction.atomic
def do_policy_create(
    *,
    actor,
    name: str,
    order: int,
    conditions: dict,
    calendar: BusinessCalendar,
    first_response_minutes: int,
    resolution_minutes: int,
    next_response_minutes: int | None = None,
    dispatch_minutes: int | None = None,
    department_result_minutes: int | None = None,
    at_risk_percent: int = 75,
    default_steps: bool = True,
) -> SlaPolicy:
    """A new policy; with `default_steps`, the standard escalation steps come with it."""
    check_admin(actor)
    name = _check_name(name, model=SlaPolicy)
    if not isinstance(conditions or {}, dict):
        raise DomainError(_('条件应为对象，如 {"tier": "A"}。'), field="conditions")
    unknown = set(conditions or {}) - set(CONDITION_FIELDS)
    if unknown:
        raise DomainError(
            _("未知的条件：%(name)s") % {"name": sorted(unknown)[0]}, field="conditions"
        )
    fields = {}
    for key, value in (conditions or {}).items():
        if value in (None, ""):
            continue
        model_field, choices = CONDITION_FIELDS[key]
        fields[model_field] = check_choice(value, choices, key)
    policy = SlaPolicy(
        name=name,
        order=order,
        calendar=calendar,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
        next_response_minutes=next_response_minutes,
        dispatch_minutes=dispatch_minutes,
        department_result_minutes=department_result_minutes,
        at_risk_percent=at_risk_percent,
        **fields,
    )
    check_policy(policy)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise ConflictError(_("名称已存在。"), field="name") from None
    if default_steps:
        EscalationStep.objects.bulk_create(
            EscalationStep(
                policy=policy, metric=metric, trigger=trigger, value=value, action=action
            )
            for metric, trigger, value, action in STEPS
        )
    return policy
