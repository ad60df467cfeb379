"""Writes for the complaint flow. One funnel per step; every step is time-stamped and audited."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import Department, User
from huitou.accounts.roles import Role
from huitou.accounts.scope import check_department_scope
from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_choice, check_text
from huitou.core.notifications import do_notify
from huitou.core.permissions import check_permission
from huitou.sla.business_time import CalendarError
from huitou.sla.calendars import compiled_calendar
from huitou.sla.models import TicketSla
from huitou.tickets.events import MessageKind
from huitou.tickets.funnel import do_message_record, do_ticket_change, lock_ticket
from huitou.tickets.models import Status, Ticket, TicketType
from huitou.tickets.services import check_reply_body, check_thread_open, check_ticket_visible

from . import tasks
from .major import do_major_evaluate
from .models import (
    Behaviour,
    CallbackTask,
    Cause,
    Complaint,
    ComplaintPolicy,
    ComplaintStep,
    Purpose,
    RecoveryAction,
    ReplyMode,
    Severity,
    State,
    Step,
    Validity,
)
from .workflow import TICKET_STATUS_FOR_STATE, check_transition

logger = logging.getLogger(__name__)
MAX_AMOUNT = Decimal("9999999999.99")


def _lock(complaint: Complaint) -> Complaint:
    # The ticket first, then its complaint, as every ticket service locks: no deadlock.
    lock_ticket(complaint.pk)
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__customer", "department")
        .get(pk=complaint.pk)
    )


def _record(
    complaint: Complaint, *, step: str, actor, at: datetime, note: str = "", **extra
) -> ComplaintStep:
    return ComplaintStep.objects.create(
        complaint=complaint,
        step=step,
        actor=actor,
        at=at,
        state=complaint.state,
        note=note,
        **extra,
    )


def _sync_ticket(complaint: Complaint, *, actor, now: datetime, changes=None) -> None:
    """Keep the ticket's status (and any other given fields) in step with the complaint."""
    wanted = dict(changes or {})
    wanted["status"] = TICKET_STATUS_FOR_STATE[complaint.state]
    do_ticket_change(ticket=complaint.ticket, actor=actor, changes=wanted, now=now)


def dispatch_target_due(complaint: Complaint) -> datetime | None:
    """When the SLA policy wants the complaint dispatched (its time-to-dispatch target)."""
    sla = TicketSla.objects.select_related("policy__calendar").filter(pk=complaint.pk).first()
    if sla is None or not sla.policy.dispatch_minutes:
        return None
    try:
        calendar = compiled_calendar(sla.policy.calendar)
        return calendar.add(complaint.received_at, sla.policy.dispatch_minutes * 60)
    except CalendarError:
        return None


def _department_result_due(ticket: Ticket, now: datetime) -> datetime:
    """The SLA policy's department-result target in business time; without one, the
    complaint rules' hours. The clock starts before a complaint filed for a department is
    dispatched (tickets.events), so a ticket without one has no policy."""
    sla = TicketSla.objects.select_related("policy__calendar").filter(pk=ticket.pk).first()
    policy = sla.policy if sla else None
    if policy is not None and policy.department_result_minutes:
        try:
            return compiled_calendar(policy.calendar).add(
                now, policy.department_result_minutes * 60
            )
        except CalendarError:
            # A calendar that cannot reach the target: the complaint rules' hours instead.
            logger.warning("SLA policy %s cannot compute a department due time", policy.pk)
    return now + timedelta(hours=ComplaintPolicy.load().dispatch_due_hours)


def _check_department_actor(*, actor, complaint: Complaint) -> None:
    """Only the department the complaint was dispatched to works on it (supervisors may help)."""
    check_permission(actor, "complaints.process_dispatch")
    check_department_scope(actor, complaint.department_id, message=_("该投诉没有派给您的部门。"))


def _required_text(value: str, *, field: str, message: str, max_length: int = 5000) -> str:
    value = check_text((value or "").strip(), field=field, max_length=max_length)
    if not value:
        raise DomainError(message, field=field)
    return value


# A ticket already answered or closed before it became a complaint starts at that point.
STATE_FOR_TICKET_STATUS = {Status.RESOLVED: State.REPLIED, Status.CLOSED: State.CLOSED}


