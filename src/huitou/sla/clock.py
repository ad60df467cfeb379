"""The SLA clock of each ticket: due times in business time, pauses, and the escalation
actions that follow from them. Called by the ticket services on each relevant event."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from huitou.tickets.models import DONE_STATUSES, Status, Ticket

from .business_time import CalendarError
from .calendars import compiled_calendar
from .models import EscalationAction, EscalationStep, Metric, SlaPolicy, TicketSla
from .routing import do_tickets_requeue_for_customers

logger = logging.getLogger(__name__)
Trigger = EscalationStep.Trigger
PAUSED_STATUS = Status.PENDING


def policy_for(
    *, tier: str = "", type: str = "", priority: str = "", channel: str = ""
) -> SlaPolicy | None:
    """The first active policy, by order, whose every condition matches (blank = any)."""
    conditions = Q()
    for field, value in (
        ("tier", tier),
        ("ticket_type", type),
        ("priority", priority),
        ("channel", channel),
    ):
        conditions &= Q(**{field: ""}) | Q(**{field: value or ""})
    return (
        SlaPolicy.objects.filter(conditions, active=True)
        .select_related("calendar")
        .order_by("order", "id")
        .first()
    )


def policy_for_ticket(ticket: Ticket) -> SlaPolicy | None:
    return policy_for(
        tier=ticket.customer.tier,
        type=ticket.type,
        priority=ticket.priority,
        channel=ticket.channel,
    )


@dataclass(frozen=True)
class Dues:
    first_response: datetime
    resolution: datetime


def compute_dues(policy: SlaPolicy, start: datetime, paused_seconds: float = 0.0) -> Dues:
    """Due times from `start`; the resolution clock is moved by the business time paused."""
    calendar = compiled_calendar(policy.calendar)
    return Dues(
        first_response=calendar.add(start, policy.first_response_minutes * 60),
        resolution=calendar.add(start, policy.resolution_minutes * 60 + paused_seconds),
    )


def do_sla_start(*, ticket: Ticket) -> TicketSla | None:
    """Start the clock of a new ticket (nothing when no policy matches)."""
    policy = policy_for_ticket(ticket)
    if policy is None:
        return None
    try:
        dues = compute_dues(policy, ticket.created_at)
    except CalendarError:
        # A calendar that cannot reach the target must not stop tickets coming in.
        logger.exception("SLA policy %s cannot compute due times", policy.pk)
        return None
    sla = TicketSla.objects.create(
        ticket=ticket,
        policy=policy,
        started_at=ticket.created_at,
        first_response_due=dues.first_response,
        resolution_due=dues.resolution,
    )
    _schedule(sla, ticket)
    return sla


def do_sla_recompute(*, ticket: Ticket, now: datetime | None = None) -> TicketSla | None:
    """Priority, type or tier changed: choose the policy again and recompute the due times."""
    sla = TicketSla.objects.select_for_update().filter(pk=ticket.pk).first()
    if sla is None:
        return do_sla_start(ticket=ticket)
    policy = policy_for_ticket(ticket) or sla.policy
    if policy.pk != sla.policy_id:
        # Steps of the old policy no longer apply.
        EscalationAction.objects.filter(
            ticket=ticket, status=EscalationAction.Status.PENDING
        ).update(status=EscalationAction.Status.CANCELLED)
    try:
        dues = compute_dues(policy, sla.started_at, sla.paused_seconds)
    except CalendarError:
        logger.exception("SLA policy %s cannot compute due times", policy.pk)
        return sla
    sla.policy = policy
    if sla.first_response_at is None:  # a response already given was judged on its target
        sla.first_response_due = dues.first_response
    sla.resolution_due = dues.resolution
    sla.save()
    _schedule(sla, ticket)
    return sla


def do_sla_status_changed(*, ticket: Ticket, old_status: str, now: datetime) -> None:
    """Pause while waiting on the customer; resume keeping the paused business time;
    stop at resolution, run again on reopening."""
    sla = (
        TicketSla.objects.select_for_update()
        .select_related("policy__calendar")
        .filter(pk=ticket.pk)
        .first()
    )
    if sla is None or old_status == ticket.status:
        return
    calendar = compiled_calendar(sla.policy.calendar)
    if ticket.status == PAUSED_STATUS and sla.paused_at is None:
        sla.paused_at = now
    elif old_status == PAUSED_STATUS and sla.paused_at is not None:
        sla.paused_seconds += calendar.between(sla.paused_at, now)
        sla.paused_at = None
        sla.resolution_due = compute_dues(sla.policy, sla.started_at, sla.paused_seconds).resolution
    if ticket.status in DONE_STATUSES:
        sla.resolved_at = sla.resolved_at or now
    elif old_status in DONE_STATUSES and sla.resolved_at is not None:
        # Reopened: the time it stayed resolved was nobody's to count; the clock goes on.
        sla.paused_seconds += calendar.between(sla.resolved_at, now)
        sla.resolved_at = None
        sla.resolution_due = compute_dues(sla.policy, sla.started_at, sla.paused_seconds).resolution
    sla.save()
    _schedule(sla, ticket)


def do_sla_first_response(*, ticket: Ticket, at: datetime) -> None:
    sla = TicketSla.objects.select_for_update().filter(pk=ticket.pk).first()
    if sla is None:
        return
    changed = False
    if sla.first_response_at is None:
        sla.first_response_at = at
        changed = True
    if sla.next_response_due is not None:
        sla.next_response_due = None
        changed = True
    if changed:
        sla.save(update_fields=["first_response_at", "next_response_due"])
        _schedule(sla, ticket)


def do_sla_customer_message(*, ticket: Ticket, at: datetime) -> None:
    """The customer wrote again: the next response is due in the policy's time."""
    sla = (
        TicketSla.objects.select_for_update()
        .select_related("policy__calendar")
        .filter(pk=ticket.pk)
        .first()
    )
    if sla is None or not sla.policy.next_response_minutes or sla.first_response_at is None:
        return
    calendar = compiled_calendar(sla.policy.calendar)
    sla.next_response_due = calendar.add(at, sla.policy.next_response_minutes * 60)
    sla.save(update_fields=["next_response_due"])


