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
from huitou.core.audit import do_audit_changes
from huitou.core.notifications import do_notify
from huitou.tickets.models import PRIORITY_RANK, Priority, Ticket

from .models import EscalationAction, EscalationStep, Metric

logger = logging.getLogger(__name__)
Action = EscalationStep.Action
BATCH = 200


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def do_escalation_sweep(
    *, now: datetime | None = None, worker: str = "", limit: int = 10_000
) -> int:
    """Run every pending action due by `now`; returns how many ran in this call."""
    now = now or timezone.now()
    worker = worker or worker_label()
    ran = 0
    while ran < limit:
        with transaction.atomic():
            actions = list(
                EscalationAction.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=EscalationAction.Status.PENDING, fire_at__lte=now)
                .select_related("step", "ticket__customer", "ticket__assignee")
                .order_by("fire_at", "pk")[:BATCH]
            )
            if not actions:
                break
            for action in actions:
                _run(action, now=now)
                action.status = EscalationAction.Status.DONE
                action.done_at = now
                action.worker = worker
            EscalationAction.objects.bulk_update(actions, ["status", "done_at", "worker"])
        ran += len(actions)
    return ran


def due_escalations(*, now: datetime, limit: int = BATCH) -> list[int]:
    """The ids of the next due actions (what the sweep would claim), for benchmarks."""
    return list(
        EscalationAction.objects.filter(status=EscalationAction.Status.PENDING, fire_at__lte=now)
        .order_by("fire_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _run(action: EscalationAction, *, now: datetime) -> None:
    step, ticket = action.step, action.ticket
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
    return User.objects.filter(is_active=True, groups__name="supervisor").distinct()


def _raise_priority(ticket: Ticket) -> None:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    ranked = sorted(Priority.values, key=lambda value: PRIORITY_RANK[value])
    index = ranked.index(ticket.priority)
    if index + 1 >= len(ranked):
        return
    new = ranked[index + 1]
    do_audit_changes(obj=ticket, actor=None, changes=[("priority", ticket.priority, new)])
    ticket.priority = new
    ticket.save(update_fields=["priority", "updated_at"])


def _reassign(ticket: Ticket) -> None:
    """Give the overdue ticket to the next eligible member of its queue."""
    from .routing import pick_agent

    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("queue", "customer")
        .get(pk=ticket.pk)
    )
    if ticket.queue is None:
        return
    agent = pick_agent(ticket.queue, ticket, exclude={ticket.assignee_id or 0})
    if agent is None:
        return
    do_audit_changes(obj=ticket, actor=None, changes=[("assignee", ticket.assignee, agent)])
    ticket.assignee = agent
    ticket.save(update_fields=["assignee", "updated_at"])
