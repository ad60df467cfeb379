"""What happens to a ticket, told to the apps above tickets.

Only tickets.funnel emits these, after it has saved and audited the change. Subscribers
(sla, complaints, and later channels, surveys, care) register by name from their
AppConfig.ready(); TICKET_EVENTS below is the one place that says who runs, in which order
and in which phase. Events carry the locked, saved ticket; an IN_TRANSACTION subscriber
may change it further, but only through tickets.funnel."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from huitou.core.events import EventTable, Phase, Slot

from .models import Message, Ticket


class MessageKind(StrEnum):
    CUSTOMER = "customer"  # the customer wrote (portal, e-mail, chat)
    PUBLIC_REPLY = "public_reply"  # staff answered the customer
    INTERNAL_NOTE = "internal_note"  # staff wrote for staff


@dataclass(frozen=True)
class TicketOpened:
    """A ticket was created, on any channel. `dispatch_to` is the responsible department
    a complaint was filed for: the complaint flow dispatches it (派单)."""

    ticket: Ticket
    actor: Any  # a user, or None for a channel or the system
    dispatch_to: Any = None


@dataclass(frozen=True)
class TicketChanged:
    """Fields of a ticket changed. `changes` maps each changed field to its old value;
    the ticket holds the new ones."""

    ticket: Ticket
    actor: Any
    changes: Mapping[str, Any] = field(default_factory=dict)
    now: datetime | None = None


@dataclass(frozen=True)
class MessageAdded:
    """A message joined the thread (after any status change it caused)."""

    ticket: Ticket
    message: Message
    kind: MessageKind
    actor: Any


@dataclass(frozen=True)
class TicketClosed:
    """The ticket's work is done: it entered resolved or closed from an open status."""

    ticket: Ticket
    actor: Any
    status: str
    now: datetime


IN_TRANSACTION, ON_COMMIT = Phase.IN_TRANSACTION, Phase.ON_COMMIT

TICKET_EVENTS = EventTable(
    {
        TicketOpened: (
            Slot("sla.start_clock", IN_TRANSACTION, "due times from tier, type, priority, channel"),
            Slot(
                "complaints.open_record",
                IN_TRANSACTION,
                "the complaint record; dispatch when filed for a department, which needs the "
                "clock's policy for its due time",
            ),
            Slot(
                "sla.route",
                IN_TRANSACTION,
                "queue and agent, last: queues may ask for the department a dispatch sets",
            ),
            Slot("notify.progress", IN_TRANSACTION, "tell the customer it was received"),
            Slot("chat.live", ON_COMMIT, "staff screens: a new ticket in the inbox"),
        ),
        TicketChanged: (
            Slot("sla.requeue", IN_TRANSACTION, "another customer (tier): the queue it gives"),
            Slot("sla.clock", IN_TRANSACTION, "pause, resume, stop; new policy and due times"),
            Slot(
                "complaints.type_changed",
                IN_TRANSACTION,
                "open or drop the complaint record; refuses once its flow has begun",
            ),
            Slot("notify.progress", IN_TRANSACTION, "dispatched (promised date), reopened"),
            Slot(
                "chat.session",
                IN_TRANSACTION,
                "a live chat follows its ticket: assigned → served, unassigned → waiting, "
                "resolved or closed → ended",
            ),
            Slot("chat.live", ON_COMMIT, "staff screens and the chat: who changed what"),
        ),
        MessageAdded: (
            Slot("sla.response_clock", IN_TRANSACTION, "first and next response times"),
            Slot(
                "mail.send_reply",
                IN_TRANSACTION,
                "a public reply on an e-mail ticket joins the outbox with the message, so it "
                "is sent exactly when the message exists (the send itself is the worker's)",
            ),
            Slot(
                "wechat.send_reply",
                IN_TRANSACTION,
                "a person's public reply on a WeChat conversation is recorded with the message "
                "(sent once, after commit, by the worker); a closed 48-hour window is recorded",
            ),
            Slot("notify.progress", IN_TRANSACTION, "a public reply on a non-e-mail ticket"),
            Slot("chat.session", IN_TRANSACTION, "the customer's last word (reply windows)"),
            Slot(
                "chat.live",
                ON_COMMIT,
                "the stored message to the customer's chat (public ones) and staff screens",
            ),
        ),
        TicketClosed: (
            Slot("notify.progress", IN_TRANSACTION, "resolved: how to reopen"),
            Slot(
                "surveys.invite",
                IN_TRANSACTION,
                "the rating invitation, once per ticket; made with the resolution, so it "
                "exists exactly when the resolution does",
            ),
        ),
    }
)


def subscribe(event_type: type, name: str, handler) -> None:
    TICKET_EVENTS.subscribe(event_type, name, handler)
