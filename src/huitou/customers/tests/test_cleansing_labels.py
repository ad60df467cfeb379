"""The cleansing page speaks the reader's language: field and reason names, not codes."""

import pytest
from django.urls import reverse

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory, legacy_customer


@pytest.fixture
def supervisor_client(client, db):
    client.force_login(UserFactory(role="supervisor"))
    return client


@pytest.mark.django_db
def test_incomplete_records_name_the_missing_fields_and_link_the_customer(supervisor_client):
    unreachable = CustomerFactory(name="失联客户", phone="", email="")
    bad_phone = legacy_customer(phone="1351234", email="a@example.com")
    page = supervisor_client.get(reverse("customers:cleansing")).content.decode()
    assert "资料不完整：缺少电话、电子邮件" in page
    assert "phone, email" not in page
    for customer in (unreachable, bad_phone):
        link = f'<a href="{reverse("customers:detail", args=[customer.pk])}">{customer.number}</a>'
        assert link in page


@pytest.mark.django_db
def test_duplicate_reasons_are_labels(supervisor_client):
    CustomerFactory(name="上海恒达物业有限公司", city="上海", phone="13800138000", email="h@x.cn")
    CustomerFactory(name="上海恒达物业公司", city="上海", phone="13800138000", email="H@x.cn")
    page = supervisor_client.get(reverse("customers:cleansing")).content.decode()
    assert "<td>电子邮件相同、电话相同、名称相似</td>" in page
    assert "similar_name" not in page


@pytest.mark.django_db
def test_the_api_keeps_codes_and_adds_labels(api_as):
    customer = CustomerFactory(phone="", email="")
    quality = api_as(UserFactory(role="supervisor")).get("customers/cleansing/quality").json()
    assert quality["incomplete"] == [
        {
            "id": customer.pk,
            "number": customer.number,
            "missing": ["phone", "email"],
            "missing_labels": ["电话", "电子邮件"],
        }
    ]


@pytest.mark.django_db
def test_merge_preview_names_the_fields_it_fills(supervisor_client):
    survivor = CustomerFactory(phone="13800138000", email="")
    duplicate = CustomerFactory(phone="13800138000", email="w@example.com")
    page = supervisor_client.get(
        reverse("customers:merge", args=[survivor.pk, duplicate.pk])
    ).content.decode()
    assert "补充字段 电子邮件：w@example.com" in page
