"""The rules of a live chat, through the services and the API: offline hours, accept and
capacity, transfer, end, and what the bot may say."""

import json
from datetime import datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.chat.events import CHAT_EVENTS, ChatEnded
from huitou.chat.models import ChannelIdentity, ChatSeat, ChatSession
from huitou.chat.services import do_channel_inbound, do_idle_chats_close
from huitou.chat.tests.conftest import hand_off_sync
from huitou.customers.retention import do_customer_erase_on_request, personal_data_export
from huitou.sla.models import AgentStatus, BusinessCalendar, Queue
from huitou.tickets.models import Message

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_outside_the_queues_hours_the_chat_is_a_message_left_for_later(
    chat_queue, agent, monkeypatch
):
    chat_queue.calendar = BusinessCalendar.objects.create(
        name="白班", hours={"mon": [["09:00", "18:00"]]}, timezone="Asia/Shanghai"
    )
    chat_queue.save()
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 11, 23, 20, 0, tzinfo=SHANGHAI)
    )
    body = hand_off_sync(Client())
    assert body["live"]["state"] == "offline" and body["live"]["reason"] == "after_hours"
    chat = ChatSession.objects.get()
    notice = chat.ticket.messages.filter(sender=Message.Sender.SYSTEM).last()
    assert "非工作时间" in notice.body
    # What the customer leaves is on the ticket, answered later by e-mail or in the portal.
    post(
        Client(),
        "/api/v1/bot/ask",
        {"question": "明天请回电话", "conversation": body["conversation"]},
    )
    assert chat.ticket.messages.filter(body="明天请回电话", sender="customer").exists()


def test_with_nobody_on_duty_the_widget_offers_to_leave_a_message(chat_queue, agent):
    AgentStatus.objects.create(user=agent, on_duty=False)
    body = hand_off_sync(Client())
    assert body["live"]["state"] == "offline" and body["live"]["reason"] == "nobody_on_duty"


def test_a_routed_queue_gives_the_chat_to_an_agent_at_once(chat_queue, agent):
    chat_queue.strategy = Queue.Strategy.ROUND_ROBIN
    chat_queue.save()
    body = hand_off_sync(Client())
    assert body["live"]["state"] == "active" and body["live"]["agent"] == "张客服"
    assert ChatSession.objects.get().agent == agent


def test_the_queue_position_counts_who_came_first_and_the_wait_the_free_seats(
    chat_queue, agent, agent_client
):
    ChatSeat.objects.create(user=agent, max_chats=2)
    first = hand_off_sync(Client())
    second = hand_off_sync(Client())
    third = hand_off_sync(Client())
    positions = [body["live"]["position"] for body in (first, second, third)]
    assert positions == [1, 2, 3]
    # Two free seats take the first two at once; the third waits for a chat to end.
    waits = [body["live"]["wait_seconds"] for body in (first, second, third)]
    assert waits[:2] == [0, 0] and waits[2] == 300  # HUITOU_CHAT_DEFAULT_HANDLING_SECONDS
    oldest = ChatSession.objects.order_by("id").first()
    post(agent_client, f"/api/v1/chat/sessions/{oldest.pk}/accept")
    fourth = hand_off_sync(Client())
    # One seat left: two ahead of it, each a handling time.
    assert fourth["live"]["position"] == 3 and fourth["live"]["wait_seconds"] == 600


def test_accepting_takes_the_chat_within_the_agents_capacity(chat_queue, agent, agent_client):
    ChatSeat.objects.create(user=agent, max_chats=1)
    hand_off_sync(Client())
    hand_off_sync(Client())
    first, second = ChatSession.objects.order_by("id")
    assert post(agent_client, f"/api/v1/chat/sessions/{first.pk}/accept").status_code == 200
    first.refresh_from_db()
    assert first.state == "active" and first.agent == agent and first.ticket.assignee == agent
    refused = post(agent_client, f"/api/v1/chat/sessions/{second.pk}/accept")
    assert refused.status_code == 409 and "上限" in refused.json()["detail"][0]["msg"]
    second.refresh_from_db()
    assert second.state == "waiting" and second.ticket.assignee is None


def test_a_chat_another_agent_holds_cannot_be_accepted(chat_queue, agent, agent_client):
    other = UserFactory(role="agent")
    chat_queue.members.add(other)
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/accept")
    late = Client()
    late.force_login(other)
    assert post(late, f"/api/v1/chat/sessions/{chat.pk}/accept").status_code == 409


def test_a_transfer_tells_the_customer_and_keeps_the_reason_for_staff(
    chat_queue, agent, agent_client
):
    colleague = UserFactory(role="agent", full_name="李客服")
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/accept")
    missing = post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/transfer", {"reason": ""})
    assert missing.status_code == 422
    moved = post(
        agent_client,
        f"/api/v1/chat/sessions/{chat.pk}/transfer",
        {"reason": "需要技术支持", "assignee": colleague.pk},
    )
    assert moved.status_code == 200 and moved.json()["agent"] == colleague.pk
    thread = list(chat.ticket.messages.order_by("id"))
    told = [m.body for m in thread if m.public and m.sender == "system"]
    assert any("李客服" in body for body in told)
    assert any("需要技术支持" in m.body and not m.public for m in thread)
    assert not any("需要技术支持" in body for body in told)