@transaction.atomic
def do_complaint_open(*, actor, ticket: Ticket) -> Complaint:
    """The complaint record of a complaint ticket: received, time-stamped, rules checked."""
    complaint, created = Complaint.objects.get_or_create(
        ticket=ticket,
        defaults={
            "received_at": ticket.created_at or timezone.now(),
            "state": STATE_FOR_TICKET_STATUS.get(ticket.status, State.RECEIVED),
            "replied_at": ticket.resolved_at,
            "closed_at": ticket.closed_at,
        },
    )
    if created:
        complaint.ticket = ticket
        _record(complaint, step=Step.RECEIVED, actor=actor, at=complaint.received_at)
        do_major_evaluate(complaint=complaint, actor=actor, now=complaint.received_at)
    return complaint


def _reply_to_customer(*, actor, complaint: Complaint, action: str, body: str, confirm: bool):
    """The public message of an answer or reply step; returns the locked complaint."""
    check_permission(actor, "complaints.handle_complaint")
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    check_transition(complaint.state, action)
    check_permission(actor, "tickets.add_message")
    check_permission(actor, "tickets.reply_to_customer")
    body, hits = check_reply_body(body=body, confirm_forbidden=confirm)
    check_thread_open(ticket=complaint.ticket, public=True)
    do_message_record(
        ticket=complaint.ticket,
        actor=actor,
        body=body,
        kind=MessageKind.PUBLIC_REPLY,
        forbidden_hits=hits,
    )
    return complaint


@transaction.atomic
def do_complaint_answer(
    *, actor, complaint: Complaint, body: str, confirm_forbidden: bool = False
) -> Complaint:
    """Answered at once (当即答复): reply, close, count as first-contact resolution."""
    complaint = _reply_to_customer(
        actor=actor, complaint=complaint, action="answer", body=body, confirm=confirm_forbidden
    )
    now = timezone.now()
    # An answer after a reopen is not a first-contact resolution.
    complaint.first_contact_resolution = complaint.reopen_count == 0
    complaint.reply_mode = complaint.reply_mode or ReplyMode.IMMEDIATE
    complaint.replied_at = now
    complaint.state = State.REPLIED
    _record(complaint, step=Step.ANSWERED, actor=actor, at=now)
    complaint.state = State.CLOSED
    complaint.closed_at = now
    complaint.save()
    _record(complaint, step=Step.CLOSED, actor=actor, at=now)
    _sync_ticket(complaint, actor=actor, now=now)
    return complaint


def check_dispatch_department(department: Department) -> None:
    """派单 goes to a responsible department (相关责任单位), never to the service centre
    (客服中心), which receives, answers, dispatches, replies and calls back itself."""
    if department.kind != Department.Kind.RESPONSIBLE:
        raise DomainError(
            _("只能派单给相关责任单位；“%(department)s”是客服中心，投诉由客服中心直接受理和答复。")
            % {"department": department.name},
            field="department",
        )


@transaction.atomic
def do_complaint_dispatch(
    *,
    actor,
    complaint: Complaint,
    department: Department,
    note: str = "",
    due_at: datetime | None = None,
) -> Complaint:
    """派单 to the responsible department with a due time; a re-dispatch must say why."""
    check_permission(actor, "complaints.handle_complaint")
    check_permission(actor, "tickets.dispatch_ticket")
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    check_transition(complaint.state, "dispatch")
    check_dispatch_department(department)
    note = check_text((note or "").strip(), field="note", max_length=2000)
    redispatch = complaint.state != State.RECEIVED
    if redispatch and not note:
        raise DomainError(_("改派须说明原因。"), field="note")
    if redispatch and department == complaint.department and complaint.state != State.RETURNED:
        raise ConflictError(_("投诉已派给该部门。"), field="department")
    now = timezone.now()
    if due_at is None:
        due_at = _department_result_due(complaint.ticket, now)
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    if due_at <= now:
        raise DomainError(_("处理时限必须晚于现在。"), field="due_at")
    complaint.department = department
    complaint.dispatched_by = actor
    complaint.dispatched_at = now
    complaint.first_dispatched_at = complaint.first_dispatched_at or now
    complaint.dispatch_due_at = due_at
    complaint.handler = None
    complaint.dispatch_overdue = False  # per dispatch; the overdue step and reason stay
    complaint.accepted_at = None
    complaint.result = ""
    complaint.result_at = None
    if not complaint.reply_mode:
        complaint.reply_mode = ReplyMode.DEFERRED
    complaint.promised_date = complaint.promised_date or timezone.localtime(due_at).date()
    complaint.state = State.DISPATCHED
    complaint.save()
    _record(
        complaint,
        step=Step.DISPATCHED,
        actor=actor,
        at=now,
        note=note,
        department=department,
        due_at=due_at,
    )
    ticket = complaint.ticket
    # The old department's handler loses sight of the ticket: the funnel lets go of them.
    _sync_ticket(complaint, actor=actor, now=now, changes={"department": department})
    handlers = User.objects.filter(
        is_active=True, department=department, groups__name=Role.HANDLER
    ).distinct()
    do_notify(
        recipients=handlers,
        kind="dispatch",
        title=_("新派单：%(number)s %(subject)s")
        % {"number": ticket.number, "subject": ticket.subject},
        body=_("请在 %(due)s 前反馈处理结果。%(note)s")
        % {"due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"), "note": note},
        url=reverse("tickets:detail", args=[ticket.pk]),
    )
    return complaint


