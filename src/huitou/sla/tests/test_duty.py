"""The top bar's on/off duty switch returns to the page it was pressed on (issue 11)."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.sla.models import AgentStatus
from huitou.tickets.services import do_ticket_create

pytestmark = pytest.mark.django_db


def test_the_switch_on_a_ticket_page_returns_to_that_ticket(client):
    agent = UserFactory(role="agent")
    ticket = do_ticket_create(
        actor=agent, customer=CustomerFactory(), channel="web", type="order", subject="查订单"
    )
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/?tab=messages").content.decode()
    assert 'action="/sla/duty/"' in page
    assert f'name="next" value="/tickets/{ticket.pk}/?tab=messages"' in page
    response = client.post(
        "/sla/duty/", {"on_duty": "0", "next": f"/tickets/{ticket.pk}/?tab=messages"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/?tab=messages"
    assert AgentStatus.objects.get(user=agent).on_duty is False
    page = client.get(response["Location"])
    assert page.status_code == 200 and "在岗状态已更新" in page.content.decode()
    back_on = client.post("/sla/duty/", {"on_duty": "1", "next": "/tickets/"})
    assert back_on["Location"] == "/tickets/"
    assert AgentStatus.objects.get(user=agent).on_duty is True


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "", None]
)
def test_a_foreign_or_missing_next_goes_to_the_inbox_never_to_the_403_report(client, target):
    agent = UserFactory(role="agent")
    client.force_login(agent)
    data = {"on_duty": "0"} | ({"next": target} if target is not None else {})
    response = client.post("/sla/duty/", data)
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert client.get(response["Location"]).status_code == 200
    assert AgentStatus.objects.get(user=agent).on_duty is False


def test_the_switch_wants_a_post_and_a_login(client):
    assert client.post("/sla/duty/", {"on_duty": "0"}).status_code == 302  # to the login
    assert not AgentStatus.objects.exists()
    client.force_login(UserFactory(role="agent"))
    assert client.get("/sla/duty/").status_code == 405
