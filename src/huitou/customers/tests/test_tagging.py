from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.customers.models import CustomerRFM, CustomerTag, Transaction
from huitou.customers.tagging import (
    check_tag_rule,
    do_manual_tag,
    do_rfm_recompute,
    do_rule_tags_apply,
    do_tag_rule_save,
    quintile_scores,
    rfm_rows,
)
from huitou.customers.tests.factories import CustomerFactory


def tags_of(customer):
    return set(CustomerTag.objects.filter(customer=customer).values_list("tag__name", "source"))


@pytest.mark.django_db
def test_rule_tag_applies_and_unapplies():
    admin = UserFactory(role="admin")
    shanghai_a = CustomerFactory(city="上海", tier="A")
    shanghai_c = CustomerFactory(city="上海", tier="C")
    do_tag_rule_save(
        actor=admin,
        name="上海重点客户",
        conditions=[
            {"field": "city", "op": "eq", "value": "上海"},
            {"field": "tier", "op": "in", "value": ["A", "B"]},
        ],
    )
    assert do_rule_tags_apply()["上海重点客户"] == {"added": 1, "removed": 0}
    assert tags_of(shanghai_a) == {("上海重点客户", "rule")}
    assert tags_of(shanghai_c) == set()
    assert do_rule_tags_apply()["上海重点客户"] == {"added": 0, "removed": 0}  # idempotent

    shanghai_a.city = "杭州"
    shanghai_a.save()
    assert do_rule_tags_apply()["上海重点客户"] == {"added": 0, "removed": 1}
    assert tags_of(shanghai_a) == set()


@pytest.mark.parametrize(
    "conditions",
    [
        [],
        [{"field": "__class__", "op": "eq", "value": "x"}],
        [{"field": "city", "op": "gt", "value": "上海"}],
        [{"field": "rfm_r", "op": "gte", "value": "5"}],
        [{"field": "tier", "op": "in", "value": "A"}],
        [{"field": "city", "op": "eq"}],
        "city == '上海'",
    ],
)
def test_bad_rules_are_rejected(conditions):
    with pytest.raises(DomainError) as error:
        check_tag_rule(conditions)
    assert error.value.field == "conditions"


@pytest.mark.django_db
def test_rule_over_rfm_statistics():
    admin = UserFactory(role="admin")
    frequent, rare = CustomerFactory(), CustomerFactory()
    for _ in range(6):
        Transaction.objects.create(
            customer=frequent, occurred_at=timezone.now(), product="滤芯", amount=99, profit=30
        )
    Transaction.objects.create(
        customer=rare, occurred_at=timezone.now(), product="滤芯", amount=99, profit=30
    )
    do_rfm_recompute()
    do_tag_rule_save(
        actor=admin,
        name="高频复购",
        conditions=[{"field": "purchase_count", "op": "gte", "value": 5}],
    )
    do_rule_tags_apply()
    assert ("高频复购", "rule") in tags_of(frequent)
    assert ("高频复购", "rule") not in tags_of(rare)


def test_quintile_scores_by_hand():
    assert quintile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert quintile_scores([7, 7, 7]) == [1, 1, 1]
    # Ten values: two per quintile.
    assert quintile_scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_scores_and_segments_match_a_hand_computed_example():
    # (customer, days since last purchase, purchases, money)
    stats = [
        (1, 3, 12, Decimal(20000)),  # recent, frequent, big spender
        (2, 200, 10, Decimal(15000)),  # long gone but was frequent and big: keep them
        (3, 10, 1, Decimal(9000)),  # recent, one big purchase: develop
        (4, 300, 1, Decimal(8000)),  # gone, one big purchase: win back
        (5, 20, 2, Decimal(300)),  # recent, small
    ]
    rows = {row["customer_id"]: row for row in rfm_rows(stats)}
    # Means: 106.6 days, 5.2 purchases, 10460 yuan.
    assert [rows[n]["segment"] for n in range(1, 6)] == [
        "重要价值客户",
        "重要保持客户",
        "一般发展客户",  # 9000 < mean 10460: not high on M
        "一般挽留客户",
        "一般发展客户",
    ]
    assert (rows[1]["r_score"], rows[1]["f_score"], rows[1]["m_score"]) == (5, 5, 5)
    assert (rows[4]["r_score"], rows[4]["f_score"], rows[4]["m_score"]) == (1, 1, 2)
    assert (rows[5]["r_score"], rows[5]["f_score"], rows[5]["m_score"]) == (3, 3, 1)


@pytest.mark.django_db
def test_rfm_recompute_tags_segments_and_drops_customers_without_purchases():
    now = timezone.now()
    loyal, lapsed, never = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for days in (1, 5, 9):
        Transaction.objects.create(
            customer=loyal, occurred_at=now - timedelta(days=days), product="空调", amount=5000
        )
    Transaction.objects.create(
        customer=lapsed, occurred_at=now - timedelta(days=300), product="电视", amount=100
    )
    counts = do_rfm_recompute(now=now)
    assert counts["重要价值客户"] == 1 and counts["一般挽留客户"] == 1
    assert tags_of(loyal) == {("重要价值客户", "statistical")}
    assert tags_of(never) == set()
    assert CustomerRFM.objects.get(customer=loyal).frequency == 3
    Transaction.objects.filter(customer=lapsed).delete()
    do_rfm_recompute(now=now)
    assert tags_of(lapsed) == set()
    assert not CustomerRFM.objects.filter(customer=lapsed).exists()


@pytest.mark.django_db
def test_manual_tags_carry_weight_and_cannot_hijack_computed_tags():
    agent = UserFactory(role="agent")
    customer = CustomerFactory()
    link = do_manual_tag(actor=agent, customer=customer, name="爱砍价", weight=2)
    assert (link.tag.source, link.source, link.weight) == ("manual", "manual", 2)
    do_rfm_recompute()  # creates the statistical segment tags
    with pytest.raises(DomainError):
        do_manual_tag(actor=agent, customer=customer, name="重要价值客户")
