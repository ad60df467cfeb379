"""Routing (路由) and fair assignment: the queue by tier and skill, then round-robin or
least-open among the members who are on duty and below their capacity [001, 003]."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.core.errors import DomainError, check_text
from huitou.core.permissions import check_permission
from huitou.tickets.events import MessageKind
from huitou.tickets.funnel import check_may_hold, do_message_record, do_ticket_change, lock_ticket
from huitou.tickets.models import DONE_STATUSES, Ticket, TicketType
from huitou.tickets.services import check_ticket_visible

from .models import AgentStatus, Queue


def queue_fits(queue: Queue, ticket: Ticket) -> bool:
    """Whether the ticket meets the queue's conditions (tier, type, department, channel)."""
    return (
        (not queue.tier or queue.tier == ticket.customer.tier)
        and (not queue.ticket_type or queue.ticket_type == ticket.type)
        and (not queue.department_id or queue.department_id == ticket.department_id)
        and (not queue.channel or queue.channel == ticket.channel)
    )


def queue_for(ticket: Ticket) -> Queue | None:
    """The first active queue, by order, whose tier, type and department fit the ticket."""
    for queue in Queue.objects.filter(active=True).order_by("order", "id"):
        if queue_fits(queue, ticket):
            return queue
    return None


def eligible_agents(queue: Queue, ticket: Ticket, *, exclude: set[int] = frozenset()):
    """Members who may take `ticket` now, with their open-ticket counts, in member order."""
    members = [
        member
        # A service account (the FAQ bot) put in a queue is never handed tickets.
        for member in queue.members.filter(is_active=True, is_service_account=False).order_by("pk")
        if member.pk not in exclude
    ]
    statuses = {status.user_id: status for status in AgentStatus.objects.filter(user__in=members)}
    counts = dict(
        Ticket.objects.filter(assignee__in=members)
        .exclude(status__in=DONE_STATUSES)
        .values("assignee")
        .annotate(n=Count("id"))
        .values_list("assignee", "n")
    )
    eligible = []
    for member in members:
        status = statuses.get(member.pk) or AgentStatus(user=member)  # defaults: on duty
        if not status.on_duty or counts.get(member.pk, 0) >= status.capacity:
            continue
        if status.skills and ticket.type not in status.skills:
            continue
        eligible.append((member, counts.get(member.pk, 0)))
    return eligible


def pick_agent(queue: Queue, ticket: Ticket, *, exclude: set[int] = frozenset()) -> User | None:
    if queue.strategy == Queue.Strategy.PULL:  # its tickets wait until someone accepts
        return None
    candidates = eligible_agents(queue, ticket, exclude=exclude)
    if not candidates:
        return None
    last = queue.last_assigned_id or 0
    # Rotation order: members after the last one assigned come first.
    rotation = sorted(candidates, key=lambda pair: (pair[0].pk <= last, pair[0].pk))
    if queue.strategy == Queue.Strategy.LEAST_OPEN:
        return min(rotation, key=lambda pair: pair[1])[0]
    return rotation[0][0]


def do_ticket_route(*, ticket: Ticket) -> Ticket:
    """Put a ticket in its queue and, unless someone already has it, assign it.

    The queue row is locked while choosing, so tickets created at the same moment are
    handed out one after another and never to the same "next" agent twice."""
    queue = queue_for(ticket)
    if queue is None or queue.pk == ticket.queue_id:
        return ticket
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    changes = {"queue": queue}
    agent = pick_agent(queue, ticket) if ticket.assignee_id is None else None
    if agent is not None:
        changes["assignee"] = agent
    # Routing is the system placing the ticket, not activity on it: updated_at stays.
    do_ticket_change(ticket=ticket, actor=None, changes=changes, touch=False)
    if agent is not None:
        queue.last_assigned = agent
        queue.save(update_fields=["last_assigned"])
    return ticket


def do_ticket_requeue(*, ticket: Ticket) -> bool:
    """The customer's tier changed (or the ticket found its real customer): the ticket
    moves to the queue the rules give now when its queue's conditions no longer hold (a
    former A customer's ticket at the VIP desk) or when its new tier has a queue of its
    own (a new A customer's ticket goes to the VIP desk). Other transfers stand. Whoever
    works on the ticket keeps it; an unassigned one is offered to the new queue."""
    target = queue_for(ticket)
    fits = ticket.queue is not None and queue_fits(ticket.queue, ticket)
    if target == ticket.queue or (fits and not (target and target.tier)):
        return False
    if target is None:  # no queue takes it any more
        do_ticket_change(ticket=ticket, actor=None, changes={"queue": None}, touch=False)
    else:
        do_ticket_route(ticket=ticket)
    return True