def test_ending_resolves_the_ticket_and_tells_the_satisfaction_hook_once(
    chat_queue, agent, agent_client, monkeypatch, django_capture_on_commit_callbacks
):
    ended = []
    emit = CHAT_EVENTS.emit

    def heard(event):
        if isinstance(event, ChatEnded):
            ended.append(event)
        return emit(event)

    monkeypatch.setattr(CHAT_EVENTS, "emit", heard)
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/accept")
    response = post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/end")
    assert response.status_code == 200 and response.json()["state"] == "ended"
    chat.refresh_from_db()
    assert chat.ticket.status == "resolved" and chat.ended_at is not None
    assert len(ended) == 1 and ended[0].session.pk == chat.pk
    assert post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/end").status_code == 409


def test_resolving_the_ticket_anywhere_ends_its_chat(chat_queue, agent, agent_client):
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    post(agent_client, f"/api/v1/chat/sessions/{chat.pk}/accept")
    response = agent_client.patch(
        f"/api/v1/tickets/{chat.ticket_id}",
        json.dumps({"status": "resolved"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    chat.refresh_from_db()
    assert chat.state == "ended"


def test_an_agents_answer_to_a_waiting_chat_takes_it(chat_queue, agent, agent_client):
    hand_off_sync(Client())
    chat = ChatSession.objects.get()
    post(
        agent_client, f"/api/v1/tickets/{chat.ticket_id}/messages", {"body": "您好", "public": True}
    )
    chat.refresh_from_db()
    assert chat.state == "active" and chat.agent == agent


def test_the_console_lists_need_a_desk_role(chat_queue, agent, agent_client):
    hand_off_sync(Client())
    lists = agent_client.get("/api/v1/chat/sessions").json()
    assert [s["state"] for s in lists["waiting"]] == ["waiting"] and lists["mine"] == []
    qa = Client()
    qa.force_login(UserFactory(role="qa"))
    assert qa.get("/api/v1/chat/sessions").status_code == 403


def test_a_wechat_message_is_asked_of_the_bot_until_a_person_has_it(chat_queue, agent):
    first = do_channel_inbound(
        via="wechat", account="wx1", external_id="openid-1", body="转人工", external_msg_id="m1"
    )
    assert first.handed_off and first.session_id
    again = do_channel_inbound(
        via="wechat", account="wx1", external_id="openid-1", body="转人工", external_msg_id="m1"
    )
    assert again.duplicate  # WeChat's retry of the same MsgId does nothing
    later = do_channel_inbound(
        via="wechat", account="wx1", external_id="openid-1", body="我的订单呢", external_msg_id="m2"
    )
    assert later.answer is None and later.session_id == first.session_id
    chat = ChatSession.objects.get()
    assert (
        chat.via == "wechat" and chat.external_id == "openid-1" and chat.ticket.channel == "wechat"
    )
    bodies = list(chat.ticket.messages.filter(sender="customer").values_list("body", flat=True))
    assert bodies == ["转人工", "我的订单呢"]


def test_a_wechat_customers_openid_is_exported_and_erased_on_request(chat_queue, agent):
    result = do_channel_inbound(
        via="wechat", account="wx1", external_id="openid-9", body="转人工", display_name="小李"
    )
    customer = ChatSession.objects.get(pk=result.session_id).ticket.customer
    exported = json.loads(personal_data_export(actor=None, customer=customer, channel="cli"))
    assert [row["external_id"] for row in exported["chat_channels"]] == ["openid-9"]
    do_customer_erase_on_request(
        actor=None, customer=customer, reason="客户要求删除", channel="cli"
    )
    assert not ChannelIdentity.objects.filter(external_id="openid-9").exists()
    assert ChatSession.objects.get(pk=result.session_id).external_id == ""


def test_a_chat_nobody_writes_in_for_half_an_hour_is_over(chat_queue, agent, agent_client):
    hand_off_sync(Client())
    hand_off_sync(Client())
    hand_off_sync(Client())
    served, waiting, lively = ChatSession.objects.order_by("id")
    post(agent_client, f"/api/v1/chat/sessions/{served.pk}/accept")
    later = timezone.now() + timedelta(minutes=31)
    with freeze(later):  # the third customer wrote a minute ago
        post(
            Client(),
            "/api/v1/bot/ask",
            {"question": "还在吗", "conversation": conversation_of(lively)},
        )
    assert do_idle_chats_close(now=later + timedelta(minutes=1)) == 2
    served.refresh_from_db()
    waiting.refresh_from_db()
    lively.refresh_from_db()
    assert served.state == "ended" and served.ticket.status == "resolved"
    assert waiting.state == "offline" and waiting.offline_reason == "customer_left"
    assert waiting.ticket.status not in ("resolved", "closed")
    assert lively.state == "waiting"
    assert "自动结束" in served.ticket.messages.filter(sender="system").last().body
    assert do_idle_chats_close(now=later + timedelta(minutes=1)) == 0


def conversation_of(session) -> str:
    return str(session.conversation.token)


def freeze(moment):
    return patch("django.utils.timezone.now", return_value=moment)
