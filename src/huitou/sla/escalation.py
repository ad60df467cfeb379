"""问题升级: the periodic sweep that runs due escalation actions, exactly once each.

Each batch is claimed with SELECT … FOR UPDATE SKIP LOCKED: two workers sweeping at the
same moment take different rows. The action and its "done" mark commit together, so a
worker that dies mid-action leaves the row pending (nothing half-done) and the next sweep
runs it; a row marked done is never run again.
"""

import logging
import os
import socket
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.core.notifications import do_notify
from huitou.tickets.funnel import do_ticket_change
from huitou.tickets.models import PRIORITY_RANK, Priority, Ticket

from .clock import _live
from .models import EscalationAction, EscalationStep, Metric, Queue, TicketSla
from .routing import pick_agent

logger = logging.getLogger(__name__)
Action = EscalationStep.Action
BATCH = 200


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def do_escalation_sweep(
    *, now: datetime | None = None, worker: str = "", limit: int = 10_000
) -> int:
    """Run every pending action due by `now`; returns how many ran in this call.

    Locks are taken in the same order as the ticket services take them (ticket, then its
    escalation rows) or not waited for: a ticket someone is changing right now is skipped
    (SKIP LOCKED) and its action stays pending for the next sweep, so a sweep never
    deadlocks with the desk. Each action runs in a savepoint: one that fails is logged and
    left pending without undoing the others."""
    now = now or timezone.now()
    worker = worker or worker_label()
    ran = 0
    skipped: set[int] = set()
    while ran < limit:
        with transaction.atomic():
            actions = list(
                EscalationAction.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=EscalationAction.Status.PENDING, fire_at__lte=now)
                .exclude(pk__in=skipped)
                .select_related("step")
                .order_by("fire_at", "pk")[:BATCH]
            )
            if not actions:
                break
            done = 0
            for action in actions:
                if _claim_and_run(action, now=now, worker=worker):
                    done += 1
                else:
                    skipped.add(action.pk)
        ran += done
    return ran


def _claim_and_run(action: EscalationAction, *, now: datetime, worker: str) -> bool:
    """Run one action if its ticket is free and the step still applies; False to retry
    later (ticket busy, or the action failed). A step that no longer applies is closed
    as cancelled here and reported as not run. The action is marked done before it runs,
    in the same savepoint: what it causes (a priority raise that moves the ticket to
    another policy) sees it done, and a failure undoes the mark with the rest."""
    try:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("customer", "assignee")
                .filter(pk=action.ticket_id)
                .first()
            )
            if ticket is None:
                return False  # being changed by someone: next sweep
            sla = TicketSla.objects.filter(pk=ticket.pk).select_related("policy").first()
            if sla is None or sla.policy_id != action.step.policy_id or not _live(action.step, sla):
                EscalationAction.objects.filter(pk=action.pk).update(
                    status=EscalationAction.Status.CANCELLED
                )
                return False
            EscalationAction.objects.filter(pk=action.pk).update(
                status=EscalationAction.Status.DONE, done_at=now, worker=worker
            )
            action.status, action.done_at, action.worker = (
                EscalationAction.Status.DONE,
                now,
                worker,
            )
            _run(action, ticket, now=now)
            return True
    except Exception:
        logger.exception("escalation action %s failed; it stays pending", action.pk)
        return False


def due_escalations(*, now: datetime, limit: int = BATCH) -> list[int]:
    """The ids of the next due actions (what the sweep would claim), for benchmarks."""
    return list(
        EscalationAction.objects.filter(status=EscalationAction.Status.PENDING, fire_at__lte=now)
        .order_by("fire_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _run(action: EscalationAction, ticket: Ticket, *, now: datetime) -> None:
    step = action.step
    metric = Metric(step.metric).label
    url = reverse("tickets:detail", args=[ticket.pk])
    if step.action == Action.WARN_ASSIGNEE:
        recipients = [ticket.assignee] if ticket.assignee_id else _supervisors()
        do_notify(
            recipients=recipients,
            kind="sla_warning",
            title=_("SLA 即将超时：%(number)s（%(metric)s）")
            % {"number": ticket.number, "metric": metric},
            body=ticket.subject,
            url=url,
        )
    elif step.action == Action.NOTIFY_SUPERVISOR:
        do_notify(
            recipients=_supervisors(),
            kind="sla_breach",
            title=_("SLA 已超时：%(number)s（%(metric)s）")
            % {"number": ticket.number, "metric": metric},
            body=_("%(subject)s · 处理人：%(assignee)s")
            % {
                "subject": ticket.subject,
                "assignee": ticket.assignee.display_name if ticket.assignee_id else "—",
            },
            url=url,
        )
    elif step.action == Action.RAISE_PRIORITY:
        _raise_priority(ticket)
    elif step.action == Action.REASSIGN:
        _reassign(ticket)


def _supervisors():
    return User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR).distinct()


def _raise_priority(ticket: Ticket) -> None:
    """One step up, through the same funnel as a manual change (the ticket is locked); the
    clock hears of it and recomputes."""
    ranked = sorted(Priority.values, key=lambda value: PRIORITY_RANK[value])
    index = ranked.index(ticket.priority)
    if index + 1 >= len(ranked):
        return
    do_ticket_change(ticket=ticket, actor=None, changes={"priority": ranked[index + 1]})


def _reassign(ticket: Ticket) -> None:
    """Give the overdue ticket to the next eligible member of its queue (the ticket is
    locked; the queue is locked while choosing, as routing does)."""
    if ticket.queue_id is None:
        return
    queue = Queue.objects.select_for_update().get(pk=ticket.queue_id)
    agent = pick_agent(queue, ticket, exclude={ticket.assignee_id or 0})
    if agent is None:
        return
    do_ticket_change(ticket=ticket, actor=None, changes={"assignee": agent})
    queue.last_assigned = agent
    queue.save(update_fields=["last_assigned"])
