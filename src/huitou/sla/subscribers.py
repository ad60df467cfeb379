"""How the SLA clock and routing hear of tickets and customers (the order is stated in
tickets.events and customers.events)."""

from huitou.customers.events import CustomersRetiered
from huitou.customers.events import subscribe as subscribe_customers
from huitou.tickets.events import (
    MessageAdded,
    MessageKind,
    TicketChanged,
    TicketOpened,
    subscribe,
)

from .clock import (
    do_sla_customer_message,
    do_sla_first_response,
    do_sla_recompute,
    do_sla_recompute_for_customers,
    do_sla_start,
    do_sla_status_changed,
)
from .routing import do_ticket_requeue, do_ticket_route


def start_clock(event: TicketOpened) -> None:
    do_sla_start(ticket=event.ticket)


def route(event: TicketOpened) -> None:
    do_ticket_route(ticket=event.ticket)


def requeue(event: TicketChanged) -> None:
    """The ticket now belongs to another customer (a verified contact): maybe another tier."""
    if "customer" in event.changes and event.ticket.is_open:
        do_ticket_requeue(ticket=event.ticket)


def clock(event: TicketChanged) -> None:
    ticket, changes = event.ticket, event.changes
    if "status" in changes:
        do_sla_status_changed(ticket=ticket, old_status=changes["status"], now=event.now)
    if {"priority", "type"} & set(changes) or ("customer" in changes and ticket.is_open):
        do_sla_recompute(ticket=ticket, now=event.now)


def response_clock(event: MessageAdded) -> None:
    if event.kind == MessageKind.PUBLIC_REPLY:
        do_sla_first_response(ticket=event.ticket, at=event.message.created_at)
    elif event.kind == MessageKind.CUSTOMER:
        do_sla_customer_message(ticket=event.ticket, at=event.message.created_at)


def retiered(event: CustomersRetiered) -> None:
    do_sla_recompute_for_customers(customer_ids=event.customer_ids)


def register() -> None:
    subscribe(TicketOpened, "sla.start_clock", start_clock)
    subscribe(TicketOpened, "sla.route", route)
    subscribe(TicketChanged, "sla.requeue", requeue)
    subscribe(TicketChanged, "sla.clock", clock)
    subscribe(MessageAdded, "sla.response_clock", response_clock)
    subscribe_customers(CustomersRetiered, "sla.retier", retiered)
