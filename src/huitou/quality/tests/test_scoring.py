from decimal import Decimal

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import ConflictError, DomainError
from huitou.quality.models import Inspection, ScorecardItem
from huitou.quality.services import (
    compute_score,
    do_inspection_create,
    do_inspection_score,
    do_inspection_submit,
)

from .helpers import conversation, scored, simple_card

pytestmark = pytest.mark.django_db


def _item(weight, critical=False):
    return ScorecardItem(key=f"i{weight}", label="x", weight=weight, critical=critical)


def test_weighted_score_is_points_over_applicable_weights():
    # 20 + 10 of (20 + 30 + 10); the 40-point item does not apply: 30 / 60 = 50.0
    rows = [
        (_item(20), "pass", Decimal(20)),
        (_item(30), "fail", Decimal(0)),
        (_item(10), "pass", Decimal(10)),
        (_item(40), "na", None),
    ]
    assert compute_score(rows) == (Decimal("50.0"), False)


def test_partial_points_count_towards_the_score():
    # 20 + 7.5 of 20 + 10 → 27.5 / 30 = 91.7
    rows = [(_item(20), "pass", Decimal(20)), (_item(10), "partial", Decimal("7.5"))]
    assert compute_score(rows) == (Decimal("91.7"), False)


def test_a_failed_critical_item_zeroes_the_score():
    rows = [(_item(90), "pass", Decimal(90)), (_item(10, critical=True), "fail", Decimal(0))]
    assert compute_score(rows) == (Decimal("0.0"), True)


def test_scoring_and_submitting_an_inspection():
    qa = UserFactory(role="qa")
    card = simple_card(("greeting", 10, False), ("accuracy", 30, True), ("closing", 20, False))
    inspection = do_inspection_create(
        ticket=conversation(), scorecard=card, inspector=qa, source="manual"
    )
    with pytest.raises(DomainError) as error:
        do_inspection_submit(actor=qa, inspection=inspection)
    assert error.value.field == "greeting"
    do_inspection_score(
        actor=qa,
        inspection=inspection,
        items={
            "greeting": {"result": "partial", "points": "5", "comment": "问候不完整"},
            "accuracy": {"result": "pass"},
            "closing": {"result": "fail", "comment": "没有致谢"},
        },
        comment="整体尚可",
    )
    done = do_inspection_submit(actor=qa, inspection=inspection)
    # (5 + 30 + 0) / 60 = 58.3
    assert done.score == Decimal("58.3") and not done.critical_failed
    assert done.state == Inspection.State.SUBMITTED
    comments = dict(done.items.values_list("item__key", "comment"))
    assert comments["greeting"] == "问候不完整"
    with pytest.raises(ConflictError):
        do_inspection_score(actor=qa, inspection=done, items={"closing": {"result": "pass"}})


def test_failing_the_critical_item_gives_zero_on_submit():
    done = scored("fail")
    assert done.score == Decimal("0.0") and done.critical_failed


def test_a_critical_item_cannot_be_partly_met_and_bad_points_name_the_item():
    qa = UserFactory(role="qa")
    card = simple_card(("greeting", 10, False), ("accuracy", 30, True))
    inspection = do_inspection_create(
        ticket=conversation(), scorecard=card, inspector=qa, source="manual"
    )
    with pytest.raises(DomainError) as error:
        do_inspection_score(
            actor=qa, inspection=inspection, items={"accuracy": {"result": "partial", "points": 5}}
        )
    assert error.value.field == "accuracy"
    with pytest.raises(DomainError) as error:
        do_inspection_score(
            actor=qa, inspection=inspection, items={"greeting": {"result": "partial", "points": 10}}
        )
    assert error.value.field == "greeting"
    with pytest.raises(DomainError) as error:
        do_inspection_score(actor=qa, inspection=inspection, items={"nothing": {"result": "pass"}})
    assert error.value.field == "nothing"
