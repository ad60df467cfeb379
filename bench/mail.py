"""`python -m bench.mail`: from a public reply to the SMTP server receiving it.

An agent replies on an e-mail ticket (the reply's transaction queues the e-mail in the
outbox and, on commit, a delivery task); a real worker (`huitou run_huey`, its default
polling, a separate process on the same SQLite database and queue) sends it to a real SMTP
server (aiosmtpd on loopback, in this process, so both ends read the same clock). The figure
is the time from the call that adds the reply to the server's answer to DATA, for replies a
few seconds apart (a worker that is busy now and then) and for one after the worker sat idle
long enough to poll at its slowest (huey backs off to 10 s between looks at an idle SQLite
queue; with REDIS_URL the worker blocks on the queue and wakes at once). Baseline: the
reply's own transaction (do_message_add), timed in the same run. `--replies N`.
"""

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

IDLE_SECONDS = 15


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        os.environ["HUITOU_VAR_DIR"] = str(var)
        os.environ["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "huitou.config.settings.test"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return run(var, args.replies)


def run(var: Path, replies: int) -> int:
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    from huitou.accounts.tests.factories import UserFactory
    from huitou.core.tests.smtp_worker import Worker, free_port, wait_until
    from huitou.mail.models import InboundMail, Mailbox
    from huitou.tickets.services import do_message_add
    from huitou.tickets.tests.factories import TicketFactory

    class Receiver:
        def __init__(self):
            self.arrived: list[float] = []
            self.lock = threading.Lock()

        async def handle_DATA(self, server, session, envelope):
            with self.lock:
                self.arrived.append(time.monotonic())
            return "250 OK"

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-line log
    # This process queues tasks for the worker, as the web process does in production.
    HUEY._immediate = False
    HUEY.storage = SqliteStorage(name=HUEY.name, filename=str(var / "huey.sqlite3"))
    receiver, port = Receiver(), free_port()
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox = Mailbox.objects.create(
        address="service@huitou.example.com",
        name="回头客服",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls=False,
    )
    ticket = TicketFactory(channel="email", subject="冰箱不制冷", contact_email="wang@example.com")
    InboundMail.objects.create(
        mailbox=mailbox,
        message_id="<first@example.com>",
        from_address="wang@example.com",
        raw=b"Message-ID: <first@example.com>\r\n\r\nhi\r\n",
        outcome="new_ticket",
        ticket=ticket,
    )
    agent = UserFactory(role="agent")
    worker = Worker(var, port)
    log = (var / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "huitou", "run_huey"],  # the worker's own defaults
        env={**worker.env, "HUITOU_OUTBOX_LEASE_SECONDS": "60"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # The worker sends what is queued when it starts: wait for it to be up.
        time.sleep(3)
        rng = random.Random(14)
        latencies, transactions = [], []

        def one(n: int) -> float:
            expected = len(receiver.arrived) + 1
            start = time.monotonic()
            do_message_add(actor=agent, ticket=ticket, body=f"您好，第 {n} 次答复。", public=True)
            transactions.append(time.monotonic() - start)
            assert wait_until(lambda: len(receiver.arrived) >= expected, timeout=60, interval=0.01)
            return receiver.arrived[expected - 1] - start

        for n in range(replies):
            latencies.append(one(n))
            time.sleep(rng.uniform(0.2, 3.0))
        time.sleep(IDLE_SECONDS)
        idle = one(replies)
    finally:
        process.terminate()
        process.wait(timeout=60)
        controller.stop()
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    baseline = statistics.median(transactions)
    print(f"replies: {replies}, a worker on SQLite (huey {settings.HUEY['huey_class']})")
    print(
        f"reply → SMTP server received: p50 {p50:.3f} s, p95 {p95:.3f} s, max {latencies[-1]:.3f} s"
    )
    print(f"after {IDLE_SECONDS} s idle: {idle:.3f} s")
    print(
        f"baseline, the reply's own transaction: p50 {baseline * 1000:.1f} ms "
        f"(ratio p50/baseline {p50 / baseline:.0f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