def _fire_at(step: EscalationStep, sla: TicketSla, calendar) -> datetime | None:
    policy = sla.policy
    if step.metric == Metric.FIRST_RESPONSE:
        target, due, paused = policy.first_response_minutes * 60, sla.first_response_due, 0.0
    elif step.metric == Metric.RESOLUTION:
        target, due, paused = policy.resolution_minutes * 60, sla.resolution_due, sla.paused_seconds
    else:
        return None  # next-response targets are shown, not escalated
    if step.trigger == Trigger.PERCENT:
        return calendar.add(sla.started_at, target * step.value / 100 + paused)
    if step.trigger == Trigger.BREACH:
        return due
    return calendar.add(due, step.value * 60)


def _live(step: EscalationStep, sla: TicketSla) -> bool:
    """Should this step still be able to fire?"""
    if step.metric == Metric.FIRST_RESPONSE:
        return sla.first_response_at is None and sla.resolved_at is None
    if step.metric == Metric.RESOLUTION:
        return sla.resolved_at is None and sla.paused_at is None
    return False


def _covered(step: EscalationStep, fire_at: datetime, done: list[EscalationAction]) -> bool:
    """Has this step in effect run already? After a change of policy (e.g. an automatic
    priority raise) the new policy's steps may be long past; one whose like (same metric,
    same action) already ran at or after its time would only repeat that, e.g. a second
    "已超时" seconds after the first. A step whose like ran before its time still fires."""
    return any(
        action.step.metric == step.metric
        and action.step.action == step.action
        and action.done_at is not None
        and action.done_at >= fire_at
        for action in done
    )


