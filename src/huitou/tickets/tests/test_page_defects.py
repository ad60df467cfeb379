"""Ticket pages: the title, the inbox tabs, and the phone-ticket form's caller card."""

import re

import pytest
from django.urls import reverse

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.tests.factories import make_complaint
from huitou.customers.models import Customer
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Ticket
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    agent = UserFactory(role="agent", department=DepartmentFactory(name="客服中心"))
    client.force_login(agent)
    client.user = agent
    return client


def title_of(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


def test_no_ticket_page_title_contains_script(agent_client):
    tickets = [TicketFactory(subject="咨询保修"), make_complaint(actor=agent_client.user).ticket]
    for ticket in tickets:
        page = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        title = title_of(page)
        assert title.strip() == f"{ticket.number} · 回头客服"
        assert "<script" not in page.split("</head>")[0].replace('<script src="', "")
        # The phrase picker still has its script, once, at the end of the body.
        assert len(re.findall(r'<script src="[^"]*huitou/phrases\.js"', page)) == 1
        assert "document.addEventListener" not in page


def test_the_inbox_tabs_follow_the_view_an_htmx_request_shows(agent_client):
    response = agent_client.get(
        reverse("tickets:inbox"),
        {"view": "mine", "status": "active"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    tabs = re.search(r'<div class="tabs"[^>]*id="inbox-tabs"[^>]*>(.*?)</div>', html, re.S)
    assert tabs and 'hx-swap-oob="true"' in tabs.group(0)
    active = re.findall(
        r'<label class="tab active">\s*<input type="radio" name="view" value="(\w+)"', tabs.group(1)
    )
    checked = re.findall(r'value="(\w+)" checked', tabs.group(1))
    assert active == checked == ["mine"]


def test_the_full_inbox_page_highlights_one_tab(agent_client):
    html = agent_client.get(reverse("tickets:inbox"), {"view": "mine"}).content.decode()
    assert html.count('class="tab active"') == 1
    assert "hx-swap-oob" not in html


def test_a_known_callers_earlier_tickets_link_to_their_pages(agent_client):
    known = CustomerFactory(name="刘芳", phone="13711112222")
    earlier = TicketFactory(customer=known, subject="冰箱不制冷")
    html = agent_client.get(reverse("tickets:customer_lookup"), {"phone": "137 1111 2222"}).content
    html = html.decode()
    assert f'href="{reverse("tickets:detail", args=[earlier.pk])}"' in html
    assert f'name="customer_id" value="{known.pk}"' in html
    # A known caller is not asked for a name or a kind again.
    assert 'name="customer_name"' not in html and 'name="customer_kind"' not in html
    assert "<script" not in html


def test_an_unknown_caller_is_announced_as_a_new_customer(agent_client):
    html = agent_client.get(
        reverse("tickets:customer_lookup"), {"phone": "13700000000"}
    ).content.decode()
    assert "未找到" in html
    assert 'name="customer_id"' not in html


NEW_CALLER = re.compile(r'<fieldset id="new-caller"[^>]*>(.*?)</fieldset>', re.S)


def test_the_phone_form_asks_a_new_caller_and_not_a_known_one(agent_client):
    page = agent_client.get(reverse("tickets:new_phone")).content.decode()
    fieldset = NEW_CALLER.search(page)
    assert "hidden" not in fieldset.group(0).split(">")[0]
    assert 'name="customer_name"' in fieldset.group(1) and 'name="customer_kind"' in fieldset.group(
        1
    )
    assert "huitou/phone_ticket.js" in page
    known = CustomerFactory(name="刘芳", phone="13711112222")
    # The form comes back (no subject) for a known caller: their card; name and kind are
    # neither shown nor sent.
    page = agent_client.post(
        reverse("tickets:new_phone"),
        {"phone": "13711112222", "type": "consultation", "priority": "normal"},
    ).content.decode()
    assert "刘芳" in page and f'name="customer_id" value="{known.pk}"' in page
    assert NEW_CALLER.search(page).group(0).split(">")[0].endswith("hidden disabled")


def test_a_known_caller_needs_neither_name_nor_kind(agent_client):
    known = CustomerFactory(phone="13711112222", kind="organization")
    response = agent_client.post(
        reverse("tickets:new_phone"),
        {
            "phone": "137-1111-2222",
            "customer_id": str(known.pk),
            "type": "consultation",
            "priority": "normal",
            "subject": "咨询保修",
        },
    )
    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.customer == known
    assert Customer.objects.get().kind == "organization"


def test_a_new_caller_without_a_kind_is_filed_as_an_individual(agent_client):
    response = agent_client.post(
        reverse("tickets:new_phone"),
        {
            "phone": "13799998888",
            "customer_name": "陈建国",
            "type": "consultation",
            "priority": "normal",
            "subject": "咨询保修",
        },
    )
    assert response.status_code == 302
    assert Customer.objects.get().kind == "individual"