@transaction.atomic
def do_complaint_accept(*, actor, complaint: Complaint) -> Complaint:
    """The department takes the dispatched complaint on (接单)."""
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    _check_department_actor(actor=actor, complaint=complaint)
    check_transition(complaint.state, "accept")
    now = timezone.now()
    complaint.state = State.ACCEPTED
    complaint.handler = actor
    complaint.accepted_at = now
    complaint.save()
    _record(complaint, step=Step.ACCEPTED, actor=actor, at=now, department=complaint.department)
    return complaint


@transaction.atomic
def do_complaint_result(*, actor, complaint: Complaint, result: str) -> Complaint:
    """The department writes its result, which goes back to the service centre."""
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    _check_department_actor(actor=actor, complaint=complaint)
    check_transition(complaint.state, "result")
    result = _required_text(result, field="result", message=_("请填写处理结果。"))
    now = timezone.now()
    complaint.state = State.RETURNED
    complaint.result = result
    complaint.result_at = now
    late = complaint.dispatch_due_at is not None and now > complaint.dispatch_due_at
    if late and not complaint.dispatch_overdue:
        complaint.dispatch_overdue = True
        _record(complaint, step=Step.OVERDUE, actor=None, at=now, department=complaint.department)
    complaint.save()
    _record(
        complaint,
        step=Step.RESULT,
        actor=actor,
        at=now,
        note=result,
        department=complaint.department,
    )
    # The thread keeps the department's words for whoever replies to the customer.
    do_message_record(
        ticket=complaint.ticket,
        actor=actor,
        body=_("【部门处理结果】%(result)s") % {"result": result},
        kind=MessageKind.INTERNAL_NOTE,
    )
    do_major_evaluate(complaint=complaint, actor=actor, now=now)
    ticket = complaint.ticket
    do_notify(
        recipients=[complaint.dispatched_by],
        kind="dispatch_result",
        title=_("部门已反馈：%(number)s") % {"number": ticket.number},
        body=result,
        url=reverse("tickets:detail", args=[ticket.pk]),
    )
    return complaint


@transaction.atomic
def do_complaint_reply(
    *, actor, complaint: Complaint, body: str, confirm_forbidden: bool = False
) -> Complaint:
    """The service centre replies to the customer; a call-back task is scheduled."""
    complaint = _reply_to_customer(
        actor=actor, complaint=complaint, action="reply", body=body, confirm=confirm_forbidden
    )
    now = timezone.now()
    complaint.state = State.REPLIED
    complaint.replied_at = now
    complaint.save()
    _record(complaint, step=Step.REPLIED, actor=actor, at=now)
    CallbackTask.objects.create(
        complaint=complaint,
        due_at=now + timedelta(hours=ComplaintPolicy.load().callback_delay_hours),
    )
    _sync_ticket(complaint, actor=actor, now=now)
    return complaint


def _reopen(complaint: Complaint, *, actor, now: datetime, reason: str) -> None:
    complaint.state = State.RECEIVED
    complaint.reopen_count += 1
    complaint.first_contact_resolution = False
    complaint.replied_at = None
    complaint.closed_at = None
    complaint.save()
    complaint.callbacks.filter(status=CallbackTask.Status.OPEN).update(
        status=CallbackTask.Status.CANCELLED
    )
    _record(complaint, step=Step.REOPENED, actor=actor, at=now, note=reason)
    _sync_ticket(complaint, actor=actor, now=now)
    do_major_evaluate(complaint=complaint, actor=actor, now=now)


