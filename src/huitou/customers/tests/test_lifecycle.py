import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.core.models import AuditEntry
from huitou.customers.models import Customer, LossReason, Transaction
from huitou.customers.services import (
    do_customer_create,
    do_customer_update,
    do_loss_risk_sweep,
    do_transaction_record,
    do_win_back_record,
)
from huitou.customers.tests.factories import CustomerFactory


@pytest.fixture
def agent(db):
    return UserFactory(role="agent")


@pytest.mark.django_db
def test_loss_reasons_are_seeded():
    assert LossReason.objects.filter(name="服务态度差").exists()


@pytest.mark.django_db
def test_marking_lost_without_a_reason_is_rejected(agent):
    customer = CustomerFactory(stage="current")
    with pytest.raises(DomainError) as error:
        do_customer_update(actor=agent, customer=customer, changes={"stage": "lost"})
    assert error.value.field == "loss_reason"
    assert "流失原因" in error.value.message
    customer.refresh_from_db()
    assert customer.stage == "current"


@pytest.mark.django_db
def test_marking_lost_with_a_reason_fills_the_lost_card_and_history(agent):
    customer = CustomerFactory(stage="current")
    reason = LossReason.objects.get(name="转向竞争对手")
    do_customer_update(
        actor=agent,
        customer=customer,
        changes={"stage": "lost", "loss_reason": reason, "loss_note": "被对手低价挖走"},
    )
    customer.refresh_from_db()
    assert (customer.stage, customer.loss_reason, customer.loss_note) == (
        "lost",
        reason,
        "被对手低价挖走",
    )
    assert customer.lost_at is not None
    fields = set(AuditEntry.objects.for_object(customer).values_list("field", flat=True))
    assert {"stage", "loss_reason", "lost_at"} <= fields


@pytest.mark.django_db
def test_winning_a_lost_customer_back_clears_the_card_but_keeps_history(agent):
    reason = LossReason.objects.first()
    customer = do_customer_create(actor=agent, name="老客户", stage="lost", loss_reason=reason)
    do_win_back_record(actor=agent, customer=customer, outcome="won_back", note="回访后同意续约")
    do_customer_update(actor=agent, customer=customer, changes={"stage": "current"})
    customer.refresh_from_db()
    assert customer.loss_reason is None and customer.lost_at is None
    assert customer.win_backs.get().outcome == "won_back"
    history = AuditEntry.objects.for_object(customer).filter(field="loss_reason")
    assert history.get().old_value == str(reason)


@pytest.mark.django_db
def test_a_purchase_makes_a_prospect_current(agent):
    customer = CustomerFactory(stage="potential")
    do_transaction_record(
        actor=agent,
        customer=customer,
        occurred_at=timezone.now(),
        product="滚筒洗衣机",
        amount="3999",
        profit="800",
    )
    customer.refresh_from_db()
    assert customer.stage == "current"
    assert customer.transactions.get().profit == Decimal("800.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"product": ""}, "product"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"quantity": 0}, "quantity"),
        ({"state": "lost"}, "state"),
        ({"occurred_at": timezone.now() + timedelta(days=9)}, "occurred_at"),
    ],
)
def test_bad_transactions_are_rejected(agent, fields, bad):
    customer = CustomerFactory(stage="potential")
    good = {"occurred_at": timezone.now(), "product": "冰箱", "amount": "100", "profit": "10"}
    with pytest.raises(DomainError) as error:
        do_transaction_record(actor=agent, customer=customer, **{**good, **fields})
    assert error.value.field == bad
    assert not Transaction.objects.exists()
    customer.refresh_from_db()
    assert customer.stage == "potential"


@pytest.mark.django_db
def test_loss_risk_sweep_flags_silent_current_customers_once():
    long_ago = timezone.now() - timedelta(days=400)
    silent = CustomerFactory(stage="current")
    active = CustomerFactory(stage="current")
    prospect = CustomerFactory(stage="potential")
    Customer.objects.update(created_at=long_ago)
    Transaction.objects.create(
        customer=active, occurred_at=timezone.now(), product="电视", amount=1, profit=1
    )
    Transaction.objects.create(
        customer=silent, occurred_at=long_ago, product="电视", amount=1, profit=1
    )
    assert do_loss_risk_sweep() == {"flagged": 1, "cleared": 0}
    flagged_at = Customer.objects.get(pk=silent.pk).loss_risk_since
    assert flagged_at is not None
    assert do_loss_risk_sweep() == {"flagged": 0, "cleared": 0}  # idempotent
    assert Customer.objects.get(pk=silent.pk).loss_risk_since == flagged_at
    assert Customer.objects.get(pk=prospect.pk).loss_risk_since is None
    Transaction.objects.create(
        customer=silent, occurred_at=timezone.now(), product="电视", amount=1, profit=1
    )
    assert do_loss_risk_sweep() == {"flagged": 0, "cleared": 1}


@pytest.mark.django_db
def test_tiers_recompute_command_prints_counts():
    CustomerFactory.create_batch(3)
    out = io.StringIO()
    call_command("tiers", "recompute", stdout=out)
    counts = json.loads(out.getvalue())
    assert sum(counts[tier] for tier in "ABCD") == 3
