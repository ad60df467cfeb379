"""The ticket page is made of panels that other apps register (huitou.tickets.panels)."""

import ast
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.tests.factories import make_complaint
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.services import do_faq_save
from huitou.tickets import panels
from huitou.tickets.services import do_customer_message_add, do_ticket_create

pytestmark = pytest.mark.django_db

TICKETS = Path(panels.__file__).parent


def _consultation(actor):
    ticket = do_ticket_create(
        actor=actor, customer=CustomerFactory(), channel="web", type="consultation", subject="运费"
    )
    do_customer_message_add(ticket=ticket, body="邮费要多少钱？")
    return ticket


def _positions(page: str, *ids: str) -> list[int]:
    found = [page.find(f'id="{name}"') for name in ids]
    assert -1 not in found, dict(zip(ids, found, strict=True))
    return found


@pytest.fixture
def kb():
    do_faq_save(actor=None, category="物流", question="运费怎么算？", answer="满 99 元包邮。",
                similar=["邮费多少"])  # fmt: skip


def test_the_complaint_panel_shows_on_a_complaint_in_the_registered_order(client, kb):
    supervisor = UserFactory(role="supervisor")
    complaint = make_complaint(actor=supervisor)
    client.force_login(supervisor)
    page = client.get(f"/tickets/{complaint.pk}/").content.decode()
    # main column: facts, complaint flow, thread; the side column in PANEL_LAYOUT's order
    main = _positions(page, "ticket-status", "complaint-panel", "thread", "reply-form")
    side = _positions(page, "ticket-sla", "transfer", "service-guidance", "update-form")
    assert main == sorted(main) and side == sorted(side) and main[-1] < side[0]
    assert 'id="action-dispatch"' in page


def test_a_consultation_has_no_complaint_panel(client, kb):
    agent = UserFactory(role="agent")
    ticket = _consultation(agent)
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="complaint-panel"' not in page
    reply_form = page[
        page.index('id="reply-form"') : page.index("</form>", page.index('id="reply-form"'))
    ]
    assert 'id="faq-assist"' in reply_form  # FAQ assist sits in the reply box
    _positions(page, "ticket-sla", "service-guidance")


def test_panels_for_lists_the_shown_panels_in_page_order(kb):
    agent = UserFactory(role="agent")
    ticket = _consultation(agent)
    request = RequestFactory().get("/")
    request.user = agent
    names = [panel.name for panel in panels.panels_for(request, ticket)]
    # an agent who does not hold the ticket may not transfer it; no complaint on a consultation
    assert names == ["faq_assist", "sla", "service_guidance"]
    assert names == [name for name in panels.PANEL_ORDER if name in names]


def test_registering_an_unknown_panel_name_raises():
    with pytest.raises(ImproperlyConfigured, match="PANEL_LAYOUT"):
        panels.register_panel(name="no_such_panel", template="x.html", context=lambda *a: {})


def test_a_taken_panel_name_cannot_be_registered_again_with_another_panel():
    (sla,) = [panel for panel in panels.registered_panels() if panel.name == "sla"]
    # the same panel again (a second ready()) is harmless
    panels.register_panel(name="sla", template=sla.template, context=sla.context)
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        panels.register_panel(name="sla", template="other.html", context=sla.context)


def test_a_panel_is_hidden_when_its_context_says_none_or_the_user_lacks_its_permission(
    monkeypatch,
):
    monkeypatch.setattr(panels, "_registry", {})
    panels.register_panel(name="service_guidance", template="a.html", context=lambda *a: {"x": 1})
    panels.register_panel(name="sla", template="b.html", context=lambda *a: None)
    panels.register_panel(
        name="complaint_flow",
        template="c.html",
        context=lambda *a: {},
        permission="complaints.score_dispatch",
    )
    request = RequestFactory().get("/")
    request.user = UserFactory(role="agent")
    shown = panels.panels_for(request, ticket=None)
    assert [(panel.name, panel.slot, panel.context) for panel in shown] == [
        ("service_guidance", "side", {"x": 1})
    ]
    with pytest.raises(ValueError, match="No such ticket panel"):
        panels.panels_for(request, ticket=None, bound={"chat": {}})


def test_the_ticket_views_import_none_of_the_apps_that_register_panels():
    tree = ast.parse((TICKETS / "views.py").read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {
        name for name in imported if re.match(r"huitou\.(complaints|sla|knowledge)\b", name)
    }


def test_the_rendered_ticket_page_runs_no_inline_script_within_its_query_budget(
    client, kb, django_assert_max_num_queries
):
    supervisor = UserFactory(role="supervisor")
    complaint = make_complaint(actor=supervisor)
    client.force_login(supervisor)
    client.get(f"/tickets/{complaint.pk}/")  # the FAQ index is built on the first look
    # 38 when the page became panels (Dec 2026), the session and the user included
    with django_assert_max_num_queries(41):  # +1: the satisfaction panel's invitation
        page = client.get(f"/tickets/{complaint.pk}/").content.decode()
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S | re.I):
        assert ("src=" in attributes and not body.strip()) or (
            'type="application/json"' in attributes
        ), attributes
    assert not re.search(r"""<[a-z][^>]*\son[a-z]+\s*=\s*["']""", page, re.I)