@transaction.atomic
def do_complaint_callback(
    *,
    actor,
    complaint: Complaint,
    satisfaction: int | None,
    note: str = "",
    reached: bool = True,
    reopen: bool | None = None,
) -> Complaint:
    """回访: record whether the customer is satisfied. Unsatisfied reopens by default."""
    check_permission(actor, "complaints.handle_complaint")
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    check_transition(complaint.state, "callback")
    note = check_text((note or "").strip(), field="note", max_length=2000)
    now = timezone.now()
    policy = ComplaintPolicy.load()
    task = complaint.callbacks.filter(status=CallbackTask.Status.OPEN).first()
    if task is None:
        task = CallbackTask.objects.create(complaint=complaint, due_at=now)
    if not reached:
        task.attempts += 1
        task.note = "\n".join(filter(None, [task.note, note]))
        task.save(update_fields=["attempts", "note"])
        _record(complaint, step=Step.CALLBACK, actor=actor, at=now, note=_("未接通。") + note)
        return complaint
    if satisfaction is None or not 1 <= int(satisfaction) <= 5:
        raise DomainError(_("满意度必须是 1–5。"), field="satisfaction")
    satisfaction = int(satisfaction)
    unsatisfied = satisfaction < policy.satisfied_min
    task.status = CallbackTask.Status.DONE
    task.outcome = (
        CallbackTask.Outcome.UNSATISFIED if unsatisfied else CallbackTask.Outcome.SATISFIED
    )
    task.satisfaction = satisfaction
    task.note = note
    task.done_by = actor
    task.done_at = now
    task.save()
    complaint.recovery_satisfaction = satisfaction
    summary = _("满意度 %(score)d/5。") % {"score": satisfaction} + note
    _record(complaint, step=Step.CALLBACK, actor=actor, at=now, note=summary)
    if reopen if reopen is not None else (unsatisfied and policy.reopen_when_unsatisfied):
        _reopen(complaint, actor=actor, now=now, reason=note or _("回访不满意。"))
        return complaint
    complaint.state = State.CLOSED
    complaint.closed_at = now
    complaint.save()
    _record(complaint, step=Step.CLOSED, actor=actor, at=now)
    _sync_ticket(complaint, actor=actor, now=now)
    return complaint


@transaction.atomic
def do_complaint_reopen(*, actor, complaint: Complaint, reason: str) -> Complaint:
    check_permission(actor, "complaints.handle_complaint")
    reason = _required_text(reason, field="reason", message=_("请说明重新打开的原因。"))
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    check_transition(complaint.state, "reopen")
    _reopen(complaint, actor=actor, now=timezone.now(), reason=reason)
    return complaint


CHOICE_FIELDS = {
    "severity": Severity,
    "behaviour": Behaviour,
    "purpose": Purpose,
    "cause": Cause,
    "validity": Validity,
    "reply_mode": ReplyMode,
}
TEXT_FIELDS = {
    "product": 100,
    "who": 200,
    "what": 500,
    "when": 200,
    "where": 200,
    "why": 500,
    "how": 500,
    "validity_reason": 500,
    "demand": 5000,
    "solution_offered": 5000,
}
CLASSIFICATION_FIELDS = {
    *CHOICE_FIELDS,
    *TEXT_FIELDS,
    "compensation_demand",
    "solution_accepted",
    "promised_date",
}


