import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huitou.accounts.tests.factories import UserFactory
from huitou.quality.models import Inspection
from huitou.quality.services import (
    do_calibration_create,
    do_inspection_create,
    do_inspection_score,
    do_inspection_submit,
)

from .helpers import conversation, general_card

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queued(qa, agent=None) -> Inspection:
    ticket = conversation(agent=agent, replies=["您好，保修三年。", "感谢来电，再见。"])
    return do_inspection_create(
        ticket=ticket, scorecard=general_card(), inspector=qa, source="manual"
    )


def test_the_queue_stays_within_its_query_budget():
    qa = UserFactory(role="qa")
    queued(qa)
    client = client_for(qa)
    client.get("/quality/")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/quality/").status_code == 200
    for _ in range(5):
        queued(qa)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/quality/")
    assert page.content.decode().count('href="/quality/inspections/') == 6
    assert len(many) == len(few) and len(many) <= 25


def test_the_scoring_page_shows_the_conversation_beside_the_prefilled_scorecard():
    qa = UserFactory(role="qa")
    inspection = queued(qa)
    page = client_for(qa).get(f"/quality/inspections/{inspection.pk}/").content.decode()
    assert "您好，保修三年。" in page and 'id="scorecard"' in page
    assert "首次回复含问候语" in page and 'name="result_listening"' in page


def test_scoring_from_the_page_and_submitting():
    qa = UserFactory(role="qa")
    inspection = queued(qa)
    data = {
        f"result_{row.item.key}": row.result or "pass"
        for row in inspection.items.select_related("item")
    }
    data.update({"comment_listening": "耐心", "comment": "好", "submit": "1"})
    answer = client_for(qa).post(f"/quality/inspections/{inspection.pk}/", data)
    assert answer.status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.SUBMITTED and inspection.comment == "好"


def test_the_agent_sees_their_result_with_comments_and_appeals():
    qa, agent = UserFactory(role="qa"), UserFactory(role="agent")
    inspection = queued(qa, agent=agent)
    items = {
        row.item.key: {"result": row.result or "pass"}
        for row in inspection.items.select_related("item")
    }
    items["listening"] = {"result": "fail", "comment": "打断了客户"}
    do_inspection_score(actor=qa, inspection=inspection, items=items)
    do_inspection_submit(actor=qa, inspection=inspection)
    own = client_for(agent)
    assert str(inspection.ticket.number) in own.get("/quality/mine/").content.decode()
    page = own.get(f"/quality/inspections/{inspection.pk}/").content.decode()
    assert "打断了客户" in page and 'id="appeal-form"' in page
    assert (
        own.post(
            f"/quality/inspections/{inspection.pk}/appeal/", {"reason": "没有打断"}
        ).status_code
        == 302
    )
    assert (
        client_for(UserFactory(role="agent"))
        .get(f"/quality/inspections/{inspection.pk}/")
        .status_code
        == 404
    )
    supervisor = client_for(UserFactory(role="supervisor"))
    assert "没有打断" in supervisor.get("/quality/appeals/").content.decode()


def test_other_pages_render_for_their_roles():
    qa, other = UserFactory(role="qa"), UserFactory(role="qa")
    session = do_calibration_create(
        actor=qa,
        name="校准一",
        ticket=conversation(),
        scorecard=general_card(),
        inspectors=[qa, other],
    )
    inspector = client_for(qa)
    assert "校准一" in inspector.get("/quality/calibrations/").content.decode()
    assert 'id="spread"' in inspector.get(f"/quality/calibrations/{session.pk}/").content.decode()
    assert inspector.get("/quality/mystery/").status_code == 200
    figures = client_for(UserFactory(role="manager")).get("/quality/figures/").content.decode()
    assert 'id="qa-by-agent"' in figures and 'id="dispatch-qa"' in figures


def test_handlers_get_no_quality_page():
    handler = client_for(UserFactory(role="handler"))
    for path in (
        "/quality/",
        "/quality/mine/",
        "/quality/appeals/",
        "/quality/figures/",
        "/quality/calibrations/",
    ):
        assert handler.get(path).status_code == 403, path
