"""How notify hears of tickets (its place in each event's order is in tickets.events)."""

from huitou.tickets.events import (
    MessageAdded,
    MessageKind,
    TicketChanged,
    TicketClosed,
    TicketOpened,
    subscribe,
)
from huitou.tickets.models import DONE_STATUSES, Channel, Status, TicketType

from .models import Event
from .services import acknowledged_by_mail, do_progress_notify


def ticket_opened(event: TicketOpened) -> None:
    """Received: not when the mailbox's automatic answer already said so."""
    if not acknowledged_by_mail(event.ticket):
        do_progress_notify(event=Event.RECEIVED, ticket=event.ticket)


def ticket_changed(event: TicketChanged) -> None:
    ticket = event.ticket
    changes = event.changes
    if "department" in changes and ticket.type == TicketType.COMPLAINT and ticket.department_id:
        # 派单: the complaint record was saved (department, promised date) before the change.
        do_progress_notify(event=Event.DISPATCHED, ticket=ticket)
    old_status = changes.get("status")
    # Reopened by staff; a customer who reopened it by writing (no actor) knows already.
    if old_status in DONE_STATUSES and ticket.status == Status.OPEN and event.actor is not None:
        do_progress_notify(event=Event.REOPENED, ticket=ticket)


def message_added(event: MessageAdded) -> None:
    """A public reply, except on an e-mail ticket: there the reply itself is the e-mail."""
    if event.kind == MessageKind.PUBLIC_REPLY and event.ticket.channel != Channel.EMAIL:
        do_progress_notify(event=Event.PUBLIC_REPLY, ticket=event.ticket, message=event.message)


def ticket_closed(event: TicketClosed) -> None:
    if event.status == Status.RESOLVED:
        do_progress_notify(event=Event.RESOLVED, ticket=event.ticket)


def register() -> None:
    subscribe(TicketOpened, "notify.progress", ticket_opened)
    subscribe(TicketChanged, "notify.progress", ticket_changed)
    subscribe(MessageAdded, "notify.progress", message_added)
    subscribe(TicketClosed, "notify.progress", ticket_closed)
