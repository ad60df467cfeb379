"""How the complaint flow hears of tickets (see tickets.events for the order)."""

from huitou.customers.holders import PersonalDataHolder, model_rows, register_holder
from huitou.customers.models import Customer
from huitou.tickets.events import TicketChanged, TicketOpened, subscribe
from huitou.tickets.models import TicketType
from huitou.tickets.selectors import register_history_model

from .models import Complaint
from .services import complaint_for_ticket_type_change, do_complaint_dispatch, do_complaint_open


def open_record(event: TicketOpened) -> None:
    """A complaint ticket gets its record; one filed for a responsible department is
    dispatched to it at once."""
    if event.ticket.type != TicketType.COMPLAINT:
        return
    complaint = do_complaint_open(actor=event.actor, ticket=event.ticket)
    if event.dispatch_to is not None:
        do_complaint_dispatch(actor=event.actor, complaint=complaint, department=event.dispatch_to)
        event.ticket.refresh_from_db()  # the dispatch changed the ticket through its own copy


def type_changed(event: TicketChanged) -> None:
    if "type" in event.changes:
        complaint_for_ticket_type_change(
            actor=event.actor, ticket=event.ticket, new_type=event.ticket.type
        )


def export(customer: Customer) -> list[dict]:
    return model_rows(Complaint.objects.filter(ticket__customer=customer))


def register() -> None:
    register_holder(PersonalDataHolder(name="complaints", export=export))
    # A complaint ticket's history includes its complaint record's.
    register_history_model(Complaint, applies=lambda ticket: ticket.type == TicketType.COMPLAINT)
    subscribe(TicketOpened, "complaints.open_record", open_record)
    subscribe(TicketChanged, "complaints.type_changed", type_changed)
