"""The console's pages: what each shows, and a query budget that does not grow with the line."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huitou.chat.models import ChatSession
from huitou.chat.tests.conftest import hand_off_sync
from huitou.tickets.phrases import do_default_phrases_load

pytestmark = pytest.mark.django_db


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_queries_for_three_waiting_chats_or_nine(agent, agent_client):
    for _ in range(3):
        hand_off_sync(Client())
    three = queries(agent_client, "/chat/lists/")
    for _ in range(6):
        hand_off_sync(Client())
    nine = queries(agent_client, "/chat/lists/")
    assert nine == three and nine <= 12


def test_an_open_conversation_shows_the_bot_transcript_archive_and_phrases(agent, agent_client):
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    agent_client.post(f"/chat/{chat.pk}/accept/")
    page = agent_client.get(f"/chat/?session={chat.pk}").content.decode()
    assert "转人工" in page and "李先生" in page and "客户档案" in page
    assert 'id="chat-composer"' in page and "标准用语" in page


def test_a_reply_with_a_forbidden_phrase_asks_for_confirmation_and_keeps_the_draft(
    agent, agent_client
):
    do_default_phrases_load()
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    agent_client.post(f"/chat/{chat.pk}/accept/")
    before = chat.ticket.messages.count()
    agent_client.post(
        f"/chat/{chat.pk}/send/", {"body": "这是本公司的规定，我也没办法", "kind": "reply"}
    )
    assert chat.ticket.messages.count() == before
    page = agent_client.get(f"/chat/?session={chat.pk}").content.decode()
    assert "这是本公司的规定，我也没办法" in page and 'name="confirm_forbidden"' in page
    agent_client.post(
        f"/chat/{chat.pk}/send/",
        {"body": "这是本公司的规定，我也没办法", "kind": "reply", "confirm_forbidden": "1"},
    )
    assert chat.ticket.messages.count() == before + 1


def test_an_internal_note_stays_with_staff(agent, agent_client):
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    agent_client.post(f"/chat/{chat.pk}/send/", {"body": "客户情绪激动", "kind": "note"})
    note = chat.ticket.messages.get(body="客户情绪激动")
    assert not note.public
