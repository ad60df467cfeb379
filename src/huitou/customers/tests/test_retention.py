"""Retention schedules and a customer's requests (查阅/复制, 删除): personal data anonymised,
statistics kept, every step on the access record."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import AuditEntry
from huitou.customers.models import Customer, PersonalDataAccess
from huitou.customers.retention import do_retention_run
from huitou.customers.services import do_customer_update, do_transaction_record
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.tests.factories import MessageFactory, TicketFactory

PHONE = "13800138000"


def _aged(customer, years: float):
    """Pretend the record was filed `years` ago."""
    Customer.objects.filter(pk=customer.pk).update(
        created_at=timezone.now() - timedelta(days=365 * years)
    )
    return customer


def _old_ticket(customer, *, status="closed", years=4, **fields):
    ticket = TicketFactory(customer=customer, status=status, **fields)
    ticket.__class__.objects.filter(pk=ticket.pk).update(
        updated_at=timezone.now() - timedelta(days=365 * years)
    )
    return ticket


def _personal(customer) -> tuple:
    customer.refresh_from_db()
    return (customer.name, customer.phone, customer.email, customer.id_number, customer.address)


@pytest.fixture
def customers(db, settings):
    settings.CUSTOMER_INACTIVE_RETENTION_YEARS = 3
    agent = UserFactory(role="agent")
    idle = _aged(
        CustomerFactory(
            name="钱多多", phone=PHONE, email="q@example.com", id_number="110101199003071234",
            address="上海市某路 1 号", note="喜欢晚上来电", tier="A",
        ),
        5,
    )  # fmt: skip
    do_customer_update(actor=agent, customer=idle, changes={"phone": "13900139000"})
    idle_ticket = _old_ticket(idle, contact_name="钱多多", contact_phone=PHONE)
    MessageFactory(ticket=idle_ticket, body="我的地址是上海市某路 1 号")
    recent_ticket = _aged(CustomerFactory(), 5)
    TicketFactory(customer=recent_ticket, status="closed")  # updated now
    open_ticket = _aged(CustomerFactory(), 5)
    _old_ticket(open_ticket, status="pending")
    buyer = _aged(CustomerFactory(), 5)
    do_transaction_record(
        actor=agent,
        customer=buyer,
        occurred_at=timezone.now() - timedelta(days=30),
        product="冰箱",
        amount="10.00",
    )
    new = CustomerFactory()
    return {"idle": idle, "keep": [recent_ticket, open_ticket, buyer, new], "ticket": idle_ticket}


@pytest.mark.django_db
def test_a_dry_run_reports_and_changes_nothing(customers):
    before = [_personal(c) for c in Customer.objects.order_by("pk")]
    report = do_retention_run(dry_run=True)
    assert report["dry_run"] is True and report["customers"] == [customers["idle"].number]
    assert [_personal(c) for c in Customer.objects.order_by("pk")] == before
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_retention_anonymises_only_customers_inactive_beyond_the_limit(customers):
    idle, ticket = customers["idle"], customers["ticket"]
    keep = {c.pk: _personal(c) for c in customers["keep"]}
    report = do_retention_run()
    assert report["customers"] == [idle.number] and report["tickets"] == 1
    assert _personal(idle) == (f"已匿名客户 #{idle.pk}", "", "", "", "")
    assert idle.note == "" and idle.anonymised_at is not None
    assert (idle.tier, idle.tickets.count()) == ("A", 1)  # statistics stay
    ticket.refresh_from_db()
    assert (ticket.contact_name, ticket.contact_phone) == ("", "")
    assert {c.pk: _personal(c) for c in customers["keep"]} == keep
    # The old phone leaves the change history; that the record was anonymised stays.
    history = AuditEntry.objects.for_object(idle)
    assert not history.filter(new_value__contains="139").exists()
    assert history.filter(action="anonymised").exists()
    record = PersonalDataAccess.objects.get(customer=idle)
    assert (record.action, record.channel, record.actor) == ("anonymise", "retention", None)
    run = PersonalDataAccess.objects.get(customer=None)
    assert run.detail["customers"] == 1 and run.detail["tickets"] == 1
    assert do_retention_run()["customers"] == []  # done once


@pytest.mark.django_db
def test_retention_off_when_the_setting_is_zero(customers, settings):
    settings.CUSTOMER_INACTIVE_RETENTION_YEARS = 0
    assert do_retention_run()["customers"] == []
    assert _personal(customers["idle"])[1] == "13900139000"


@pytest.mark.django_db
def test_the_retention_command(customers):
    out = StringIO()
    call_command("privacy", "retention", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["customers"] == [customers["idle"].number]
    assert _personal(customers["idle"])[1] == "13900139000"
    call_command("privacy", "retention", stdout=StringIO())
    assert _personal(customers["idle"])[1] == ""


@pytest.mark.django_db
def test_a_supervisor_exports_a_customers_data_on_request(client, api_as, customers):
    idle = customers["idle"]
    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    page = client.get(reverse("customers:detail", args=[idle.pk])).content.decode()
    assert reverse("customers:personal_data_export", args=[idle.pk]) in page
    response = client.get(reverse("customers:personal_data_export", args=[idle.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["customer"]["id_number"] == "110101199003071234"
    assert data["tickets"][0]["messages"][0]["body"] == "我的地址是上海市某路 1 号"
    assert data["complaints"] == [] and data["transactions"] == []
    assert api_as(supervisor).get(f"customers/{idle.pk}/personal-data").json()["customer"]
    out = StringIO()
    call_command("privacy", "export", idle.number, stdout=out)
    assert json.loads(out.getvalue())["customer"]["phone"] == "13900139000"
    exports = PersonalDataAccess.objects.filter(action="export", customer=idle).order_by("id")
    assert [(e.actor, e.channel) for e in exports] == [
        (supervisor, "customer_page"),
        (supervisor, "api"),
        (None, "cli"),
    ]


@pytest.mark.django_db
def test_agents_may_not_export_or_delete_on_request(client, api_as, customers):
    idle = customers["idle"]
    agent = UserFactory(role="agent")
    client.force_login(agent)
    assert client.get(reverse("customers:personal_data_export", args=[idle.pk])).status_code == 403
    assert client.get(reverse("customers:erase", args=[idle.pk])).status_code == 403
    payload = {"reason": "客户来电", "confirm_number": idle.number}
    assert api_as(agent).post(f"customers/{idle.pk}/erase", payload).status_code == 403
    with pytest.raises(CommandError):
        call_command("privacy", "export", idle.number, "--user", agent.username, stdout=StringIO())
    assert _personal(idle)[1] == "13900139000"


@pytest.mark.django_db
def test_deletion_on_request_is_confirmed_anonymises_and_is_recorded(client, customers):
    idle = customers["idle"]
    admin = UserFactory(role="admin")
    client.force_login(admin)
    url = reverse("customers:erase", args=[idle.pk])
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"confirm_number": "C999999", "reason": "客户来电要求删除"})
    assert wrong.status_code == 200 and "客户编号不一致" in wrong.content.decode()
    assert _personal(idle)[1] == "13900139000"
    response = client.post(url, {"confirm_number": idle.number, "reason": "客户来电要求删除"})
    assert response.status_code == 302
    assert _personal(idle) == (f"已匿名客户 #{idle.pk}", "", "", "", "")
    record = PersonalDataAccess.objects.get(customer=idle)
    assert (record.actor, record.action, record.detail["reason"]) == (
        admin,
        "delete",
        "客户来电要求删除",
    )
    again = client.post(url, {"confirm_number": idle.number, "reason": "再次"}, follow=True)
    assert "已经匿名化" in again.content.decode()
    assert PersonalDataAccess.objects.filter(customer=idle).count() == 1


@pytest.mark.django_db
def test_deletion_on_request_by_api_and_command(api_as, customers):
    idle, other = customers["idle"], customers["keep"][-1]
    supervisor = UserFactory(role="supervisor")
    api = api_as(supervisor)
    bad = api.post(f"customers/{idle.pk}/erase", {"reason": "来电", "confirm_number": "C1"})
    assert bad.status_code == 422 and "confirm_number" in bad.content.decode()
    done = api.post(f"customers/{idle.pk}/erase", {"reason": "来电", "confirm_number": idle.number})
    assert done.status_code == 200 and done.json()["tickets"] == 1
    assert api.post(
        f"customers/{idle.pk}/erase", {"reason": "来电", "confirm_number": idle.number}
    ).status_code == 409  # fmt: skip
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "delete", other.number, "--reason", "来信", stdout=StringIO())
    assert _personal(other)[0] != f"已匿名客户 #{other.pk}"
    call_command(
        "privacy", "delete", str(other.pk), "--reason", "来信", "--yes", "--user",
        supervisor.username, stdout=StringIO(),
    )  # fmt: skip
    assert _personal(other)[0] == f"已匿名客户 #{other.pk}"
    channels = PersonalDataAccess.objects.filter(action="delete").values_list("channel", "actor")
    assert sorted(channels) == [("api", supervisor.pk), ("cli", supervisor.pk)]
    with pytest.raises(CommandError):
        call_command("privacy", "delete", "C404404", "--reason", "x", "--yes", stdout=StringIO())


@pytest.mark.django_db
def test_the_nightly_task_applies_the_schedule(customers):
    from huitou.customers.tasks import nightly_privacy_retention

    nightly_privacy_retention.call_local()
    assert _personal(customers["idle"])[1] == ""
    assert PersonalDataAccess.objects.filter(channel="retention", customer=None).count() == 1
