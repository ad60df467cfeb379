"""`python -m bench.chat_load`: live chat through one ASGI process, on loopback.

It starts its own `huitou serve --no-worker` (uvicorn, the in-memory channel layer) on a
fresh SQLite database with a chat queue and `--agents` agents. `--customers` customers hand
off (POST /api/v1/bot/ask), each chat is accepted by its agent at once (POST
/api/v1/chat/sessions/{id}/accept), then every customer opens its WebSocket and every agent
a staff socket watching its share of the tickets. Phases, each body carrying a unique id:

- open loop: for `--seconds`, the customers send `--rate` messages a second in all, on
  schedule whatever arrived, and the agents answer `--reply-rate` a second through POST
  /api/v1/tickets/{id}/messages: delivered msg/s, p50/p99 from a customer's send to the
  agent's staff socket (and to the customer's own echo), and from a reply to the customer;
- closed loop: CONCURRENCY senders, each sending its next message when the last one reached
  the agent's socket: the msg/s one process sustains end to end.

Baselines against the same process in the same run, also CONCURRENCY clients in a closed
loop: GET /healthz round trips, and the customer's next message over HTTP (POST
/api/v1/bot/ask with the conversation: the same store path, no WebSocket). Memory: the
server's RSS before and after opening the sockets, per socket. Client and server share the
machine's cores, so the client's own time is in every figure.
"""

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# The consumer lets a connection send 10 messages per 10 s (consumers.MESSAGE_BURST).
MAX_RATE_PER_CUSTOMER = 0.9
BASELINE_SECONDS = 5.0
CONCURRENCY = 20  # parallel requests in the set-up, the baselines and the capacity phase
LOST_AFTER = 5.0  # seconds the capacity phase waits for a message to reach the agent


@dataclass
class Customer:
    n: int
    ws_path: str = ""
    conversation: str = ""
    session: int = 0
    ticket: int = 0
    socket: ClientConnection | None = None
    last_sent: float = 0.0


@dataclass
class Agent:
    n: int
    cookie: str
    token: str
    customers: list[Customer] = field(default_factory=list)
    watching: set[int] = field(default_factory=set)
    socket: ClientConnection | None = None
    frames: int = 0  # every frame its staff socket received


