"""The ticket write funnel: the only code that sets a ticket's owned fields (status,
priority, type, assignee, department, queue), saves the ticket and audits it.

Services (tickets.services, the complaint flow, routing, escalation, channels) decide who
may do what; then they call the funnel, which keeps the ticket's own invariants (legal
status moves, who may hold a ticket), saves, writes the history and emits the events of
tickets.events. Callers pass a ticket they locked (lock_ticket) inside their transaction."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_choice
from huitou.core.numbering import next_number

from .events import (
    TICKET_EVENTS,
    MessageAdded,
    MessageKind,
    TicketChanged,
    TicketClosed,
    TicketOpened,
)
from .models import (
    DONE_STATUSES,
    Channel,
    ContactStatus,
    Direction,
    ForbiddenPhraseUse,
    Message,
    Priority,
    Status,
    Ticket,
    TicketType,
)

TICKET_NUMBER_PREFIX = "T"
OWNED_FIELDS = ("status", "priority", "type", "assignee", "department", "queue")
# Also changed only here: the text, the customer it belongs to and its contact copy.
CHANGEABLE_FIELDS = (
    *OWNED_FIELDS,
    "subject",
    "description",
    "customer",
    "contact_status",
)
CHOICES = {"priority": Priority, "type": TicketType, "status": Status}
ASSIGNABLE_ROLES = {Role.AGENT, Role.SUPERVISOR, Role.HANDLER, Role.ADMIN}

# Which status may follow which. Leaving resolved/closed for open is a reopen.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.PENDING: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


def lock_ticket(ticket_id: int, *, related: Iterable[str] = ()) -> Ticket:
    """The ticket row, locked until the transaction ends."""
    queryset = Ticket.objects.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=ticket_id)


def check_may_hold(*, assignee: User | None, department_id: int | None) -> None:
    """Whether `assignee` may hold a ticket of `department_id` at all, whoever assigns it:
    a person who works tickets; a handler only their own department's."""
    if assignee is None:
        return
    if assignee.is_service_account:
        raise DomainError(_("服务账号（例如智能客服机器人）不能处理工单。"), field="assignee")
    if not assignee.is_active or assignee.role not in ASSIGNABLE_ROLES:
        raise DomainError(_("该用户不能处理工单。"), field="assignee")
    # A handler only sees their department's tickets, so may only own those.
    if assignee.role == Role.HANDLER and (
        department_id is None or assignee.department_id != department_id
    ):
        raise DomainError(_("处理人不属于该工单的责任部门。"), field="assignee")


def check_status_move(ticket: Ticket, new_status: str) -> None:
    if new_status not in STATUS_TRANSITIONS[ticket.status]:
        raise ConflictError(
            _("工单不能从“%(old)s”变为“%(new)s”。")
            % {"old": Status(ticket.status).label, "new": Status(new_status).label},
            field="status",
            code="illegal_transition",
        )


def do_ticket_open(
    *,
    actor,
    customer,
    channel: str,
    type: str,
    subject: str,
    description: str = "",
    priority: str = Priority.NORMAL,
    department=None,
    assignee: User | None = None,
    direction: str = Direction.INBOUND,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    contact_status: str = ContactStatus.STAFF,
    dispatch_to=None,
) -> Ticket:
    """Create the ticket (texts already checked by the caller), audit it, tell subscribers."""
    ticket = Ticket(
        customer=customer,
        channel=check_choice(channel, Channel, "channel"),
        type=check_choice(type, TicketType, "type"),
        direction=check_choice(direction, Direction, "direction"),
        subject=subject,
        description=description,
        priority=check_choice(priority, Priority, "priority"),
        department=department,
        assignee=assignee,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        contact_status=check_choice(contact_status, ContactStatus, "contact_status"),
        created_by=actor,
    )
    check_may_hold(assignee=assignee, department_id=ticket.department_id)
    ticket.number = next_number(prefix=TICKET_NUMBER_PREFIX)
    ticket.save()
    do_audit_record(obj=ticket, actor=actor, action="created", new=ticket.number)
    TICKET_EVENTS.emit(TicketOpened(ticket=ticket, actor=actor, dispatch_to=dispatch_to))
    return ticket


