"""Complaints are made through the ticket service, as in production, so each has its record."""

from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.models import Complaint
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.services import do_ticket_create


def make_complaint(*, actor=None, customer=None, **fields) -> Complaint:
    actor = actor or UserFactory(role="agent")
    values = {
        "channel": "phone",
        "type": "complaint",
        "subject": "冰箱安装后漏水，师傅三天未上门",
        "description": "客户来电反映：装好第二天就漏水。",
    }
    values.update(fields)
    ticket = do_ticket_create(actor=actor, customer=customer or CustomerFactory(), **values)
    return Complaint.objects.get(pk=ticket.pk)
