"""The customer's live chat after the bot: the queue, an agent, messages both ways, resume
without loss or doubles, and the bot silent once a person has the conversation."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from huitou.chat.models import ChatSession
from huitou.chat.tests.conftest import (
    customer_socket,
    drain,
    frames_until,
    hand_off,
    hand_off_sync,
    run,
    staff_socket,
)
from huitou.config.asgi import application
from huitou.knowledge.models import BotTurn
from huitou.tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def _reply_sync(client, ticket_id, body, public=True):
    response = client.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json.dumps({"body": body, "public": public}),
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


reply = sync_to_async(_reply_sync)


def _session():
    return ChatSession.objects.select_related("ticket").get()


session = sync_to_async(_session)


def test_after_a_hand_off_the_bot_is_silent_and_the_words_reach_the_ticket(agent):
    client = Client()
    body = hand_off_sync_call(client)
    assert body["live"]["state"] == "waiting"
    assert body["live"]["position"] == 1
    turns = BotTurn.objects.count()
    again = client.post(
        "/api/v1/bot/ask",
        json.dumps({"question": "运费怎么算", "conversation": body["conversation"]}),
        content_type="application/json",
    ).json()
    assert again["handoff"] is True and again["answer"] is None and again["faq_id"] is None
    assert BotTurn.objects.count() == turns  # the bot did not even look
    chat = ChatSession.objects.get()
    last = chat.ticket.messages.order_by("id").last()
    assert (last.sender, last.body) == (Message.Sender.CUSTOMER, "运费怎么算")


def hand_off_sync_call(client):
    return hand_off_sync(client)


def test_a_chat_from_queue_to_agent_both_ways_live(agent, agent_client):
    async def scenario():
        body = await hand_off(Client())
        customer = await customer_socket(body["live"])
        state = await customer.receive_json_from()
        assert state["type"] == "state" and state["state"] == "waiting"
        assert state["position"] == 1
        chat = await session()
        staff = await staff_socket(agent)
        await staff.send_json_to({"type": "watch", "ticket": chat.ticket_id})
        await frames_until(staff, lambda f: f["type"] == "watching")

        accepted = await sync_to_async(agent_client.post)(f"/api/v1/chat/sessions/{chat.pk}/accept")
        assert accepted.status_code == 200, accepted.content
        frames = await frames_until(customer, lambda f: f.get("state") == "active")
        assert frames[-1]["agent"] == "张客服"

        await reply(agent_client, chat.ticket_id, "您好，我是张客服，请问有什么可以帮您？")
        frames = await frames_until(
            customer, lambda f: f["type"] == "message" and f["sender"] == "agent"
        )
        said = frames[-1]
        assert said["body"].startswith("您好，我是张客服") and said["author"] == "张客服"
        assert {"id", "body", "author", "at"} <= set(said)

        await customer.send_json_to({"type": "message", "body": "我的快递三天没动了"})
        got = await frames_until(
            staff, lambda f: f["type"] == "message" and f["sender"] == "customer"
        )
        assert got[-1]["body"] == "我的快递三天没动了"
        echoed = await frames_until(
            customer, lambda f: f["type"] == "message" and f["sender"] == "customer"
        )
        assert echoed[-1]["id"] == got[-1]["id"]

        await reply(agent_client, chat.ticket_id, "内部：查一下物流", public=False)
        assert not [f for f in await drain(customer) if f["type"] == "message"]
        await customer.disconnect()
        await staff.disconnect()

    run(scenario)


def test_a_reconnect_replays_what_was_missed_once_and_doubles_nothing(agent, agent_client):
    async def scenario():
        body = await hand_off(Client())
        customer = await customer_socket(body["live"])
        await customer.send_json_to({"type": "resume", "after": 0})
        history = await frames_until(
            customer, lambda f: f["type"] == "message" and f["body"].startswith("这个问题")
        )
        seen = [f["id"] for f in history if f["type"] == "message"]
        await customer.disconnect()

        chat = await session()
        await sync_to_async(agent_client.post)(f"/api/v1/chat/sessions/{chat.pk}/accept")
        await reply(agent_client, chat.ticket_id, "第一条")
        await reply(agent_client, chat.ticket_id, "第二条")

        again = await customer_socket(body["live"])
        await again.send_json_to({"type": "resume", "after": seen[-1]})
        await again.send_json_to({"type": "resume", "after": seen[-1]})  # asked twice
        await reply(agent_client, chat.ticket_id, "第三条")
        frames = await drain(again, timeout=0.8)
        bodies = [f["body"] for f in frames if f["type"] == "message"]
        assert bodies.count("第一条") == bodies.count("第二条") == bodies.count("第三条") == 1
        assert bodies.index("第一条") < bodies.index("第二条") < bodies.index("第三条")
        ids = [f["id"] for f in frames if f["type"] == "message"]
        assert len(ids) == len(set(ids)) and min(ids) > seen[-1]
        await again.disconnect()

    run(scenario)


def test_a_connection_with_after_in_its_address_is_replayed_on_connect(agent):
    async def scenario():
        body = await hand_off(Client())
        customer = await customer_socket(body["live"], query="after=0")
        frames = await drain(customer, timeout=0.5)
        customer_lines = [f["body"] for f in frames if f["type"] == "message"]
        assert customer_lines[0] == "转人工"
        await customer.disconnect()

    run(scenario)


def test_a_forged_or_missing_token_is_refused(agent):
    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            "/ws/chat/not-a-token/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        connected, code = await communicator.connect()
        assert not connected and code == 4403

    run(scenario)


def test_a_bad_frame_gets_an_error_naming_the_field(agent):
    async def scenario():
        body = await hand_off(Client())
        customer = await customer_socket(body["live"])
        await customer.receive_json_from()
        await customer.send_json_to({"type": "message", "body": ""})
        error = await frames_until(customer, lambda f: f["type"] == "error")
        assert error[-1]["field"] == "body"
        await customer.send_json_to({"type": "resume", "after": "x"})
        error = await frames_until(customer, lambda f: f["type"] == "error")
        assert error[-1]["field"] == "after"
        await customer.disconnect()

    run(scenario)
