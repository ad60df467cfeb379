"""Issue 14, item 2: the one window where a reply can go out twice, and why that is harmless.

A worker killed (kill -9) after the SMTP server accepted an e-mail reply (250 to DATA) and
before it marked the outbox row sent leaves the row claimed. Once the lease runs out another
worker sends it again with the same Message-ID, so the customer's mailbox, which keeps one
message per Message-ID, shows it once; the row ends sent, nothing is lost.

Deterministic: the first worker (a child process on the test database) blocks right after the
send returned (the 250 was read) and tells the test, which kills it there. No sleep but the
lease's own second."""

import email
import os
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from huitou.accounts.tests.factories import desk_user
from huitou.core.models import OutboxMessage
from huitou.core.outbox import do_outbox_deliver
from huitou.core.tests.smtp_worker import Worker, free_port, use_queue_of
from huitou.mail.models import OutgoingMail
from huitou.mail.outgoing import message_delivery
from huitou.mail.services import do_mail_ingest
from huitou.mail.tests.factories import make_mail, make_mailbox
from huitou.notify.models import NotificationTemplate
from huitou.tickets.services import do_message_add

pytestmark = pytest.mark.django_db(transaction=True)
LEASE_SECONDS = 1
TIMEOUT = 20  # per step, however slow the machine; the test takes a few seconds

# The worker: core's delivery run, as `huitou run_huey` runs it. With "hold", each send that
# returns (the server answered 250) is reported on stdout and then waits on stdin, which the
# test never writes: the process is killed there, before the row is marked sent.
WORKER = """
import sys

import django

django.setup()

from huitou.core import outbox

worker, hold = sys.argv[1], sys.argv[2] == "hold"
build_email = outbox.build_email


def build_and_hold(message, connection=None):
    built = build_email(message, connection)
    send = built.send

    def send_then_hold(*args, **kwargs):
        result = send(*args, **kwargs)
        if hold:
            print("accepted", flush=True)
            sys.stdin.read()
        return result

    built.send = send_then_hold
    return built


outbox.build_email = build_and_hold
print("sent", outbox.do_outbox_deliver(worker=worker), flush=True)
"""


class CustomerMailbox:
    """The customer's mail server: every copy it accepts, and the mailbox it files them in,
    which keeps one message per Message-ID (as mail stores and programs do)."""

    def __init__(self):
        self.receipts: list[email.message.EmailMessage] = []
        self.stored: dict[str, email.message.EmailMessage] = {}
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.receipts.append(message)
        self.stored.setdefault(message["Message-ID"], message)
        return "250 OK"

    def __enter__(self) -> "CustomerMailbox":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def start_worker(worker: Worker, name: str, *, hold: bool) -> subprocess.Popen:
    log = (worker.var_dir / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, name, "hold" if hold else "go"],
        env=worker.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )


def read_line(process: subprocess.Popen, timeout: float = TIMEOUT) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline().strip() if ready else ""


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=TIMEOUT)


def test_a_worker_killed_after_the_server_accepted_a_reply_sends_it_again_with_its_message_id(
    tmp_path, monkeypatch
):
    NotificationTemplate.objects.update(active=False)  # only the reply goes out
    use_queue_of(tmp_path, monkeypatch)  # commits queue work for a worker, never run here
    with CustomerMailbox() as customer:
        mailbox = make_mailbox(
            smtp_port=customer.port, smtp_tls=False, smtp_username="", smtp_password=""
        )
        ticket = do_mail_ingest(mailbox=mailbox, raw=make_mail()).ticket
        message = do_message_add(
            actor=desk_user(), ticket=ticket, body="您好，已为您安排上门。", public=True
        )
        outgoing = OutgoingMail.objects.get(ticket_message=message)
        worker = Worker(tmp_path, smtp_port=1, lease_seconds=LEASE_SECONDS)  # env only

        first = start_worker(worker, "worker-1", hold=True)
        try:
            assert read_line(first) == "accepted", (worker.var_dir / "worker-1.log").read_text()
        finally:
            kill(first)  # after the 250, before the "sent" mark
        assert len(customer.receipts) == 1
        row = OutboxMessage.objects.get(pk=outgoing.outbox_id)
        assert (row.status, row.attempts, row.claimed_by) == ("sending", 1, "worker-1")
        # Held while the dead worker's lease lasts: no other worker takes it.
        assert do_outbox_deliver(now=row.claimed_until - timedelta(milliseconds=1)) == 0

        time.sleep(max((row.claimed_until - timezone.now()).total_seconds(), 0) + 0.01)
        second = start_worker(worker, "worker-2", hold=False)
        try:
            assert read_line(second) == "sent 1", (worker.var_dir / "worker-2.log").read_text()
            assert second.wait(timeout=TIMEOUT) == 0
        finally:
            kill(second)

    assert [copy["Message-ID"] for copy in customer.receipts] == [outgoing.message_id] * 2
    assert list(customer.stored) == [outgoing.message_id]  # the customer sees it once
    [kept] = customer.stored.values()
    assert kept["In-Reply-To"] == outgoing.ticket_message.ticket.inbound_mail.get().message_id
    assert "已为您安排上门" in kept.get_body(("plain",)).get_content()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, "worker-2")
    assert message_delivery([message]) == {message.pk: {"state": "sent", "error": ""}}
