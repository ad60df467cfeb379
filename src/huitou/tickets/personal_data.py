"""What tickets hold of a customer, for the personal-data export, erasure and retention
(customers.holders)."""

from datetime import datetime

from django.db.models import Q, QuerySet

from huitou.customers.holders import PersonalDataHolder, model_rows, register_holder
from huitou.customers.models import Customer

from .models import DONE_STATUSES, Ticket
from .services import do_ticket_contact_anonymise


def export(customer: Customer) -> list[dict]:
    """The customer's tickets with their public messages (internal notes are the staff's
    working notes, not the customer's data)."""
    tickets = Ticket.objects.filter(customer=customer).order_by("created_at", "pk")
    return [
        {
            **row,
            "messages": model_rows(
                ticket.messages.filter(public=True).order_by("created_at", "pk")
            ),
        }
        for ticket, row in zip(tickets, model_rows(tickets), strict=True)
    ]


def active_customers(cutoff: datetime) -> QuerySet:
    """Customers with a ticket touched since `cutoff`, or one still open."""
    return Ticket.objects.filter(Q(updated_at__gte=cutoff) | ~Q(status__in=DONE_STATUSES)).values(
        "customer_id"
    )


def register() -> None:
    register_holder(
        PersonalDataHolder(
            name="tickets",
            export=export,
            erase=do_ticket_contact_anonymise,
            active_customers=active_customers,
        )
    )
