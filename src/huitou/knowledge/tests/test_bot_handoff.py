"""Who a bot hand-off is filed for: a signed-in portal customer's own record; an anonymous
visitor's name and contact (unproven, so never an existing customer's record until the code
proves it), one visitor record per conversation and browser session."""

import json
import re

import pytest
from django.core import mail

from huitou.customers.models import Customer
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.models import BotConversation, BotTurn
from huitou.knowledge.services import do_faq_save
from huitou.knowledge.verification import do_contact_code_check, do_contact_code_send
from huitou.portal.selectors import SESSION_KEY
from huitou.tickets.models import ContactStatus, Ticket

pytestmark = pytest.mark.django_db

WANG_EMAIL = "wang@example.com"
GUEST = {"name": "李先生", "email": WANG_EMAIL}


@pytest.fixture
def wang():
    return CustomerFactory(name="王女士", email=WANG_EMAIL, phone="13800138000")


def ask(client, question, conversation=None, **contact):
    body = {"question": question, **contact}
    if conversation:
        body["conversation"] = conversation
    return client.post("/api/v1/bot/ask", json.dumps(body), content_type="application/json")


def sign_in(client, customer):
    session = client.session
    session[SESSION_KEY] = {"customer": customer.pk, "channel": "email", "to": customer.email}
    session.save()


def test_a_signed_in_customers_hand_off_is_their_own_ticket_with_their_proven_contact(client, wang):
    sign_in(client, wang)
    customers = Customer.objects.count()
    response = ask(client, "转人工")
    assert response.status_code == 200, response.json()
    body = response.json()
    ticket = Ticket.objects.get(channel="chat")
    assert ticket.customer == wang and Customer.objects.count() == customers
    assert (ticket.contact_email, ticket.contact_status) == (WANG_EMAIL, ContactStatus.VERIFIED)
    assert body["ticket_number"] == ticket.number
    assert body["ticket_url"] == f"/help/my/{ticket.pk}/" and body["verify_url"] is None


def test_an_anonymous_hand_off_without_a_contact_is_refused_and_nothing_is_kept(client):
    customers = Customer.objects.count()
    response = ask(client, "转人工")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "contact"
    assert response.json()["detail"][0]["type"] == "contact_required"
    missing_name = ask(client, "转人工", phone="13700137000")
    assert missing_name.status_code == 422 and missing_name.json()["detail"][0]["loc"][-1] == "name"
    bad_phone = ask(client, "转人工", name="李先生", phone="123")
    assert bad_phone.status_code == 422 and bad_phone.json()["detail"][0]["loc"][-1] == "phone"
    bad_email = ask(client, "转人工", name="李先生", email="not-an-address")
    assert bad_email.status_code == 422 and bad_email.json()["detail"][0]["loc"][-1] == "email"
    assert not Ticket.objects.exists() and Customer.objects.count() == customers
    assert not BotConversation.objects.exists() and not BotTurn.objects.exists()


def test_an_answered_question_needs_no_contact(client):
    do_faq_save(actor=None, category="物流", question="运费怎么算？", answer="满 99 元包邮。")
    response = ask(client, "运费怎么算")
    assert response.status_code == 200 and response.json()["handoff"] is False
    assert response.json()["ticket_url"] is None and not Customer.objects.exists()


def test_an_anonymous_hand_off_is_a_visitors_unverified_ticket_with_a_private_link(client, wang):
    body = ask(client, "转人工", **GUEST).json()
    ticket = Ticket.objects.get(channel="chat")
    assert ticket.customer != wang and not ticket.customer.email  # a contact proves nothing
    assert ticket.customer.name == "李先生" and ticket.contact_name == "李先生"
    assert (ticket.contact_email, ticket.contact_status) == (WANG_EMAIL, ContactStatus.UNVERIFIED)
    assert body["ticket_number"] == ticket.number
    path = re.sub(r"^http://testserver", "", body["ticket_url"])
    assert path.startswith("/help/t/") and client.get(path).status_code == 200
    assert body["verify_url"].startswith("/help/ticket/verify/")
    assert client.get(body["verify_url"]).status_code == 200


def test_a_second_hand_off_makes_no_new_visitor(client):
    first = ask(client, "转人工", **GUEST).json()
    customers = Customer.objects.count()
    again = ask(client, "人工客服", first["conversation"]).json()  # same conversation
    assert again["handoff"] is True and again["ticket_number"] == first["ticket_number"]
    other = ask(client, "我要人工", name="李先生", phone="13700137000").json()  # same session
    assert other["conversation"] != first["conversation"]
    tickets = Ticket.objects.filter(channel="chat").order_by("id")
    assert len(tickets) == 2 and tickets[0].customer_id == tickets[1].customer_id
    assert Customer.objects.count() == customers


def test_proving_the_code_moves_the_hand_off_to_the_existing_customer(client, wang):
    ask(client, "转人工", **GUEST)
    ticket = Ticket.objects.get(channel="chat")
    visitor = ticket.customer
    do_contact_code_send(ticket=ticket, channel="email")
    code = re.search(r"验证码是 (\d{6})", mail.outbox[-1].body).group(1)
    do_contact_code_check(ticket=ticket, code=code)
    ticket.refresh_from_db()
    assert ticket.customer == wang and ticket.contact_status == ContactStatus.VERIFIED
    assert visitor != wang and not visitor.tickets.exists()
