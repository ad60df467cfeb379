"""The agent is told when a ticket's contact was typed by a stranger and not yet proven
(issue 12, point 2): on the ticket page and in the API."""

import re

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import ConflictError
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.portal import do_portal_ticket_create
from huitou.knowledge.verification import do_contact_code_check, do_contact_code_send
from huitou.sms import backends as sms
from huitou.tickets.services import do_ticket_contact_verify
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_ticket():
    CustomerFactory(tier="A", phone="13800138000", name="王总")
    return do_portal_ticket_create(name="陌生人", phone="13800138000", question="查一下我的订单")


def prove(ticket):
    sms.outbox.clear()
    do_contact_code_send(ticket=ticket, channel="sms")
    code = re.search(r"验证码是 (\d{6})", sms.outbox[-1].text).group(1)
    return do_contact_code_check(ticket=ticket, code=code)


def test_the_ticket_page_shows_an_unverified_contact_and_later_that_it_was_proven(
    client, portal_ticket
):
    client.force_login(UserFactory(role="agent"))
    page = client.get(f"/tickets/{portal_ticket.pk}/").content.decode()
    warning = page.split('id="contact-unverified"')[1].split("</div>")[0]
    assert "未验证的联系方式" in warning and "13800138000" in warning
    assert "尚未证明属于本人" in warning
    assert "王总" not in page  # nothing of the customer the number belongs to

    ticket = prove(portal_ticket)

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="contact-unverified"' not in page
    verified = page.split('id="contact-verified"')[1].split("</p>")[0]
    assert "联系方式已由客户验证" in verified
    assert f"{ticket.contact_verified_at.astimezone():%Y-%m-%d}" in verified
    assert "王总" in page


def test_a_staff_recorded_contact_shows_no_warning(client):
    client.force_login(UserFactory(role="agent"))
    ticket = TicketFactory(contact_phone="13900139000")
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="contact-unverified"' not in page and 'id="contact-verified"' not in page


def test_the_api_says_whether_the_contact_is_verified(api_as, portal_ticket):
    api = api_as(UserFactory(role="agent"))
    body = api.get(f"tickets/{portal_ticket.pk}").json()
    assert (body["contact_verified"], body["contact_verified_at"]) == (False, None)
    assert body["customer_tier"] == "C" and body["contact_phone"] == "13800138000"
    prove(portal_ticket)
    body = api.get(f"tickets/{portal_ticket.pk}").json()
    assert body["contact_verified"] is True and body["contact_verified_at"]
    assert body["customer_tier"] == "A"
    assert api.get(f"tickets/{TicketFactory().pk}").json()["contact_verified"] is None


def test_only_an_unverified_contact_can_be_verified(portal_ticket):
    staff_ticket = TicketFactory()
    with pytest.raises(ConflictError):
        do_ticket_contact_verify(ticket=staff_ticket, customer=portal_ticket.customer)
    staff_ticket.refresh_from_db()
    assert staff_ticket.contact_status == "" and staff_ticket.contact_verified_at is None