def do_tickets_requeue_for_customers(*, customer_ids) -> int:
    """A customer's tier changed: re-queue their open tickets (do_ticket_requeue)."""
    tickets = (
        Ticket.objects.filter(customer_id__in=list(customer_ids))
        .exclude(status__in=DONE_STATUSES)
        .select_related("customer", "queue", "assignee")
    )
    moved = 0
    for ticket in tickets.iterator(chunk_size=500):
        moved += do_ticket_requeue(ticket=ticket)
    return moved


@transaction.atomic
def do_ticket_transfer(
    *, actor, ticket: Ticket, reason: str, assignee: User | None = None, queue: Queue | None = None
) -> Ticket:
    """Move a ticket to another agent or queue (转派), saying why. Supervisors may move any
    ticket; an agent may hand on their own."""
    check_permission(actor, "tickets.change_ticket")
    if not actor.has_perm("tickets.assign_ticket") and ticket.assignee_id != actor.pk:
        raise PermissionDenied(_("只能转派自己的工单，或请主管转派。"))
    reason = check_text((reason or "").strip(), field="reason", max_length=500)
    if not reason:
        raise DomainError(_("转派须说明原因。"), field="reason")
    if assignee is None and queue is None:
        raise DomainError(_("请选择转派给谁或哪个队列。"), field="assignee")
    ticket = lock_ticket(ticket.pk, related=("customer", "assignee", "queue", "department"))
    check_ticket_visible(actor=actor, ticket=ticket)
    if not actor.has_perm("tickets.assign_ticket") and ticket.assignee_id != actor.pk:
        raise PermissionDenied(_("只能转派自己的工单，或请主管转派。"))
    if queue is not None and queue.tier and queue.tier != ticket.customer.tier:
        raise DomainError(
            _("队列“%(queue)s”只接收 %(tier)s 类客户的工单，该客户是 %(current)s 类。")
            % {"queue": queue.name, "tier": queue.tier, "current": ticket.customer.tier},
            field="queue",
        )
    changes = {}
    if queue is not None and queue.pk != ticket.queue_id:
        changes["queue"] = queue
    if assignee is None and queue is not None:
        queue = Queue.objects.select_for_update().get(pk=queue.pk)
        exclude = {ticket.assignee_id} if ticket.assignee_id else set()
        assignee = pick_agent(queue, ticket, exclude=exclude)
        if assignee is not None:
            queue.last_assigned = assignee
            queue.save(update_fields=["last_assigned"])
    if assignee is None and queue is not None and ticket.assignee_id is not None:
        # Nobody in the queue can take it now: it waits there, unassigned, not with the
        # person who handed it on.
        changes["assignee"] = None
    if assignee is not None and assignee.pk != ticket.assignee_id:
        # The transfer rules above decided who may transfer what; the person receiving it
        # must still be someone who may hold this ticket.
        check_may_hold(assignee=assignee, department_id=ticket.department_id)
        changes["assignee"] = assignee
    if not changes:
        raise DomainError(_("工单已在该处理人或队列。"), field="assignee")
    do_ticket_change(ticket=ticket, actor=actor, changes=changes)
    do_message_record(
        ticket=ticket,
        actor=actor,
        body=_("转派原因：%(reason)s") % {"reason": reason},
        kind=MessageKind.INTERNAL_NOTE,
    )
    return ticket


@transaction.atomic
def do_agent_status_set(
    *, actor, user: User, on_duty: bool | None = None, capacity: int | None = None, skills=None
) -> AgentStatus:
    """On/off duty, capacity and skills. Agents set their own duty; supervisors anyone's."""
    # Those who work tickets go on and off duty; QA and managers are never routed tickets.
    check_permission(actor, "tickets.change_ticket")
    if actor.pk != user.pk or capacity is not None or skills is not None:
        check_permission(actor, "tickets.assign_ticket")
    status, _created = AgentStatus.objects.select_for_update().get_or_create(user=user)
    if on_duty is not None:
        status.on_duty = on_duty
    if capacity is not None:
        status.capacity = capacity
    if skills is not None:
        status.skills = list(dict.fromkeys(skills))
    check_agent_status(status)
    status.save()
    return status


def check_agent_status(status: AgentStatus) -> None:
    """The rules an agent's status keeps, wherever it is written (API, admin)."""
    if not isinstance(status.capacity, int) or not 0 <= status.capacity <= 1000:
        raise DomainError(_("容量必须在 0 到 1000 之间。"), field="capacity")
    unknown = [skill for skill in status.skills or [] if skill not in TicketType.values]
    if unknown:
        raise DomainError(_("未知的技能：%(skill)s。") % {"skill": unknown[0]}, field="skills")