def do_ticket_change(
    *,
    ticket: Ticket,
    actor,
    changes: dict[str, Any],
    now: datetime | None = None,
    touch: bool = True,
) -> dict[str, Any]:
    """Apply `changes` (field → new value) to the locked `ticket`; returns field → old value
    of what really changed. A department change lets go of a handler of the old department
    unless the same change names the assignee. `touch` False leaves updated_at (a system
    queue move is not activity on the ticket)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("do_ticket_change needs the caller's transaction and lock")
    unknown = set(changes) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise DomainError(_("该字段不可修改。"), field=sorted(unknown)[0])
    now = now or timezone.now()
    changes = dict(changes)
    if (
        "department" in changes
        and "assignee" not in changes
        and changes["department"] != ticket.department
        and ticket.assignee is not None
        and ticket.assignee.role == Role.HANDLER
        and ticket.assignee.department_id != getattr(changes["department"], "pk", None)
    ):
        # The old department's handler loses sight of it; the history reads department,
        # then the let-go assignee, as the services have always written it.
        reordered: dict[str, Any] = {}
        for key, value in changes.items():
            reordered[key] = value
            if key == "department":
                reordered["assignee"] = None
        changes = reordered
    diffs: list[tuple[str, Any, Any]] = []
    saved: list[str] = []
    reopened = closed = False
    # In the caller's order (its history reads that way); who may hold the ticket is
    # checked once everything is set.
    for name in changes:
        new = changes[name]
        old = getattr(ticket, name)
        if new == old:
            continue
        if name in ("priority", "type", "status"):
            new = check_choice(new, CHOICES[name], name)
        if name == "status":
            check_status_move(ticket, new)
            if new == Status.RESOLVED:
                ticket.resolved_at = now
            elif new == Status.CLOSED:
                ticket.closed_at = now
                ticket.resolved_at = ticket.resolved_at or now
            elif old in DONE_STATUSES:
                reopened = True
                ticket.resolved_at = ticket.closed_at = None
            closed = new in DONE_STATUSES and old not in DONE_STATUSES
            saved += ["resolved_at", "closed_at"]
        diffs.append((name, old, new))
        saved.append(name)
        setattr(ticket, name, new)
    if not diffs:
        return {}
    if "assignee" in saved or "department" in saved:
        check_may_hold(assignee=ticket.assignee, department_id=ticket.department_id)
    ticket.save(update_fields=[*dict.fromkeys(saved), *(["updated_at"] if touch else [])])
    do_audit_changes(obj=ticket, actor=actor, changes=diffs)
    if reopened:
        do_audit_record(obj=ticket, actor=actor, action="reopened")
    old_values = {name: old for name, old, _new in diffs}
    TICKET_EVENTS.emit(TicketChanged(ticket=ticket, actor=actor, changes=old_values, now=now))
    if closed:
        TICKET_EVENTS.emit(TicketClosed(ticket=ticket, actor=actor, status=ticket.status, now=now))
    return old_values


def do_message_record(
    *,
    ticket: Ticket,
    actor,
    body: str,
    kind: MessageKind,
    forbidden_hits: Iterable = (),
    original_body: str = "",
    attachments: Iterable = (),
) -> Message:
    """Thread a message (body already checked) on the locked `ticket`. A public reply is the
    first response if none came before and opens a new ticket; a customer's message makes a
    ticket waiting on them, or resolved, active again (a complaint's status stays with its
    flow). `attachments` are unsaved Attachment rows (tickets.attachments builds them).
    Then subscribers hear of the message."""
    customer = kind == MessageKind.CUSTOMER
    message = Message.objects.create(
        ticket=ticket,
        author=None if customer else actor,
        sender=Message.Sender.CUSTOMER if customer else Message.Sender.STAFF,
        public=kind != MessageKind.INTERNAL_NOTE,
        body=body,
        original_body=original_body if original_body != body else "",
    )
    for attachment in attachments:
        attachment.ticket, attachment.message = ticket, message
        attachment.save()
    hits = list(forbidden_hits)
    if hits:
        ForbiddenPhraseUse.objects.bulk_create(
            ForbiddenPhraseUse(message=message, phrase_id=hit.phrase_id, author=actor)
            for hit in hits
        )
    if kind == MessageKind.PUBLIC_REPLY:
        if ticket.first_response_at is None:
            ticket.first_response_at = message.created_at
            ticket.save(update_fields=["first_response_at", "updated_at"])
        if ticket.status == Status.NEW:
            do_ticket_change(
                ticket=ticket, actor=actor, changes={"status": Status.OPEN}, now=message.created_at
            )
    elif customer and (
        ticket.status == Status.PENDING
        or (ticket.status == Status.RESOLVED and ticket.type != TicketType.COMPLAINT)
    ):
        do_ticket_change(
            ticket=ticket, actor=None, changes={"status": Status.OPEN}, now=message.created_at
        )
    if not customer:
        action = "replied" if kind == MessageKind.PUBLIC_REPLY else "noted"
        do_audit_record(obj=ticket, actor=actor, action=action, new=message.pk)
    TICKET_EVENTS.emit(MessageAdded(ticket=ticket, message=message, kind=kind, actor=actor))
    return message
