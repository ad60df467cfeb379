"""A refused reply is answered with a redirect (Post/Redirect/Get): the draft and the warning
come back on the ticket page, a reload does not post again, and sending clears the draft."""

import re

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.tickets.models import ForbiddenPhraseUse, Message
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _reply_box(page: str) -> str:
    return re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)


def test_a_refused_reply_redirects_and_keeps_the_draft_with_the_warning(client):
    agent = UserFactory(role="agent")
    ticket = TicketFactory()
    client.force_login(agent)
    detail = f"/tickets/{ticket.pk}/"
    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"body": "这不归我们管，你去找消协吧", "public": "on"}
    )
    assert response.status_code == 302
    assert response.url.startswith(detail)
    assert not Message.objects.filter(ticket=ticket).exists()

    for _reload in range(2):  # a reload is a GET: it shows the same, and sends nothing
        page = client.get(detail)
        assert page.status_code == 200
        html = page.content.decode()
        assert _reply_box(html) == "这不归我们管，你去找消协吧"
        assert "服务忌语" in html and "不归我们管" in html
        assert 'name="confirm_forbidden"' in html
    assert not Message.objects.filter(ticket=ticket).exists()

    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "这不归我们管，你去找消协吧", "public": "on", "confirm_forbidden": "on"},
    )
    assert response.status_code == 302
    assert Message.objects.filter(ticket=ticket, public=True).count() == 1
    assert ForbiddenPhraseUse.objects.filter(author=agent).count() == 2
    html = client.get(detail).content.decode()
    assert _reply_box(html) == "" and 'name="confirm_forbidden"' not in html


def test_the_draft_belongs_to_its_ticket(client):
    client.force_login(UserFactory(role="agent"))
    ticket, other = TicketFactory(), TicketFactory()
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "你自己看说明书", "public": "on"})
    html = client.get(f"/tickets/{other.pk}/").content.decode()
    assert _reply_box(html) == "" and "服务忌语" not in html
    assert _reply_box(client.get(f"/tickets/{ticket.pk}/").content.decode()) == "你自己看说明书"


def test_a_reply_with_an_unfilled_variable_is_also_kept_as_a_draft(client):
    client.force_login(UserFactory(role="agent"))
    ticket = TicketFactory()
    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"body": "我们会在{承诺日期}前答复。", "public": "on"}
    )
    assert response.status_code == 302
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert _reply_box(html) == "我们会在{承诺日期}前答复。"
    assert 'data-field="body"' in html and "{承诺日期}" in html
    assert 'name="confirm_forbidden"' not in html
