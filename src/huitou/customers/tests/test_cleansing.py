import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.core.models import AuditEntry
from huitou.customers.cleansing import (
    data_quality_report,
    do_customer_merge,
    duplicate_groups,
    merge_preview,
)
from huitou.customers.models import Customer, CustomerTag, Transaction
from huitou.customers.services import do_customer_create
from huitou.customers.tagging import do_manual_tag
from huitou.customers.tests.factories import CustomerFactory, legacy_customer
from huitou.tickets.tests.factories import TicketFactory


@pytest.fixture
def agent(db):
    return UserFactory(role="agent")


@pytest.fixture
def supervisor(db):
    return UserFactory(role="supervisor")  # merging is archive cleansing: supervisors


@pytest.mark.django_db
def test_phone_numbers_written_differently_are_one_customer(agent):
    first = do_customer_create(actor=agent, name="王芳", phone="+86 138-0013-8000")
    second = do_customer_create(actor=agent, name="王小姐", phone="13800138000")
    do_customer_create(actor=agent, name="李雷", phone="13900000000")
    assert duplicate_groups() == [
        {
            "numbers": [first.number, second.number],
            "reasons": ["phone"],
            "reason_labels": ["电话相同"],
        }
    ]


@pytest.mark.django_db
def test_email_id_number_and_similar_names_are_found(agent):
    a = CustomerFactory(name="上海恒达物业有限公司", city="上海", phone="")
    b = CustomerFactory(name="上海恒达物业公司", city="上海", phone="")
    c = CustomerFactory(name="赵强", email="zq@example.com", phone="")
    d = CustomerFactory(name="赵小强", email="ZQ@example.com", phone="")
    e = CustomerFactory(name="钱七", id_number="310101199001011234", phone="")
    f = CustomerFactory(name="钱柒", id_number="310101199001011234", phone="")
    CustomerFactory(name="上海恒达物业有限公司", city="北京", phone="")  # other city: not blocked
    groups = {tuple(g["numbers"]): g["reasons"] for g in duplicate_groups()}
    assert groups[(a.number, b.number)] == ["similar_name"]
    assert groups[(c.number, d.number)] == ["email"]
    assert groups[(e.number, f.number)] == ["id_number"]
    assert len(groups) == 3


@pytest.mark.django_db
def test_dedupe_report_command_prints_json_groups(agent):
    do_customer_create(actor=agent, name="王芳", phone="+86 138-0013-8000")
    do_customer_create(actor=agent, name="王小姐", phone="13800138000")
    out = io.StringIO()
    call_command("dedupe", "report", "--json", stdout=out, stderr=io.StringIO())
    assert len(json.loads(out.getvalue())) == 1


@pytest.mark.django_db
def test_quality_report_finds_invalid_and_incomplete_records():
    bad_phone = legacy_customer(phone="12345678901")  # no such Chinese number range
    good = CustomerFactory(phone="13800138000", email="ok@example.com")
    unreachable = CustomerFactory(phone="", email="")
    landline = CustomerFactory(phone="021-62345678", email="x@example.com")
    report = data_quality_report()
    assert [r["number"] for r in report["invalid_phone"]] == [bad_phone.number]
    incomplete = {r["number"] for r in report["incomplete"]}
    assert unreachable.number in incomplete
    assert good.number not in incomplete and landline.number not in incomplete


@pytest.mark.django_db
def test_merge_keeps_every_related_record(agent, supervisor):
    survivor = CustomerFactory(name="王芳", phone="13800138000", email="")
    duplicate = CustomerFactory(name="王小姐", phone="13800138000", email="wf@example.com")
    tickets = TicketFactory.create_batch(2, customer=duplicate)
    Transaction.objects.create(
        customer=duplicate, occurred_at=timezone.now(), product="冰箱", amount=3000
    )
    do_manual_tag(actor=agent, customer=duplicate, name="老客户", weight=3)
    do_manual_tag(actor=agent, customer=survivor, name="老客户", weight=1)
    do_manual_tag(actor=agent, customer=duplicate, name="喜欢短信")

    preview = merge_preview(survivor=survivor, duplicate=duplicate)
    assert preview["tickets"] == 2 and preview["transactions"] == 1 and preview["tags"] == 2
    assert preview["filled_fields"] == {"email": "wf@example.com"}
    assert Customer.objects.get(pk=duplicate.pk).merged_into is None  # preview changed nothing

    do_customer_merge(actor=supervisor, survivor=survivor, duplicate=duplicate)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert set(survivor.tickets.all()) == set(tickets)
    assert survivor.transactions.count() == 1
    assert dict(
        CustomerTag.objects.filter(customer=survivor).values_list("tag__name", "weight")
    ) == {"老客户": 3, "喜欢短信": 1}
    assert survivor.email == "wf@example.com"
    assert duplicate.merged_into == survivor
    assert Customer.objects.filter(number=duplicate.number).exists()  # number never reused
    assert AuditEntry.objects.for_object(survivor).filter(action="merged").exists()
    assert duplicate_groups() == []


