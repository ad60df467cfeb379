"""Tickets and messages are made through the services, as in production: a ticket is
routed, its SLA clock runs, a complaint has its record; a status is reached by the
transitions a user would make. Only times in the past are set directly afterwards."""

import factory

from huitou.accounts.tests.factories import desk_user
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Message, Ticket
from huitou.tickets.services import (
    do_customer_message_add,
    do_message_add,
    do_ticket_create,
    do_ticket_update,
)

# Times a test may put in the past; no service takes them.
TIMESTAMPS = ("created_at", "updated_at", "resolved_at", "closed_at")


class TicketFactory(factory.django.DjangoModelFactory):
    """TicketFactory(status="resolved", assignee=..., created_at=...): `actor` (default: the
    factories' admin, desk_user) files the ticket and moves it to `status`."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    channel = "phone"
    type = "consultation"
    subject = factory.Sequence(lambda n: f"咨询冰箱保修期 {n}")
    priority = "normal"

    @classmethod
    def _create(cls, model_class, *args, actor=None, status=None, **kwargs):
        actor = actor or desk_user()
        times = {field: kwargs.pop(field) for field in TIMESTAMPS if field in kwargs}
        ticket = do_ticket_create(actor=actor, **kwargs)
        ticket.refresh_from_db()  # routing and the complaint record may have moved it on
        if status is not None and status != ticket.status:
            if ticket.type == "complaint":
                raise ValueError(
                    "A complaint's status moves through its flow: file it with a responsible "
                    "department= to have it dispatched (open), or use make_complaint and the "
                    "complaint services (huitou.complaints.tests.factories)."
                )
            ticket = do_ticket_update(actor=actor, ticket=ticket, changes={"status": status})
        if times:
            # Tests need tickets filed or closed in the past; production stamps only "now".
            Ticket.objects.filter(pk=ticket.pk).update(**times)
        ticket.refresh_from_db()
        return ticket


class MessageFactory(factory.django.DjangoModelFactory):
    """A customer's message by default; sender="staff" is a reply (public) or a note."""

    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    body = "您好，请问冰箱保修几年？"
    sender = Message.Sender.CUSTOMER
    public = True

    @classmethod
    def _create(cls, model_class, *args, ticket, body, sender, public, actor=None, **kwargs):
        assert not kwargs, f"MessageFactory cannot set {sorted(kwargs)}"
        if sender == Message.Sender.CUSTOMER:
            return do_customer_message_add(ticket=ticket, body=body)
        return do_message_add(actor=actor or desk_user(), ticket=ticket, body=body, public=public)
