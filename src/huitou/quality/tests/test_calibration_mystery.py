from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import ConflictError, DomainError
from huitou.quality.models import Inspection, MysteryTask
from huitou.quality.selectors import calibration_spread, inspection_queue
from huitou.quality.services import (
    do_calibration_create,
    do_inspection_score,
    do_inspection_submit,
    do_mystery_create,
    do_mystery_link,
)

from .helpers import conversation, general_card, simple_card

pytestmark = pytest.mark.django_db


def test_calibration_shows_each_score_and_the_spread():
    a, b, c = (UserFactory(role="qa") for _ in range(3))
    card = simple_card(("greeting", 10, False), ("accuracy", 30, False))
    session = do_calibration_create(
        actor=a, name="三月校准", ticket=conversation(), scorecard=card, inspectors=[a, b, c]
    )
    given = {a: ("pass", "pass"), b: ("fail", "pass"), c: ("pass", "fail")}
    for inspector, (greeting, accuracy) in given.items():
        inspection = session.inspections.get(inspector=inspector)
        do_inspection_score(
            actor=inspector,
            inspection=inspection,
            items={"greeting": {"result": greeting}, "accuracy": {"result": accuracy}},
        )
        do_inspection_submit(actor=inspector, inspection=inspection)
    spread = calibration_spread(session)
    # Totals 100, 75, 25 (mean 66.67): range 75;
    # population SD = √((33.33² + 8.33² + 41.67²) / 3) = 31.18
    assert sorted(float(s["score"]) for s in spread["scores"]) == [25.0, 75.0, 100.0]
    assert float(spread["total"]["range"]) == 75.0
    assert spread["total"]["stddev"] == pytest.approx(31.18, abs=0.01)
    greeting = next(item for item in spread["items"] if item["key"] == "greeting")
    # 10, 0, 10: range 10, SD = √((3.33² × 2 + 6.67²)/3) = 4.71
    assert float(greeting["range"]) == 10.0
    assert greeting["stddev"] == pytest.approx(4.71, abs=0.01)


def test_calibration_needs_two_inspectors():
    qa = UserFactory(role="qa")
    with pytest.raises(DomainError) as error:
        do_calibration_create(
            actor=qa, name="校准", ticket=conversation(), scorecard=general_card(), inspectors=[qa]
        )
    assert error.value.field == "inspectors"
    with pytest.raises(DomainError) as error:
        do_calibration_create(
            actor=qa,
            name="校准",
            ticket=conversation(),
            scorecard=general_card(),
            inspectors=[qa, UserFactory(role="agent")],
        )
    assert error.value.field == "inspectors"


def test_a_calibration_score_is_each_inspectors_own():
    a, b = UserFactory(role="qa"), UserFactory(role="qa")
    session = do_calibration_create(
        actor=a, name="校准", ticket=conversation(), scorecard=general_card(), inspectors=[a, b]
    )
    with pytest.raises(PermissionDenied):
        do_inspection_score(
            actor=UserFactory(role="supervisor"),
            inspection=session.inspections.get(inspector=a),
            items={},
        )


def test_mystery_shopper_task_is_linked_and_scored():
    lead, shopper = UserFactory(role="supervisor"), UserFactory(role="qa")
    with pytest.raises(PermissionDenied):
        do_mystery_create(
            actor=shopper,
            title="x",
            script="y",
            channel="email",
            due_date=date.today(),
            inspector=shopper,
        )
    task = do_mystery_create(
        actor=lead,
        title="咨询退货政策",
        script="以普通客户身份发邮件询问冰箱七天无理由退货，追问运费由谁承担。",
        channel="email",
        due_date=date.today(),
        inspector=shopper,
    )
    ticket = conversation(channel="email", replies=["您好，七天内可退货，感谢您的来信。"])
    with pytest.raises(DomainError) as error:
        do_mystery_link(actor=shopper, task=task, ticket=conversation(channel="chat"))
    assert error.value.field == "ticket"
    inspection = do_mystery_link(actor=shopper, task=task, ticket=ticket)
    assert inspection.source == Inspection.Source.MYSTERY and inspection.inspector == shopper
    assert inspection in inspection_queue(user=shopper)
    task.refresh_from_db()
    assert task.state == MysteryTask.State.LINKED and task.ticket == ticket
    with pytest.raises(ConflictError):
        do_mystery_link(actor=shopper, task=task, ticket=ticket)
    items = {
        row.item.key: {"result": row.result or "pass"}
        for row in inspection.items.select_related("item")
    }
    do_inspection_score(actor=shopper, inspection=inspection, items=items)
    do_inspection_submit(actor=shopper, inspection=inspection)
    task.refresh_from_db()
    assert task.state == MysteryTask.State.SCORED
