"""The ticket page's 客户通知 panel: what the customer was told, its delivery state, the
recipient masked for those who may not see personal data, in a fixed number of queries."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from huitou.accounts.tests.factories import UserFactory, desk_user
from huitou.core.models import OutboxMessage
from huitou.customers.tests.factories import CustomerFactory
from huitou.notify.models import Notification
from huitou.notify.panels import notifications_context
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_message_add, do_ticket_create, do_ticket_update

pytestmark = pytest.mark.django_db


def web_ticket(*, email="wang.jianguo@example.cn"):
    customer = CustomerFactory(name="王建国", email=email)
    return do_ticket_create(
        actor=desk_user(),
        customer=customer,
        channel="web",
        type="consultation",
        subject="冰箱不制冷",
        contact_name="王先生",
    )


def panel_of(client, user, ticket) -> str:
    client.force_login(user)
    response = client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    start = page.find('id="ticket-notifications"')
    if start == -1:
        return ""
    return page[start : page.index("</div>", start)]


def test_the_panel_lists_the_received_notification_with_its_state(client):
    ticket = web_ticket()
    assert Notification.objects.filter(ticket=ticket, event="received").count() == 1
    panel = panel_of(client, UserFactory(role="agent"), ticket)
    assert "客户通知" in panel
    assert "已受理" in panel and "电子邮件" in panel
    assert "wang.jianguo@example.cn" in panel  # the desk sees personal data in full
    assert "待发送" in panel


def test_a_failed_email_shows_the_servers_reason(client):
    ticket = web_ticket()
    note = Notification.objects.get(ticket=ticket)
    OutboxMessage.objects.filter(pk=note.outbox_id).update(
        status="failed", last_error="550 mailbox unavailable"
    )
    panel = panel_of(client, UserFactory(role="agent"), ticket)
    assert "发送失败" in panel and "550 mailbox unavailable" in panel


def test_no_panel_when_the_ticket_has_no_notifications(client):
    # A phone-only customer and SMS switched off: nothing was sent.
    ticket = do_ticket_create(
        actor=desk_user(), customer=CustomerFactory(), channel="phone", type="consultation",
        subject="咨询",
    )  # fmt: skip
    assert not Notification.objects.filter(ticket=ticket).exists()
    client.force_login(UserFactory(role="agent"))
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-notifications"' not in page


def test_a_qa_inspector_sees_the_recipient_masked(client):
    ticket = web_ticket()
    panel = panel_of(client, UserFactory(role="qa"), ticket)
    assert "已受理" in panel
    assert "wang.jianguo@example.cn" not in panel
    assert "w***@example.cn" in panel


def rendered_panel_queries(user, ticket) -> tuple[int, str]:
    """The queries the panel's context and template make, the ticket as the page has it."""
    request = RequestFactory().get(f"/tickets/{ticket.pk}/")
    request.user = user
    ticket = Ticket.objects.select_related("customer").get(pk=ticket.pk)
    with CaptureQueriesContext(connection) as queries:
        context = notifications_context(request, ticket, None)
        html = render_to_string(
            "notify/_panel.html", {"ticket": ticket, **context}, request=request
        )
    return len(queries), html


def test_the_panel_costs_no_query_per_notification():
    agent = UserFactory(role="agent")
    agent.has_perm("customers.view_personal_data")  # permissions cached, as on the page
    ticket = web_ticket()
    one, _html = rendered_panel_queries(agent, ticket)
    do_message_add(actor=desk_user(), ticket=ticket, body="您好，已为您登记。", public=True)
    do_ticket_update(actor=desk_user(), ticket=ticket, changes={"status": "resolved"})
    assert Notification.objects.filter(ticket=ticket).count() == 3
    three, html = rendered_panel_queries(agent, ticket)
    assert html.count('class="notification ') == 3
    assert one == three == 1
