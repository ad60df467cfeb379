"""The web form and the bot hand-off: who the ticket is filed under."""

import pytest

from huitou.customers.models import Customer
from huitou.tickets.models import Ticket

from .conftest import EMAIL, sign_in

pytestmark = pytest.mark.django_db


def test_a_signed_in_customers_web_ticket_goes_under_their_record(client, wang):
    sign_in(client)
    before = Customer.objects.count()
    client.post(
        "/help/ticket/",
        {"name": "王女士", "phone": "13700000000", "question": "发票怎么开", "details": "公司抬头"},
    )
    ticket = Ticket.objects.get(subject="发票怎么开")
    assert ticket.customer == wang and Customer.objects.count() == before
    assert (ticket.contact_email, ticket.contact_status) == (EMAIL, "verified")
    assert ticket.contact_phone == ""  # the other number is unproven: kept in the text only
    assert "13700000000" in ticket.description
    assert ticket.number in client.get("/help/my/").content.decode()


def test_a_guests_web_ticket_still_goes_under_a_new_visitor(client, wang):
    client.post("/help/ticket/", {"name": "冒充者", "email": EMAIL, "question": "退款"})
    ticket = Ticket.objects.get(subject="退款")
    assert ticket.customer != wang and ticket.contact_status == "unverified"


def test_the_help_pages_link_to_sign_in(client, wang):
    assert 'id="portal-link"' in client.get("/help/").content.decode()
    assert client.get("/help/my/")["Location"] == "/help/account/"
