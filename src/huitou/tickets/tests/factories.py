import factory

from huitou.core.numbering import next_number
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Message, Ticket


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.LazyFunction(lambda: next_number(prefix="T"))
    customer = factory.SubFactory(CustomerFactory)
    channel = "phone"
    type = "consultation"
    subject = factory.Sequence(lambda n: f"咨询冰箱保修期 {n}")
    priority = "normal"
    status = "new"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    body = "您好，请问冰箱保修几年？"
    sender = Message.Sender.CUSTOMER
    public = True
