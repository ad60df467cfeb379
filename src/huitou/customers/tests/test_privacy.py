"""Personal information: masked for the roles that do not need it, revealed on a click that is
recorded, and a record of who viewed or exported it."""

import pytest
from django.urls import reverse

from huitou.accounts.models import Department
from huitou.accounts.tests.factories import UserFactory
from huitou.customers.models import PersonalDataAccess
from huitou.customers.privacy import mask_email, mask_id_number, mask_phone
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.tests.factories import TicketFactory

PHONE, EMAIL, ID_NUMBER = "13800138000", "zhang.wei@example.com", "110101199003071234"


def test_masks():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138-0013-8000") == "138****8000"
    assert mask_phone("12345") == "****45" and mask_phone("") == ""
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_id_number("110101199003071234") == "110***********1234"


@pytest.fixture
def customer(db):
    department = Department.objects.create(name="售后服务部")
    customer = CustomerFactory(phone=PHONE, email=EMAIL, id_number=ID_NUMBER)
    ticket = TicketFactory(customer=customer, department=department, contact_phone=PHONE)
    customer.ticket = ticket
    customer.department = department
    return customer


def _user(role, customer):
    return UserFactory(role=role, department=customer.department if role == "handler" else None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "full", "reveal"),
    [
        ("agent", True, False),
        ("supervisor", True, False),
        ("admin", True, False),
        ("qa", False, True),
        ("handler", False, True),
        ("manager", False, False),
    ],
)
def test_pages_mask_contact_data_for_roles_that_do_not_need_it(
    client, customer, role, full, reveal
):
    client.force_login(_user(role, customer))
    pages = [
        reverse("customers:detail", args=[customer.pk]),
        reverse("tickets:detail", args=[customer.ticket.pk]),
    ]
    if role != "handler":
        pages.append(reverse("customers:list"))
    for url in pages:
        html = client.get(url).content.decode()
        assert (PHONE in html) is full, url
        assert ("138****8000" in html) is not full, url
        assert (reverse("customers:reveal", args=[customer.pk]) in html) is reveal, url
    detail = client.get(pages[0]).content.decode()
    assert (EMAIL in detail) is full and (ID_NUMBER in detail) is full
    if not full:
        assert "z***@example.com" in detail and "110***********1234" in detail


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "full"), [("agent", True), ("qa", False), ("manager", False)])
def test_api_masks_contact_data_for_roles_that_do_not_need_it(api_as, customer, role, full):
    api = api_as(_user(role, customer))
    one = api.get(f"customers/{customer.pk}").json()
    listed = api.get("customers").json()["items"][0]
    ticket = api.get(f"tickets/{customer.ticket.pk}").json()
    shown = PHONE if full else "138****8000"
    assert one["phone"] == listed["phone"] == ticket["contact_phone"] == shown
    assert one["email"] == (EMAIL if full else "z***@example.com")
    assert one["id_number"] == (ID_NUMBER if full else "110***********1234")


@pytest.mark.django_db
def test_a_reveal_on_the_page_shows_the_value_and_is_recorded(client, customer):
    qa = _user("qa", customer)
    client.force_login(qa)
    url = reverse("customers:reveal", args=[customer.pk])
    response = client.post(url, {"field": "phone"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and PHONE in response.content.decode()
    record = PersonalDataAccess.objects.get(action="reveal")
    assert (record.actor, record.customer, record.fields) == (qa, customer, ["phone"])
    assert record.channel == "customer_page"
    assert client.post(url, {"field": "note"}).status_code == 400
    assert client.get(url).status_code == 405
    assert PersonalDataAccess.objects.filter(action="reveal").count() == 1


@pytest.mark.django_db
def test_the_reveal_needs_a_csrf_token(customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(_user("qa", customer))
    response = client.post(reverse("customers:reveal", args=[customer.pk]), {"field": "phone"})
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_managers_may_not_reveal(client, api_as, customer):
    manager = _user("manager", customer)
    client.force_login(manager)
    url = reverse("customers:reveal", args=[customer.pk])
    assert client.post(url, {"field": "phone"}).status_code == 403
    response = api_as(manager).post(f"customers/{customer.pk}/reveal", {"fields": ["phone"]})
    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_a_reveal_by_api_is_recorded(api_as, customer):
    handler = _user("handler", customer)
    response = api_as(handler).post(
        f"customers/{customer.pk}/reveal", {"fields": ["phone", "id_number"]}
    )
    assert response.status_code == 200
    assert response.json() == {"phone": PHONE, "id_number": ID_NUMBER}
    record = PersonalDataAccess.objects.get()
    assert (record.actor, record.action, record.fields) == (
        handler,
        "reveal",
        ["phone", "id_number"],
    )
    bad = api_as(handler).post(f"customers/{customer.pk}/reveal", {"fields": ["note"]})
    assert bad.status_code == 422


@pytest.mark.django_db
def test_who_opened_full_contact_data_is_recorded(client, api_as, customer):
    agent = _user("agent", customer)
    client.force_login(agent)
    client.get(reverse("customers:detail", args=[customer.pk]))
    api_as(agent).get(f"customers/{customer.pk}")
    views = PersonalDataAccess.objects.filter(action="view").order_by("id")
    assert [(v.actor, v.customer, v.channel) for v in views] == [
        (agent, customer, "customer_page"),
        (agent, customer, "api"),
    ]
    assert views[0].fields == ["phone", "email", "id_number"]
    client.force_login(_user("manager", customer))  # sees masks: nothing was shown
    client.get(reverse("customers:detail", args=[customer.pk]))
    assert PersonalDataAccess.objects.count() == 2


@pytest.mark.django_db
def test_customer_exports_are_recorded(client, tmp_path, customer):
    from io import StringIO

    from django.core.management import call_command

    supervisor = _user("supervisor", customer)
    client.force_login(supervisor)
    client.get("/customers/export.xlsx", {"tier": "C"})
    call_command("export", "customers", str(tmp_path / "all.csv"), stderr=StringIO())
    web, cli = PersonalDataAccess.objects.filter(action="export").order_by("id")
    assert (web.actor, web.channel, web.detail["customers"]) == (supervisor, "customer_list", 1)
    assert web.detail["format"] == "xlsx" and web.detail["filters"] == {"tier": "C"}
    assert (cli.actor, cli.channel, cli.detail["customers"]) == (None, "cli", 1)


@pytest.mark.django_db
def test_the_access_record_page_is_for_supervisors_and_admins(client, api_as, customer):
    qa = _user("qa", customer)
    client.force_login(qa)
    client.post(reverse("customers:reveal", args=[customer.pk]), {"field": "email"})
    assert client.get(reverse("customers:access_record")).status_code == 403
    assert api_as(qa).get("customers/privacy/access-records").status_code == 403
    supervisor = _user("supervisor", customer)
    client.force_login(supervisor)
    html = client.get(reverse("customers:access_record"), {"customer": customer.number})
    assert html.status_code == 200
    assert qa.display_name in html.content.decode() and customer.number in html.content.decode()
    items = api_as(supervisor).get("customers/privacy/access-records", action="reveal").json()
    assert [(i["actor"], i["customer"], i["fields"]) for i in items["items"]] == [
        (qa.pk, customer.pk, ["email"])
    ]
    bad = api_as(supervisor).get("customers/privacy/access-records", customer="C\x00")
    assert bad.status_code == 422 and "customer" in bad.content.decode()