def check_amount(value, *, field: str, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise DomainError(_("请填写金额。"), field=field)
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("金额格式不正确。"), field=field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise DomainError(_("金额必须在 0 到 9999999999.99 之间。"), field=field)
    return amount


def _clean_classification(complaint: Complaint, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - CLASSIFICATION_FIELDS
    if unknown:
        raise DomainError(_("该字段不可修改。"), field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        if field in CHOICE_FIELDS:
            value = value or ""
            if value or field == "severity":
                check_choice(value, CHOICE_FIELDS[field], field)
        elif field in TEXT_FIELDS:
            value = " ".join((value or "").split()) if field == "product" else (value or "").strip()
            check_text(value, field=field, max_length=TEXT_FIELDS[field])
        elif field == "compensation_demand":
            value = check_amount(value, field=field, allow_none=True)
        elif field == "solution_accepted" and value is not None and not isinstance(value, bool):
            raise DomainError(_("请填写是或否。"), field=field)
        clean[field] = value
    merged = {field: getattr(complaint, field) for field in CLASSIFICATION_FIELDS} | clean
    if merged["validity"] in (Validity.PARTLY, Validity.INVALID) and not merged["validity_reason"]:
        raise DomainError(_("判断为部分有效或无效时须说明理由。"), field="validity_reason")
    if merged["reply_mode"] == ReplyMode.DEFERRED and not merged["promised_date"]:
        raise DomainError(_("延后答复须填写承诺答复日期。"), field="promised_date")
    return clean


@transaction.atomic
def do_complaint_classify(
    *, actor, complaint: Complaint, changes: dict[str, Any], evaluate_crisis: bool = True
) -> Complaint:
    """Classification, 5W1H, validity, demand and solution; every change is audited.

    A change of cause, product or behaviour queues the crisis evaluation (unless the caller,
    like the demo loader, evaluates in bulk itself)."""
    check_permission(actor, "complaints.handle_complaint")
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    clean = _clean_classification(complaint, changes)
    diffs = [
        (field, getattr(complaint, field), value)
        for field, value in clean.items()
        if getattr(complaint, field) != value
    ]
    if not diffs:
        return complaint
    for field, _old, new in diffs:
        setattr(complaint, field, new)
    complaint.save()
    do_audit_changes(obj=complaint, actor=actor, changes=diffs)
    if complaint.ticket.status == Status.NEW:  # someone is working on it now
        _sync_ticket(complaint, actor=actor, now=timezone.now())
    do_major_evaluate(complaint=complaint, actor=actor, now=timezone.now())
    if evaluate_crisis and {"cause", "product", "behaviour"} & {field for field, _o, _n in diffs}:
        complaint_id = complaint.pk
        transaction.on_commit(lambda: tasks.evaluate_crisis(complaint_id))
    return complaint


@transaction.atomic
def do_recovery_add(
    *, actor, complaint: Complaint, kind: str, amount=0, description: str = ""
) -> RecoveryAction:
    """Record a service recovery (服务补救) and what it cost."""
    if not actor.has_perm("complaints.handle_complaint"):
        _check_department_actor(actor=actor, complaint=complaint)
    complaint = _lock(complaint)
    check_ticket_visible(actor=actor, ticket=complaint.ticket)
    if complaint.state == State.CLOSED:
        raise ConflictError(_("投诉已结案，请先重新打开。"), field="state")
    recovery = RecoveryAction.objects.create(
        complaint=complaint,
        kind=check_choice(kind, RecoveryAction.Kind, "kind"),
        amount=check_amount(amount, field="amount"),
        description=check_text((description or "").strip(), field="description", max_length=500),
        actor=actor,
    )
    # Named after the relation, so the history reads 服务补救: 道歉 rather than a field code.
    do_audit_record(
        obj=complaint,
        actor=actor,
        action="recovery",
        field="recoveries",
        new=recovery.get_kind_display(),
    )
    return recovery


def complaint_for_ticket_type_change(*, actor, ticket: Ticket, new_type: str) -> None:
    """Called when a ticket's type changes: open the complaint record, or drop one that
    nothing has happened to yet. Anything more (a step, a recovery, a reopen) is history
    that must stay, so the type change is refused."""
    check_permission(actor, "complaints.handle_complaint")
    complaint = Complaint.objects.select_for_update().filter(ticket=ticket).first()  # ticket locked
    if new_type == TicketType.COMPLAINT:
        if complaint is None:
            do_complaint_open(actor=actor, ticket=ticket)
        return
    if complaint is None:
        return
    untouched = (
        complaint.state == State.RECEIVED
        and complaint.reopen_count == 0
        and not complaint.steps.exclude(step__in=[Step.RECEIVED, Step.MAJOR]).exists()
        and not complaint.recoveries.exists()
    )
    if not untouched:
        raise ConflictError(
            _("投诉已进入处理流程，不能改为其他类型。"), field="type", code="illegal_transition"
        )
    complaint.delete()