def _schedule(sla: TicketSla, ticket: Ticket) -> None:
    """Make the pending actions match the clock: one per live step, at its time; steps
    already done stay done, the rest are cancelled until they are live again."""
    calendar = compiled_calendar(sla.policy.calendar)
    # Locked: a sweep holding one of these rows finishes first, and its "done" stays done.
    existing = {
        action.step_id: action
        for action in EscalationAction.objects.select_for_update(of=("self",))
        .select_related("step")
        .filter(ticket_id=sla.pk)
    }
    done = [a for a in existing.values() if a.status == EscalationAction.Status.DONE]
    create, update = [], []
    for step in sla.policy.steps.all():
        action = existing.get(step.pk)
        if action is not None and action.status == EscalationAction.Status.DONE:
            continue
        fire_at = _fire_at(step, sla, calendar) if _live(step, sla) else None
        if fire_at is None or _covered(step, fire_at, done):
            if action is not None and action.status == EscalationAction.Status.PENDING:
                action.status = EscalationAction.Status.CANCELLED
                update.append(action)
            continue
        if action is None:
            create.append(EscalationAction(ticket_id=sla.pk, step=step, fire_at=fire_at))
        elif action.fire_at != fire_at or action.status != EscalationAction.Status.PENDING:
            action.fire_at, action.status = fire_at, EscalationAction.Status.PENDING
            update.append(action)
    EscalationAction.objects.bulk_create(create)
    for action in update:
        EscalationAction.objects.filter(pk=action.pk).exclude(
            status=EscalationAction.Status.DONE
        ).update(fire_at=action.fire_at, status=action.status)


def sla_summary(sla: TicketSla | None, *, now: datetime | None = None) -> dict | None:
    """What a ticket shows of its SLA: policy, due times, state, business time remaining."""
    if sla is None:
        return None
    now = now or timezone.now()
    calendar = compiled_calendar(sla.policy.calendar)
    clock_now = sla.paused_at or now  # a paused resolution clock stands still
    # Resolving without a reply also answers the customer.
    first_late = (sla.first_response_at or sla.resolved_at or now) > sla.first_response_due
    resolution_late = (sla.resolved_at or clock_now) > sla.resolution_due
    next_late = sla.next_response_due is not None and now > sla.next_response_due
    if sla.first_response_at is None and sla.resolved_at is None:
        due, target, start = (
            sla.first_response_due,
            sla.policy.first_response_minutes,
            sla.started_at,
        )
        paused, clock_now = 0.0, now  # the first-response clock never pauses
    else:
        due, target, start = sla.resolution_due, sla.policy.resolution_minutes, sla.started_at
        paused = sla.paused_seconds
    if first_late or resolution_late or next_late:
        state = "breached"
    elif sla.resolved_at is not None:
        state = "met"
    else:
        used = calendar.between(start, clock_now) - paused
        state = "at_risk" if used >= target * 60 * sla.policy.at_risk_percent / 100 else "on_track"
    if sla.resolved_at is not None:
        remaining = None
    elif clock_now <= due:
        remaining = round(calendar.between(clock_now, due))
    else:
        remaining = -round(calendar.between(due, clock_now))
    return {
        "policy": sla.policy.name,
        "policy_id": sla.policy_id,
        "first_response_due": sla.first_response_due,
        "first_response_at": sla.first_response_at,
        "next_response_due": sla.next_response_due,
        "resolution_due": sla.resolution_due,
        "resolved_at": sla.resolved_at,
        "state": state,
        "paused": sla.paused_at is not None,
        "remaining_seconds": remaining,
    }


def do_sla_recompute_for_customers(*, customer_ids) -> int:
    """A customer's tier changed: their open tickets may fall under another policy, and
    may no longer belong in their queue (the VIP desk is for tier A)."""
    customer_ids = list(customer_ids)
    do_tickets_requeue_for_customers(customer_ids=customer_ids)
    tickets = (
        Ticket.objects.filter(customer_id__in=list(customer_ids))
        .exclude(status__in=DONE_STATUSES)
        .select_related("customer")
    )
    count = 0
    for ticket in tickets.iterator(chunk_size=500):
        do_sla_recompute(ticket=ticket)
        count += 1
    return count
