"""Two `huitou serve` processes and one Redis: what happens in one process reaches a socket
open on the other, as with several ASGI processes behind a proxy (README "Deploying").

Both processes serve this test's database (DATABASE_URL of the test database); the test
creates its data through the ORM and commits it (a transactional test). They use the
machine's Redis at REDIS_URL below, their keys under a prefix of this run's own
(redis_settings.py), deleted afterwards. Without that Redis the test fails in CI (CI=true)
and is skipped elsewhere, saying why."""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect

from huitou.accounts.services import do_token_create
from huitou.chat.models import ChatSession
from huitou.chat.tests.conftest import GUEST, run
from huitou.core.tests.smtp_worker import database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = "redis://127.0.0.1:6379/15"
START_TIMEOUT = 60.0
FRAME_TIMEOUT = 15.0
# Loopback only, whatever proxy the environment names.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        client.close()
        reason = f"no Redis at {REDIS_URL} ({error})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}: CI must run Redis for the channel layer test")
        pytest.skip(f"{reason}: start redis-server to run the Redis channel layer test")
    prefix = f"huitou-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def servers(transactional_db, redis_prefix, tmp_path):
    """Processes A and B, both serving; stopped (killed if need be) whatever the test did.
    Asking for transactional_db here stops them before the database is flushed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huitou.chat.tests.redis_settings",
        "REDIS_URL": REDIS_URL,
        "HUITOU_TEST_REDIS_PREFIX": redis_prefix,
        "DATABASE_URL": database_url(),
        "HUITOU_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    started: list[Server] = []
    try:
        for name in "AB":
            port, log = free_port(), tmp_path / f"serve-{name}.log"
            command = [sys.executable, "-m", "huitou", "serve", "--addr", f"127.0.0.1:{port}"]
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*command, "--no-worker"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(Server(name, port, process, log))
        for server in started:
            wait_until_serving(server)
        yield started
    finally:
        for server in started:
            stop(server)


def wait_until_serving(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"server {server.name} exited:\n{server.log_tail()}")
        try:
            call(server, "GET", "/healthz")  # any answer (503: no worker, by design)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"server {server.name} not serving after {START_TIMEOUT} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def call(server: Server, method: str, path: str, body=None, token: str = "") -> tuple[int, object]:
    """An HTTP request to `server`: (status, parsed JSON or text)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.origin + path, data, headers, method=method)
    try:
        with HTTP.open(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def hand_off(server: Server) -> dict:
    status, body = call(server, "POST", "/api/v1/bot/ask", {"question": "转人工", **GUEST})
    assert status == 200 and body["live"], (status, body)
    return body


def socket(server: Server, path: str, *, cookie: str = "") -> connect:
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}
    return connect(server.ws(path), origin=server.origin, additional_headers=headers, proxy=None)


async def frame_where(ws: ClientConnection, predicate) -> dict:
    """The first frame `predicate` accepts (those before it are passed over)."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame


def call_async(*args, **kwargs):
    return asyncio.to_thread(call, *args, **kwargs)


def test_an_agent_on_process_b_reaches_the_customer_on_process_a(servers, agent):
    a, b = servers
    _token, token = do_token_create(user=agent, name="redis layer test")
    live = hand_off(a)["live"]
    chat = ChatSession.objects.get()
    reply = "您好，我是张客服，在另一台服务器上。"

    async def scenario():
        async with socket(a, live["ws"]) as customer:
            state = await frame_where(customer, lambda f: f["type"] == "state")
            assert state["state"] == "waiting"

            path = f"/api/v1/chat/sessions/{chat.pk}/accept"
            status, accepted = await call_async(b, "POST", path, token=token)
            assert status == 200, accepted
            # B's after-commit broadcast, heard through Redis by A's consumer.
            active = await frame_where(
                customer, lambda f: f["type"] == "state" and f["state"] == "active"
            )
            assert active["agent"] == "张客服"

            path = f"/api/v1/tickets/{chat.ticket_id}/messages"
            status, posted = await call_async(
                b, "POST", path, {"body": reply, "public": True}, token=token
            )
            assert status in (200, 201), posted
            said = await frame_where(
                customer, lambda f: f["type"] == "message" and f["sender"] == "agent"
            )
            assert (said["body"], said["author"]) == (reply, "张客服")

    run(scenario)


def test_a_customer_on_process_a_reaches_the_staff_socket_on_process_b(servers, agent):
    a, b = servers
    live = hand_off(a)["live"]
    chat = ChatSession.objects.get()
    client = Client()
    client.force_login(agent)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    words = "我的快递三天没动了（在 A 上说的）"

    async def scenario():
        async with (
            socket(b, "/ws/staff/", cookie=cookie) as staff,
            socket(a, live["ws"]) as customer,
        ):
            await frame_where(staff, lambda f: f["type"] == "hello")
            await staff.send(json.dumps({"type": "watch", "ticket": chat.ticket_id}))
            await frame_where(staff, lambda f: f["type"] == "watching")
            await frame_where(customer, lambda f: f["type"] == "state")

            await customer.send(json.dumps({"type": "message", "body": words}))
            got = await frame_where(
                staff, lambda f: f["type"] == "message" and f["sender"] == "customer"
            )
            assert (got["body"], got["ticket"]) == (words, chat.ticket_id)

    run(scenario)
