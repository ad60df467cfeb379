from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.customers.models import Customer, TierChange, TierRule, Transaction
from huitou.customers.tests.factories import CustomerFactory
from huitou.customers.tiers import (
    assign_tiers,
    do_tier_override,
    do_tier_recompute,
    tier_distribution,
    tier_on,
)


def test_pareto_by_customer_share_on_a_hand_checked_list():
    # Ten customers worth 1000, 900, ... 100 and two worth nothing.
    values = [(n, Decimal(100 * (11 - n))) for n in range(1, 11)] + [(11, 0), (12, Decimal(-5))]
    tiers = assign_tiers(values, method="customer_share", shares=(10, 20, 30))
    # 12 customers: A = first 1.2 → 2, B up to 3.6 → next 2, C up to 7.2 → next 4, rest D.
    assert [tiers[n] for n in range(1, 13)] == list("AABBCCCCDDDD")


def test_value_share_cuts_by_cumulative_value():
    values = [
        (1, Decimal(50)),
        (2, Decimal(20)),
        (3, Decimal(15)),
        (4, Decimal(10)),
        (5, Decimal(5)),
    ]
    tiers = assign_tiers(values, method="value_share", shares=(50, 30, 15))
    # Customer 1 starts at 0 % (A); 2 at 50 % (B); 3 at 70 % (B); 4 at 85 % (C); 5 at 95 % (D).
    assert [tiers[n] for n in range(1, 6)] == ["A", "B", "B", "C", "D"]


def _buy(customer, profit, *, days_ago=10, state="completed"):
    return Transaction.objects.create(
        customer=customer,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        product="空调",
        amount=Decimal(profit) * 4,
        profit=Decimal(profit),
        state=state,
    )


@pytest.mark.django_db
def test_recompute_ranks_customers_by_profit_in_the_window():
    customers = [CustomerFactory(tier="C") for _ in range(10)]
    for rank, customer in enumerate(customers):
        _buy(customer, 1000 - rank * 100)
    _buy(customers[9], 99999, days_ago=400)  # outside the 12-month window
    _buy(customers[8], 99999, state="closed")  # never paid
    result = do_tier_recompute()
    assert [c.tier for c in Customer.objects.order_by("id")] == list("ABBCCCDDDD")
    assert result == {"A": 1, "B": 2, "C": 3, "D": 4, "changed": 7}  # three stay C


@pytest.mark.django_db
def test_revenue_basis_is_configurable():
    low_profit_big_spender, other = CustomerFactory(), CustomerFactory()
    Transaction.objects.create(
        customer=low_profit_big_spender,
        occurred_at=timezone.now(),
        product="中央空调",
        amount=Decimal(90000),
        profit=Decimal(10),
    )
    _buy(other, 500)
    TierRule.objects.filter(pk=TierRule.current().pk).update(basis="revenue", share_a=50)
    do_tier_recompute()
    low_profit_big_spender.refresh_from_db()
    assert low_profit_big_spender.tier == "A"


@pytest.mark.django_db
def test_tier_on_a_date_after_two_recomputes():
    customer, rival = CustomerFactory(tier="C"), CustomerFactory()
    CustomerFactory.create_batch(8)
    filed = TierChange.objects.create(
        customer=customer,
        tier="C",
        effective_at=timezone.now() - timedelta(days=60),
        source="initial",
    )
    first_run = timezone.now() - timedelta(days=30)
    _buy(customer, 500, days_ago=40)
    do_tier_recompute(now=first_run)
    _buy(rival, 5000, days_ago=5)
    second_run = timezone.now()
    do_tier_recompute(now=second_run)

    assert tier_on(customer=customer, moment=filed.effective_at - timedelta(days=1)) is None
    assert tier_on(customer=customer, moment=first_run - timedelta(days=1)) == "C"
    assert tier_on(customer=customer, moment=first_run + timedelta(days=1)) == "A"
    assert tier_on(customer=customer, moment=second_run) == "B"
    assert tier_distribution(moment=first_run + timedelta(days=1))["A"] == 1


@pytest.mark.django_db
def test_manual_override_wins_until_it_expires():
    supervisor = UserFactory(role="supervisor")
    customer = CustomerFactory(tier="D")
    CustomerFactory.create_batch(9)
    override = do_tier_override(
        actor=supervisor,
        customer=customer,
        tier="A",
        reason="集团战略客户",
        expires_at=timezone.now() + timedelta(days=30),
    )
    do_tier_recompute()
    customer.refresh_from_db()
    assert customer.tier == "A"
    do_tier_recompute(now=override.expires_at + timedelta(seconds=1))
    customer.refresh_from_db()
    assert customer.tier == "D"
    assert customer.tier_changes.last().source == "override_expired"


@pytest.mark.django_db
def test_override_needs_a_reason_and_a_future_expiry():
    supervisor = UserFactory(role="supervisor")
    customer = CustomerFactory(tier="D")
    with pytest.raises(DomainError) as no_reason:
        do_tier_override(
            actor=supervisor,
            customer=customer,
            tier="A",
            reason=" ",
            expires_at=timezone.now() + timedelta(days=1),
        )
    assert no_reason.value.field == "reason"
    with pytest.raises(DomainError) as past:
        do_tier_override(
            actor=supervisor,
            customer=customer,
            tier="A",
            reason="x",
            expires_at=timezone.now() - timedelta(days=1),
        )
    assert past.value.field == "expires_at"
    customer.refresh_from_db()
    assert customer.tier == "D"