@pytest.mark.django_db
def test_merge_into_itself_or_twice_is_refused(agent, supervisor):
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    with pytest.raises(DomainError):
        do_customer_merge(actor=supervisor, survivor=survivor, duplicate=survivor)
    do_customer_merge(actor=supervisor, survivor=survivor, duplicate=duplicate)
    with pytest.raises(DomainError):
        do_customer_merge(actor=supervisor, survivor=survivor, duplicate=duplicate)


@pytest.mark.django_db
def test_merged_duplicates_disappear_from_lists(api_as, agent, supervisor):
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    do_customer_merge(actor=supervisor, survivor=survivor, duplicate=duplicate)
    api = api_as(agent)
    assert [c["id"] for c in api.get("customers").json()["items"]] == [survivor.pk]
    assert api.get(f"customers/{duplicate.pk}").status_code == 404


@pytest.mark.django_db
def test_merge_through_the_api_with_preview(api_as):
    supervisor = UserFactory(role="supervisor")
    api = api_as(supervisor)
    survivor = CustomerFactory(phone="13800138000")
    duplicate = CustomerFactory(phone="13800138000")
    TicketFactory(customer=duplicate)
    groups = api.get("customers/cleansing/duplicates").json()
    assert groups == [
        {
            "numbers": [survivor.number, duplicate.number],
            "reasons": ["phone"],  # codes for programs, labels for people
            "reason_labels": ["电话相同"],
        }
    ]
    preview = api.post(
        f"customers/{survivor.pk}/merge", {"duplicate": duplicate.pk, "preview": True}
    )
    assert preview.json()["tickets"] == 1
    assert Customer.objects.get(pk=duplicate.pk).merged_into is None
    done = api.post(f"customers/{survivor.pk}/merge", {"duplicate": duplicate.pk})
    assert done.status_code == 200
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk
    assert api.post(f"customers/{survivor.pk}/merge", {"duplicate": 99999}).status_code == 422
    assert (
        api_as(UserFactory(role="agent")).get("customers/cleansing/duplicates").status_code == 403
    )


@pytest.mark.django_db
def test_cleansing_page_previews_and_merges(client):
    from django.urls import reverse

    client.force_login(UserFactory(role="supervisor"))
    survivor = CustomerFactory(phone="13800138000", name="王芳")
    duplicate = CustomerFactory(phone="+86 138 0013 8000", name="王小姐")
    TicketFactory(customer=duplicate)
    page = client.get(reverse("customers:cleansing")).content.decode()
    merge_url = reverse("customers:merge", args=[survivor.pk, duplicate.pk])
    assert merge_url in page
    preview = client.get(merge_url).content.decode()
    assert "工单：1" in preview
    assert Customer.objects.get(pk=duplicate.pk).merged_into is None
    response = client.post(merge_url)
    assert response.status_code == 302
    assert survivor.tickets.count() == 1
    assert Customer.objects.get(pk=duplicate.pk).merged_into == survivor


@pytest.mark.django_db
def test_agents_cannot_open_the_cleansing_page(client):
    from django.urls import reverse

    client.force_login(UserFactory(role="agent"))
    assert client.get(reverse("customers:cleansing")).status_code == 403


def test_an_agent_may_not_merge_customers_through_the_ui_or_the_api(api_as, agent, client):
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    refused = api_as(agent).post(f"customers/{survivor.pk}/merge", {"duplicate": duplicate.pk})
    assert refused.status_code == 403
    client.force_login(agent)
    page = client.post(f"/customers/{survivor.pk}/merge/{duplicate.pk}/")
    assert page.status_code == 403
    with pytest.raises(PermissionDenied):
        do_customer_merge(actor=agent, survivor=survivor, duplicate=duplicate)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