@dataclass
class Timings:
    """Send times by body, and the latencies of the bodies that arrived (once each)."""

    sent: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    arrived: set[str] = field(default_factory=set)
    last_arrival: float = 0.0

    def done(self) -> bool:
        return len(self.arrived) == len(self.sent)

    def arrive(self, body: str) -> None:
        at = self.sent.get(body)
        if at is None or body in self.arrived:
            return
        now = time.monotonic()
        self.arrived.add(body)
        self.latencies.append(now - at)
        self.last_arrival = now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=10.0, help="customer messages/s, in all")
    parser.add_argument("--reply-rate", type=float, default=2.0, help="agent replies/s, in all")
    parser.add_argument("--no-deflate", action="store_true", help="sockets without compression")
    args = parser.parse_args()
    if args.rate > args.customers * MAX_RATE_PER_CUSTOMER:
        parser.error(f"--rate: at most {MAX_RATE_PER_CUSTOMER}/s per customer (consumers' limit)")
    per_agent = -(-args.customers // args.agents)
    if per_agent > 20:
        parser.error("--agents: an agent holds at most 20 chats (raise --agents)")
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        os.environ.update(server_env(var))
        # Django only now that the environment names this run's database.
        import django

        django.setup()
        from django.core.management import call_command  # these too, after the set-up
        from django.db import connections

        call_command("migrate", verbosity=0)
        agents = create_agents(args.agents, max_chats=per_agent)
        connections.close_all()
        port = free_port()
        serve = [sys.executable, "-m", "huitou", "serve", "--addr", f"127.0.0.1:{port}"]
        with (var / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [*serve, "--no-worker"],
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            figures = asyncio.run(Bench(args, port, server.pid, agents).run())
        except BaseException:
            print((var / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    report(args, figures)
    return 0


def server_env(var: Path) -> dict[str, str]:
    """Development settings with DEBUG off (no query log growing in memory), limits out of
    the way of the load, the uvicorn access log kept to warnings."""
    return {
        "HUITOU_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "huitou.config.settings.dev",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "HUITOU_RATE_LIMIT_BOT_ASK": "100000/m,1000000/h",
        "HUITOU_RATE_LIMIT_BOT_HANDOFF": "100000/m,1000000/h",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_agents(count: int, *, max_chats: int) -> list[Agent]:
    """The chat queue (all day, agents pull) and its agents: a login session for the staff
    socket and an API token for accept and replies."""
    # Django's, once main() has set it up for this run's database (as the other benches).
    from django.conf import settings
    from django.test import Client

    from huitou.accounts.services import do_token_create, do_user_create
    from huitou.chat.models import ChatSeat
    from huitou.sla.models import BusinessCalendar, Queue

    # Set-up speed only: the server never checks these passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    calendar = BusinessCalendar.objects.create(name="全天", timezone="Asia/Shanghai", hours=ALL_DAY)
    queue = Queue.objects.create(
        name="在线客服", channel="chat", strategy=Queue.Strategy.PULL, calendar=calendar, order=1
    )
    agents = []
    for n in range(count):
        user = do_user_create(
            username=f"agent{n}",
            password="bench-password-123",
            role="agent",
            full_name=f"客服{n:02d}",
            check_password_strength=False,
        )
        queue.members.add(user)
        ChatSeat.objects.create(user=user, max_chats=max_chats)
        client = Client()
        client.force_login(user)
        _token, raw = do_token_create(user=user, name="bench")
        agents.append(Agent(n, client.cookies[settings.SESSION_COOKIE_NAME].value, raw))
    return agents


def stored_messages() -> int:
    """The load's customer messages on their tickets (read in the bench's own process)."""
    # Django's, once main() has set it up.
    from django.db import connection

    from huitou.tickets.models import Message

    try:
        return Message.objects.filter(body__startswith="bench c").count()
    finally:
        connection.close()


async def settle(waiting, *, seconds: float) -> None:
    """Give `waiting()` up to `seconds` to turn false."""
    deadline = time.monotonic() + seconds
    while waiting() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc status")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, args, port: int, pid: int, agents: list[Agent]):
        self.args, self.port, self.pid, self.agents = args, port, pid, agents
        self.base = f"http://127.0.0.1:{port}"
        self.customers = [Customer(n) for n in range(args.customers)]
        self.to_agent, self.to_customer, self.echo = Timings(), Timings(), Timings()
        self.figures: dict = {}
        self.awaited: dict[str, asyncio.Future] = {}
        self.errors: list[str] = []

    async def run(self) -> dict:
        # Django's, once main() has set it up.
        from huitou.chat.selectors import session_id_for_token

        self.session_id_for_token = session_id_for_token
        # No cookie jar: every customer is a new visitor, not one visitor's many chats.
        jar = aiohttp.DummyCookieJar()
        limits = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(cookie_jar=jar, connector=limits) as http:
            self.http = http
            await self.wait_for_server()
            self.figures["healthz_per_s"], self.figures["healthz_p50"] = await self.closed_loop(
                lambda n: self.http.get(f"{self.base}/healthz")
            )
            # Hand-off and accept in turn, as agents keep up with a queue: the queue stays
            # short (a long one costs every accept a new position for each waiting chat).
            start = time.monotonic()
            await self.gather_limited(self.hand_off_and_accept(c) for c in self.customers)
            self.figures["handoffs_per_s"] = len(self.customers) / (time.monotonic() - start)

            await asyncio.sleep(1.0)  # let the after-commit broadcasts settle
            before = rss_kib(self.pid)
            start = time.monotonic()
            await self.gather_limited(self.open_customer(c) for c in self.customers)
            await self.gather_limited(self.open_agent(a) for a in self.agents)
            self.figures["open_s"] = time.monotonic() - start
            await asyncio.sleep(1.0)
            after = rss_kib(self.pid)
            connections = len(self.customers) + len(self.agents)
            self.figures["rss_before_mib"] = before / 1024
            self.figures["rss_after_mib"] = after / 1024
            self.figures["kib_per_connection"] = (after - before) / connections

            readers = [
                asyncio.create_task(self.read(f"customer {c.n}", self.read_customer(c)))
                for c in self.customers
            ] + [
                asyncio.create_task(self.read(f"agent {a.n}", self.read_agent(a)))
                for a in self.agents
            ]
            await asyncio.gather(*(self.watch(a) for a in self.agents))
            self.figures["rss_watching_mib"] = rss_kib(self.pid) / 1024

            await self.load()
            await self.capacity()
            self.figures["store_per_s"], self.figures["store_p50"] = await self.closed_loop(
                self.http_message
            )
            self.figures["rss_end_mib"] = rss_kib(self.pid) / 1024
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            ends = [*self.customers, *self.agents]
            await asyncio.gather(*(end.socket.close() for end in ends), return_exceptions=True)
        self.figures["errors"] = len(self.errors)
        self.figures["staff_frames"] = sum(agent.frames for agent in self.agents)
        self.figures["to_agent"] = self.to_agent.latencies
        self.figures["to_customer"] = self.to_customer.latencies
        self.figures["echo"] = self.echo.latencies
        for line in self.errors[:5]:
            print("error:", line, file=sys.stderr)
        return self.figures

    async def wait_for_server(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                async with self.http.get(f"{self.base}/healthz") as response:
                    await response.read()  # 503 too: the worker is not running, by design
                    return
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def gather_limited(self, calls) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(call):
            async with gate:
                await call

        await asyncio.gather(*(one(call) for call in calls))

    async def closed_loop(self, request) -> tuple[float, float]:
        """CONCURRENCY clients, each sending its next request when the last one answered:
        (requests per second, median round trip)."""
        times: list[float] = []
        stop = time.monotonic() + BASELINE_SECONDS

        async def client(k: int) -> None:
            n = k
            while time.monotonic() < stop:
                start = time.monotonic()
                async with request(n) as response:
                    await response.read()
                    if response.status >= 400 and response.status != 503:
                        self.errors.append(f"HTTP {response.status} {response.url}")
                times.append(time.monotonic() - start)
                n += CONCURRENCY

        start = time.monotonic()
        await asyncio.gather(*(client(k) for k in range(CONCURRENCY)))
        return len(times) / (time.monotonic() - start), statistics.median(times)

    def http_message(self, n: int):
        customer = self.customers[n % len(self.customers)]
        body = {"question": f"HTTP 留言 {n}", "conversation": customer.conversation}
        return self.http.post(f"{self.base}/api/v1/bot/ask", json=body)

    async def hand_off(self, customer: Customer) -> None:
        body = {"question": "转人工", "name": f"顾客{customer.n}", "phone": f"138{customer.n:08d}"}
        async with self.http.post(f"{self.base}/api/v1/bot/ask", json=body) as response:
            reply = await response.json()
            if response.status != 200 or not reply.get("live"):
                raise RuntimeError(f"hand-off {customer.n}: {response.status} {reply}")
        customer.ws_path, customer.conversation = reply["live"]["ws"], reply["conversation"]

    def ws(self, path: str, **headers) -> connect:
        return connect(
            f"ws://127.0.0.1:{self.port}{path}",
            origin=self.base,
            additional_headers=headers,
            compression=None if self.args.no_deflate else "deflate",
            proxy=None,
            open_timeout=60,
        )

    async def open_customer(self, customer: Customer) -> None:
        customer.socket = await self.ws(customer.ws_path)
        state = json.loads(await customer.socket.recv())
        assert state["type"] == "state", state

    async def hand_off_and_accept(self, customer: Customer) -> None:
        await self.hand_off(customer)
        token = customer.ws_path.strip("/").split("/")[-1]
        customer.session = self.session_id_for_token(token)
        agent = self.agents[customer.n % len(self.agents)]
        agent.customers.append(customer)
        url = f"{self.base}/api/v1/chat/sessions/{customer.session}/accept"
        headers = {"Authorization": f"Bearer {agent.token}"}
        async with self.http.post(url, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"accept {customer.session}: {await response.text()}")
            customer.ticket = (await response.json())["ticket"]

    async def open_agent(self, agent: Agent) -> None:
        agent.socket = await self.ws("/ws/staff/", Cookie=f"sessionid={agent.cookie}")
        hello = json.loads(await agent.socket.recv())
        assert hello["type"] == "hello", hello

    async def watch(self, agent: Agent) -> None:
        """Watch the agent's tickets; back when the server confirmed each one."""
        for customer in agent.customers:
            await agent.socket.send(json.dumps({"type": "watch", "ticket": customer.ticket}))
        deadline = time.monotonic() + 60
        while len(agent.watching) < len(agent.customers):
            if time.monotonic() > deadline:
                raise RuntimeError(f"agent {agent.n}: {len(agent.watching)} tickets watched")
            await asyncio.sleep(0.05)

    async def read(self, name: str, frames) -> None:
        try:
            await frames
        except ConnectionClosed as closed:
            self.errors.append(f"{name}: socket closed ({closed})")

    async def read_customer(self, customer: Customer) -> None:
        async for raw in customer.socket:
            frame = json.loads(raw)
            if frame.get("type") == "message" and frame.get("sender") == "agent":
                self.to_customer.arrive(frame["body"])
            elif frame.get("type") == "message" and frame.get("sender") == "customer":
                self.echo.arrive(frame["body"])
            elif frame.get("type") == "error":
                self.errors.append(f"customer {customer.n}: {frame}")

    async def read_agent(self, agent: Agent) -> None:
        async for raw in agent.socket:
            frame = json.loads(raw)
            agent.frames += 1
            if frame.get("type") == "message" and frame.get("sender") == "customer":
                self.to_agent.arrive(frame["body"])
                arrived = self.awaited.pop(frame["body"], None)
                if arrived is not None and not arrived.done():
                    arrived.set_result(None)
            elif frame.get("type") == "watching":
                agent.watching.add(frame["ticket"])
            elif frame.get("type") == "error":
                self.errors.append(f"agent {agent.n}: {frame}")

    async def load(self) -> None:
        """Open loop: messages leave on schedule whether or not earlier ones arrived."""
        args = self.args
        start = time.monotonic()
        end = start + args.seconds
        lag = 0.0
        replies: list[asyncio.Task] = []

        async def customers_send() -> None:
            nonlocal lag
            k = 0
            while (due := start + k / args.rate) < end:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                lag = max(lag, time.monotonic() - due)
                customer = self.customers[k % len(self.customers)]
                customer.last_sent = time.monotonic()
                body = f"bench c{customer.n} m{k} 我的快递还没到"
                self.to_agent.sent[body] = self.echo.sent[body] = time.monotonic()
                await customer.socket.send(json.dumps({"type": "message", "body": body}))
                k += 1

        async def agents_reply() -> None:
            k = 0
            while args.reply_rate > 0 and (due := start + k / args.reply_rate) < end:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                agent = self.agents[k % len(self.agents)]
                customer = agent.customers[(k // len(self.agents)) % len(agent.customers)]
                replies.append(asyncio.create_task(self.reply(agent, customer, k)))
                k += 1

        await asyncio.gather(customers_send(), agents_reply())
        await asyncio.gather(*replies)
        # Until every message is stored and echoed (an overloaded server works off its
        # backlog before the next phase), and the agents' copies had their chance.
        await settle(lambda: not (self.echo.done() and self.to_customer.done()), seconds=30)
        await settle(lambda: not self.to_agent.done(), seconds=3)
        self.figures["client_lag_max"] = lag
        self.figures["sent"] = len(self.to_agent.sent)
        self.figures["delivered"] = len(self.to_agent.arrived)
        if self.to_agent.arrived:
            self.figures["delivered_per_s"] = len(self.to_agent.arrived) / (
                self.to_agent.last_arrival - start
            )
        self.figures["stored"] = await asyncio.to_thread(stored_messages)
        self.figures["echoed"] = len(self.echo.arrived)
        self.figures["replies"] = len(self.to_customer.sent)
        self.figures["replies_delivered"] = len(self.to_customer.arrived)

    async def capacity(self) -> None:
        """Closed loop, like the HTTP baseline: CONCURRENCY senders, each sending on the
        next customer's socket once its last message reached the agent's screen (or was
        given up after LOST_AFTER seconds)."""
        latencies: list[float] = []
        lost = 0
        turns = itertools.count()
        loop = asyncio.get_running_loop()
        stop = time.monotonic() + BASELINE_SECONDS

        async def sender() -> None:
            nonlocal lost
            while time.monotonic() < stop:
                k = next(turns)
                customer = self.customers[k % len(self.customers)]
                # Within the consumer's limit of MESSAGE_BURST per window on one socket.
                await asyncio.sleep(
                    max(0.0, customer.last_sent + 1 / MAX_RATE_PER_CUSTOMER - time.monotonic())
                )
                customer.last_sent = time.monotonic()
                body = f"bench c{customer.n} x{k} 请问什么时候发货"
                self.awaited[body] = arrived = loop.create_future()
                start = time.monotonic()
                await customer.socket.send(json.dumps({"type": "message", "body": body}))
                try:
                    async with asyncio.timeout(LOST_AFTER):
                        await arrived
                except TimeoutError:
                    lost += 1
                else:
                    latencies.append(time.monotonic() - start)

        start = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        self.figures["capacity_per_s"] = len(latencies) / (time.monotonic() - start)
        self.figures["capacity_p50"] = statistics.median(latencies) if latencies else 0.0
        self.figures["capacity_lost"] = lost

    async def reply(self, agent: Agent, customer: Customer, k: int) -> None:
        body = f"bench a{agent.n} r{k} 您好，已为您查询"
        url = f"{self.base}/api/v1/tickets/{customer.ticket}/messages"
        headers = {"Authorization": f"Bearer {agent.token}"}
        self.to_customer.sent[body] = time.monotonic()
        async with self.http.post(url, json={"body": body, "public": True}, headers=headers) as r:
            if r.status not in (200, 201):
                self.errors.append(f"reply {r.status}: {await r.text()}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(args, figures: dict) -> None:
    def spread(key: str) -> str:
        values = figures.get(key) or []
        if not values:
            return "- / -"
        return " / ".join(ms(v) for v in (statistics.median(values), percentile(values, 0.99)))

    f = figures
    connections = args.customers + args.agents
    print(
        f"live chat through one ASGI process (uvicorn, in-memory layer, SQLite): "
        f"{args.customers} customers, {args.agents} agents"
    )
    print(
        f"set-up: hand-off + accept {f['handoffs_per_s']:.1f}/s; {connections} sockets "
        f"opened in {f['open_s']:.1f} s"
    )
    rows = [
        (f"open loop, {args.rate:g} msg/s offered for {args.seconds:g} s", "", ""),
        (
            "  customer → agent screen",
            f"{f.get('delivered_per_s', 0):.1f} msg/s",
            f"{f['delivered']}/{f['sent']} reached the agents "
            f"({f['echoed']} echoed, {f['stored']} stored)",
        ),
        ("  customer → agent p50 / p99", spread("to_agent"), ""),
        ("  customer → own echo p50 / p99", spread("echo"), "stored and sent back"),
        (
            f"  agent reply → customer p50 / p99 ({args.reply_rate:g}/s)",
            spread("to_customer"),
            f"{f['replies_delivered']}/{f['replies']} arrived",
        ),
        (f"closed loop, {CONCURRENCY} senders, {BASELINE_SECONDS:g} s", "", ""),
        (
            "  customer → agent screen",
            f"{f['capacity_per_s']:.1f} msg/s",
            f"p50 {ms(f['capacity_p50'])}, {f['capacity_lost']} not there after {LOST_AFTER:g} s",
        ),
        (
            "  baseline: message over HTTP (bot/ask)",
            f"{f['store_per_s']:.1f} msg/s",
            f"p50 {ms(f['store_p50'])}",
        ),
        (
            "  baseline: GET /healthz",
            f"{f['healthz_per_s']:.1f} req/s",
            f"p50 {ms(f['healthz_p50'])}",
        ),
        (
            "memory per open connection",
            f"{f['kib_per_connection']:.0f} KiB",
            f"RSS {f['rss_before_mib']:.0f} → {f['rss_after_mib']:.0f} MiB for {connections} "
            f"(watching {f['rss_watching_mib']:.0f}, at the end {f['rss_end_mib']:.0f})",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>21}  {note}".rstrip())
    p50 = statistics.median(f["to_agent"]) if f.get("to_agent") else float("nan")
    print(
        "ratios: closed-loop msg/s ÷ HTTP message msg/s "
        f"{f['capacity_per_s'] / f['store_per_s']:.2f}, "
        f"÷ healthz req/s {f['capacity_per_s'] / f['healthz_per_s']:.2f}; "
        f"open-loop p50 ÷ HTTP message p50 {p50 / f['store_p50']:.2f}, "
        f"÷ healthz p50 {p50 / f['healthz_p50']:.2f}"
    )
    if f["delivered"] < f["echoed"]:
        # Stored and echoed, so broadcast: dropped on the way to the staff sockets (a
        # consumer's channel that is full drops what arrives; there is no staff resume).
        print(
            f"warning: {f['echoed'] - f['delivered']} stored messages never reached an agent's "
            "screen: over what this process sustains (see the closed loop)"
        )
    print(
        f"frames received by the staff sockets in all: {f['staff_frames']}; "
        f"client lag max {ms(f['client_lag_max'])}; errors {f['errors']}"
    )


if __name__ == "__main__":
    sys.exit(main())
