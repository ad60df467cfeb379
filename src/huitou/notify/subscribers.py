"""How notify hears of tickets (its place in each event's order is in tickets.events).

Each notification is queued in a savepoint: one that cannot be made (a template an admin
broke by hand in the shell, an unexpected value) is logged and skipped, and never undoes
the ticket's own change, which is the point of the transaction."""

import logging

from django.db import transaction

from huitou.tickets.events import (
    MessageAdded,
    MessageKind,
    TicketChanged,
    TicketClosed,
    TicketOpened,
    subscribe,
)
from huitou.tickets.models import DONE_STATUSES, Channel, Status, TicketType

from . import personal_data
from .models import Event
from .services import LOOK_UP, acknowledged_by_mail, do_progress_notify, ticket_mailbox

logger = logging.getLogger(__name__)


def notify_safely(*, event: str, ticket, message=None, mailbox=LOOK_UP) -> None:
    try:
        with transaction.atomic():
            do_progress_notify(event=event, ticket=ticket, message=message, mailbox=mailbox)
    except Exception:  # whatever went wrong, the ticket's change must stand
        logger.exception("notification %s for ticket %s not queued", event, ticket.pk)


def ticket_opened(event: TicketOpened) -> None:
    """Received: not when the mailbox's automatic answer already said so."""
    mailbox = ticket_mailbox(event.ticket)  # looked up once: it also sends the notification
    if not acknowledged_by_mail(mailbox):
        notify_safely(event=Event.RECEIVED, ticket=event.ticket, mailbox=mailbox)


def ticket_changed(event: TicketChanged) -> None:
    ticket = event.ticket
    changes = event.changes
    if "department" in changes and ticket.type == TicketType.COMPLAINT and ticket.department_id:
        # 派单: the complaint record was saved (department, promised date) before the change.
        notify_safely(event=Event.DISPATCHED, ticket=ticket)
    old_status = changes.get("status")
    # Reopened by staff; a customer who reopened it by writing (no actor) knows already.
    if old_status in DONE_STATUSES and ticket.status == Status.OPEN and event.actor is not None:
        notify_safely(event=Event.REOPENED, ticket=ticket)


def message_added(event: MessageAdded) -> None:
    """A public reply, except on an e-mail ticket: there the reply itself is the e-mail."""
    if event.kind == MessageKind.PUBLIC_REPLY and event.ticket.channel != Channel.EMAIL:
        notify_safely(event=Event.PUBLIC_REPLY, ticket=event.ticket, message=event.message)


def ticket_closed(event: TicketClosed) -> None:
    if event.status == Status.RESOLVED:
        notify_safely(event=Event.RESOLVED, ticket=event.ticket)


def register() -> None:
    subscribe(TicketOpened, "notify.progress", ticket_opened)
    subscribe(TicketChanged, "notify.progress", ticket_changed)
    subscribe(MessageAdded, "notify.progress", message_added)
    subscribe(TicketClosed, "notify.progress", ticket_closed)
    personal_data.register()
