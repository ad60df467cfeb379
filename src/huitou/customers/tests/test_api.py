import re

import pytest

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.core.models import AuditEntry, NumberSequence
from huitou.customers.models import Customer, LossReason
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.tests.factories import TicketFactory


@pytest.fixture
def agent(db):
    return UserFactory(role="agent")


@pytest.mark.django_db
def test_create_customer_issues_a_number(api_as, agent):
    response = api_as(agent).post(
        "customers",
        {
            "name": "王秀英",
            "phone": "138 0013 8000",
            "email": "Wang@Example.com",
            "kind": "individual",
            "tier": "A",
            "stage": "current",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"C\d{4}\d{6}", body["number"])
    assert body["email"] == "wang@example.com"
    assert body["tier"] == "A"
    customer = Customer.objects.get(pk=body["id"])
    assert customer.phone_digits == "13800138000"
    assert AuditEntry.objects.for_object(customer).filter(action="created").exists()


@pytest.mark.django_db
def test_customer_numbers_are_never_reused(api_as, agent):
    api = api_as(agent)
    first = api.post("customers", {"name": "甲"}).json()["number"]
    Customer.objects.filter(number=first).delete()
    second = api.post("customers", {"name": "乙"}).json()["number"]
    assert second != first
    assert int(second[-6:]) == int(first[-6:]) + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "张三", "tier": "E"}, "tier"),
        ({"name": "张三", "stage": "vip"}, "stage"),
        ({"name": "张三", "kind": "robot"}, "kind"),
        ({"name": "张三", "email": "not-an-email"}, "email"),
        ({"name": "张三", "phone": "12"}, "phone"),
        ({"phone": "13800138000"}, "name"),
    ],
)
def test_bad_customer_input_is_422_naming_the_field(api_as, agent, payload, field):
    sequences_before = list(NumberSequence.objects.values_list("last_value", flat=True))
    response = api_as(agent).post("customers", payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field
    assert Customer.objects.count() == 0
    assert list(NumberSequence.objects.values_list("last_value", flat=True)) == sequences_before


@pytest.mark.django_db
def test_search_by_name_number_and_phone(api_as, agent):
    wang = CustomerFactory(name="王秀英", phone="13800138000")
    CustomerFactory(name="李强", phone="13900000001")
    api = api_as(agent)
    for q in ["王秀", wang.number, "138-0013-8000", "0013800"]:
        items = api.get("customers", q=q).json()["items"]
        assert [item["id"] for item in items] == [wang.pk], q


@pytest.mark.django_db
def test_filter_by_tier_and_stage(api_as, agent):
    CustomerFactory(tier="A", stage="current")
    CustomerFactory(tier="B", stage="lost", loss_reason=LossReason.objects.first())
    api = api_as(agent)
    assert api.get("customers", tier="A").json()["count"] == 1
    assert api.get("customers", stage="lost").json()["count"] == 1
    assert api.get("customers", tier="Z").status_code == 422


@pytest.mark.django_db
def test_update_customer_records_history(api_as, agent):
    customer = CustomerFactory(tier="C")
    response = api_as(agent).patch(f"customers/{customer.pk}", {"tier": "A", "city": "上海"})
    assert response.status_code == 200
    assert response.json()["tier"] == "A"
    changes = AuditEntry.objects.for_object(customer).filter(action="changed")
    assert {(c.field, c.old_value, c.new_value) for c in changes} == {
        ("tier", "C", "A"),
        ("city", "", "上海"),
    }


@pytest.mark.django_db
def test_bad_update_changes_nothing(api_as, agent):
    customer = CustomerFactory(tier="C", name="原名")
    filed = AuditEntry.objects.for_object(customer).count()  # "created"
    response = api_as(agent).patch(f"customers/{customer.pk}", {"name": "新名", "email": "broken"})
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.name == "原名"
    assert AuditEntry.objects.for_object(customer).count() == filed


@pytest.mark.django_db
def test_number_cannot_be_changed(api_as, agent):
    customer = CustomerFactory()
    response = api_as(agent).patch(f"customers/{customer.pk}", {"number": "C1"})
    customer.refresh_from_db()
    assert response.status_code == 200  # unknown fields are ignored by the schema
    assert customer.number != "C1"


@pytest.mark.django_db
def test_handler_sees_only_customers_of_their_department(api_as):
    aftersales = DepartmentFactory(name="售后服务部")
    logistics = DepartmentFactory(name="物流部")
    mine = TicketFactory(department=aftersales).customer
    other = TicketFactory(department=logistics).customer
    api = api_as(UserFactory(role="handler", department=aftersales))
    assert [c["id"] for c in api.get("customers").json()["items"]] == [mine.pk]
    assert api.get(f"customers/{other.pk}").status_code == 404
    assert api.post("customers", {"name": "新客户"}).status_code == 403


@pytest.mark.django_db
def test_unknown_customer_is_404(api_as, agent):
    response = api_as(agent).get("customers/999999")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.django_db
def test_customer_list_query_count_does_not_grow(api_as, agent, django_assert_max_num_queries):
    api = api_as(agent)
    CustomerFactory.create_batch(3)
    with django_assert_max_num_queries(8) as small:
        api.get("customers")
    baseline = len(small.captured_queries)  # before later requests reset the log
    CustomerFactory.create_batch(30)
    with django_assert_max_num_queries(baseline):
        assert api.get("customers", limit=50).json()["count"] == 33
