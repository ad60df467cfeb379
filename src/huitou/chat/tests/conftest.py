"""Live chat tests: the WebSocket consumers through Channels' communicator, in one event
loop with the API client (sync calls run on the test's thread, as under an ASGI server), on
a transactional database because the consumers read committed rows."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from huitou.accounts.tests.factories import UserFactory
from huitou.config.asgi import application
from huitou.sla.models import BusinessCalendar, Queue

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
GUEST = {"name": "李先生", "phone": "13800138000"}


@pytest.fixture(autouse=True)
def many_visitors(settings):
    """These tests hand off many chats from one test client: lift the per-client limits."""
    settings.HUITOU_RATE_LIMITS = {
        **settings.HUITOU_RATE_LIMITS,
        "bot_ask": ("1000/m", "100000/h"),
        "bot_handoff": ("1000/m", "100000/h"),
    }


def run(scenario):
    """Run an async test body in a thread of its own, whose sync calls (the API client, the
    consumers' database work) stay on that thread: the test's thread may hold another event
    loop (the browser tests'). The database is transactional, so that thread sees it all."""

    def in_thread():
        try:
            return async_to_sync(scenario)()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_thread).result()


@pytest.fixture
def chat_queue(db):
    calendar = BusinessCalendar.objects.create(name="全天", timezone="Asia/Shanghai", hours=ALL_DAY)
    return Queue.objects.create(
        name="在线客服", channel="chat", strategy=Queue.Strategy.PULL, calendar=calendar, order=1
    )


@pytest.fixture
def agent(chat_queue):
    user = UserFactory(username="zhang", full_name="张客服", role="agent")
    chat_queue.members.add(user)
    return user


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent)
    return client


def ask_sync(client: Client, question: str, conversation: str | None = None, **extra):
    body = {"question": question, **extra}
    if conversation:
        body["conversation"] = conversation
    return client.post("/api/v1/bot/ask", json.dumps(body), content_type="application/json")


ask = sync_to_async(ask_sync)


def hand_off_sync(client: Client) -> dict:
    response = ask_sync(client, "转人工", **GUEST)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["handoff"] and body["live"], body
    return body


hand_off = sync_to_async(hand_off_sync)


async def customer_socket(live: dict, *, query: str = "") -> WebsocketCommunicator:
    path = live["ws"] + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    )
    connected, _code = await communicator.connect()
    assert connected
    return communicator


async def staff_socket(user) -> WebsocketCommunicator:
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application,
        "/ws/staff/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )
    connected, _code = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    return communicator


async def frames_until(communicator, predicate, *, timeout: float = 3.0) -> list[dict]:
    """Frames received up to and including the first that `predicate` accepts."""
    seen = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        seen.append(frame)
        if predicate(frame):
            return seen


async def drain(communicator, *, timeout: float = 0.3) -> list[dict]:
    """Whatever arrives within `timeout` (to prove nothing more comes)."""
    frames = []
    while not await communicator.receive_nothing(timeout=timeout):
        frames.append(await communicator.receive_json_from())
    return frames
