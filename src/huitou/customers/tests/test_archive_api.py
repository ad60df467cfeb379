import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.models import LossReason
from huitou.customers.tests.factories import CustomerFactory


@pytest.fixture
def api(api_as, db):
    return api_as(UserFactory(role="supervisor"))


@pytest.mark.django_db
def test_lost_without_reason_is_422_and_with_reason_is_kept(api):
    customer = api.post("customers", {"name": "钱多多", "stage": "current"}).json()
    refused = api.patch(f"customers/{customer['id']}", {"stage": "lost"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "loss_reason"
    reason = api.get("customers/loss-reasons").json()[0]
    lost = api.patch(
        f"customers/{customer['id']}", {"stage": "lost", "loss_reason": reason["id"]}
    ).json()
    assert lost["stage"] == "lost" and lost["loss_reason"] == reason["id"]
    assert lost["lost_at"] is not None


@pytest.mark.django_db
def test_unknown_loss_reason_is_422(api):
    customer = CustomerFactory()
    response = api.patch(f"customers/{customer.pk}", {"stage": "lost", "loss_reason": 9999})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "loss_reason"
    assert LossReason.objects.filter(pk=9999).count() == 0


@pytest.mark.django_db
def test_get_customer_shows_tier_history_and_guidance(api):
    customer = api.post(
        "customers", {"name": "孙悦", "tier": "B", "personality": "analytical"}
    ).json()
    override = api.post(
        f"customers/{customer['id']}/tier-override",
        {"tier": "A", "reason": "年度大客户", "expires_at": "2099-01-01T00:00:00+08:00"},
    )
    assert override.status_code == 200, override.content
    body = api.get(f"customers/{customer['id']}").json()
    assert body["tier"] == "A"
    assert [(c["tier"], c["source"]) for c in body["tier_history"]] == [
        ("B", "initial"),
        ("A", "manual"),
    ]
    assert body["guidance"]["personality"]["label"] == "分析型"


@pytest.mark.django_db
def test_transactions_through_the_api(api):
    customer = CustomerFactory(stage="target")
    created = api.post(
        f"customers/{customer.pk}/transactions",
        {
            "occurred_at": "2026-01-05T10:00:00+08:00",
            "product": "燃气热水器",
            "amount": "2899.00",
            "profit": "620.50",
            "state": "completed",
        },
    )
    assert created.status_code == 201, created.content
    assert api.get(f"customers/{customer.pk}").json()["stage"] == "current"
    items = api.get(f"customers/{customer.pk}/transactions").json()["items"]
    assert [(t["product"], t["profit"]) for t in items] == [("燃气热水器", "620.50")]
    bad = api.post(
        f"customers/{customer.pk}/transactions",
        {"occurred_at": "2026-01-05T10:00:00+08:00", "product": "", "amount": "1"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "product"


@pytest.mark.django_db
def test_filter_by_loss_risk_and_qualification(api):
    from django.utils import timezone

    at_risk = CustomerFactory(loss_risk_since=timezone.now())
    ideal = CustomerFactory(stage="potential", has_need=True, can_pay=True, has_authority=True)
    needs_decider = CustomerFactory(has_need=True, can_pay=True, has_authority=False)

    def ids(**params):
        return {c["id"] for c in api.get("customers", **params).json()["items"]}

    assert ids(loss_risk="true") == {at_risk.pk}
    assert ids(qualification="ideal") == {ideal.pk}
    assert ids(qualification="find_decider") == {needs_decider.pk}
    body = api.get(f"customers/{ideal.pk}").json()
    assert body["qualification"]["strategy"] == "ideal"
    assert api.get(f"customers/{at_risk.pk}").json()["loss_risk"] is True


@pytest.mark.django_db
def test_get_customer_shows_tags_with_their_source_and_tag_filter(api):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from huitou.customers.models import Transaction
    from huitou.customers.tagging import do_manual_tag

    customer = CustomerFactory()
    other = CustomerFactory()
    Transaction.objects.create(
        customer=customer, occurred_at=timezone.now(), product="空调", amount=5000
    )
    do_manual_tag(actor=UserFactory(role="agent"), customer=customer, name="爱砍价", weight=2)
    call_command("tags", "recompute", stdout=io.StringIO())
    body = api.get(f"customers/{customer.pk}").json()
    assert {(t["name"], t["source"]) for t in body["tags"]} == {
        ("爱砍价", "manual"),
        (body["rfm"]["segment"], "statistical"),
    }
    assert body["rfm"]["frequency"] == 1
    ids = {c["id"] for c in api.get("customers", tag="爱砍价").json()["items"]}
    assert ids == {customer.pk} and other.pk not in ids


@pytest.mark.django_db
def test_manual_tags_and_tag_rules_through_the_api(api, api_as):
    customer = CustomerFactory(city="上海")
    added = api.post(f"customers/{customer.pk}/tags", {"name": "爱砍价", "weight": 2})
    assert added.status_code == 201 and added.json()["source"] == "manual"
    admin_api = api_as(UserFactory(role="admin"))
    rule = admin_api.post(
        "customers/tag-rules",
        {"name": "上海客户", "conditions": [{"field": "city", "op": "eq", "value": "上海"}]},
    )
    assert rule.status_code == 201, rule.content
    bad = admin_api.post(
        "customers/tag-rules",
        {"name": "坏规则", "conditions": [{"field": "x", "op": "eq", "value": 1}]},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "conditions"
    assert api.post("customers/tag-rules", {"name": "x", "conditions": []}).status_code == 403
    from huitou.customers.tagging import do_rule_tags_apply

    do_rule_tags_apply()
    names = {t["name"] for t in api.get(f"customers/{customer.pk}").json()["tags"]}
    assert names == {"爱砍价", "上海客户"}
    assert api.delete(f"customers/{customer.pk}/tags/爱砍价").status_code == 204
    assert api.delete(f"customers/{customer.pk}/tags/爱砍价").status_code == 422
    assert api.delete(f"customers/{customer.pk}/tags/上海客户").status_code == 422  # computed
