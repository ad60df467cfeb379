from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import ConflictError, DomainError
from huitou.core.models import AuditEntry
from huitou.quality.models import Appeal, Inspection
from huitou.quality.services import (
    do_appeal_decide,
    do_appeal_file,
    do_inspection_create,
    do_inspection_score,
    do_inspection_submit,
)

from .helpers import conversation, simple_card

pytestmark = pytest.mark.django_db


def submitted(agent, *, critical_fail=True) -> Inspection:
    qa = UserFactory(role="qa")
    card = simple_card(("greeting", 10, False), ("accuracy", 30, True))
    inspection = do_inspection_create(
        ticket=conversation(agent=agent), scorecard=card, inspector=qa, source="manual"
    )
    accuracy = "fail" if critical_fail else "pass"
    do_inspection_score(
        actor=qa,
        inspection=inspection,
        items={
            "greeting": {"result": "pass"},
            "accuracy": {"result": accuracy, "comment": "报错价格"},
        },
    )
    return do_inspection_submit(actor=qa, inspection=inspection)


def test_the_agent_appeals_once_only():
    agent = UserFactory(role="agent")
    inspection = submitted(agent)
    with pytest.raises(DomainError) as error:
        do_appeal_file(actor=agent, inspection=inspection, reason="  ")
    assert error.value.field == "reason"
    appeal = do_appeal_file(
        actor=agent, inspection=inspection, reason="价格当天已调整，我报的是对的"
    )
    assert appeal.old_score == Decimal("0.0")
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.APPEALED
    with pytest.raises(ConflictError):
        do_appeal_file(actor=agent, inspection=inspection, reason="再申诉一次")


def test_only_the_agent_of_the_result_may_appeal():
    agent = UserFactory(role="agent")
    inspection = submitted(agent)
    with pytest.raises(PermissionDenied):
        do_appeal_file(actor=UserFactory(role="agent"), inspection=inspection, reason="不服")


def test_the_supervisor_overturns_with_a_new_score_and_it_is_audited():
    agent = UserFactory(role="agent")
    supervisor = UserFactory(role="supervisor")
    inspection = submitted(agent)
    appeal = do_appeal_file(actor=agent, inspection=inspection, reason="价格当天已调整")
    with pytest.raises(DomainError) as error:
        do_appeal_decide(actor=supervisor, appeal=appeal, decision="overturned", note="核实属实")
    assert error.value.field == "new_score"
    decided = do_appeal_decide(
        actor=supervisor, appeal=appeal, decision="overturned", new_score="100", note="核实属实"
    )
    assert decided.state == Appeal.State.OVERTURNED and decided.new_score == Decimal("100.0")
    inspection.refresh_from_db()
    assert inspection.score == Decimal("100.0") and not inspection.critical_failed
    assert inspection.state == Inspection.State.FINAL
    fields = set(AuditEntry.objects.for_object(inspection).values_list("field", flat=True))
    assert {"state", "score", "appeal"} <= fields
    with pytest.raises(ConflictError):
        do_appeal_decide(actor=supervisor, appeal=appeal, decision="upheld")


def test_upholding_keeps_the_score():
    agent = UserFactory(role="agent")
    inspection = submitted(agent, critical_fail=False)
    appeal = do_appeal_file(actor=agent, inspection=inspection, reason="问候语我说了")
    do_appeal_decide(actor=UserFactory(role="supervisor"), appeal=appeal, decision="upheld")
    inspection.refresh_from_db()
    assert inspection.score == Decimal("100.0") and inspection.state == Inspection.State.FINAL


def test_agents_and_inspectors_cannot_decide():
    agent = UserFactory(role="agent")
    appeal = do_appeal_file(actor=agent, inspection=submitted(agent), reason="不服")
    for role in ("agent", "qa"):
        with pytest.raises(PermissionDenied):
            do_appeal_decide(actor=UserFactory(role=role), appeal=appeal, decision="upheld")
