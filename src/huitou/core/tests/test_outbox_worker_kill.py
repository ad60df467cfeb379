"""Issue 12, point 5: a worker killed mid-send (kill -9) loses no e-mail and sends none twice;
a worker stopped with SIGTERM finishes the e-mail in hand. A real SMTP server (aiosmtpd on
loopback) and a real `huitou run_huey` process on the test database (SQLite file, or
PostgreSQL when DATABASE_URL points there)."""

import signal
import threading
import time

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.core.management.commands.serve import stop_worker
from huitou.core.models import OutboxMessage
from huitou.core.notifications import do_notify

from .smtp_worker import SmtpServer, Worker, use_queue_of, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
EMAILS = 30
BOUND_SECONDS = 60  # the whole scenario, however slow the machine


def left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.1)


def notify_each(users) -> None:
    for n, user in enumerate(users):
        do_notify(recipients=[user], kind="major_complaint", title=f"重大投诉 {n}", url="/t/1/")


def test_a_worker_killed_mid_send_loses_no_email_and_sends_none_twice(tmp_path, monkeypatch):
    users = [UserFactory(role="supervisor", email=f"boss{n}@example.com") for n in range(EMAILS)]
    use_queue_of(tmp_path, monkeypatch)
    with SmtpServer() as smtp:
        # One worker thread: the kill then catches exactly one message, in the middle of its
        # DATA. (With two, the other thread may be between the server's 250 and the "sent"
        # mark, the one window for a second copy, which then has the same Message-ID.)
        worker = Worker(tmp_path, smtp.port, threads=1)
        kills = []

        def kill_during(attempt: int):
            # The worker has sent the whole message and waits for the answer: it dies there,
            # before the server accepts, so the message is not delivered (a real MTA keeps
            # nothing it has not answered 250 to).
            if attempt in (5, 17):
                kills.append(attempt)
                worker.kill()
                return "451 4.3.0 sender gone"
            return None

        smtp.receiver.on_data = kill_during
        try:
            notify_each(users)  # each commit queues a delivery run for the worker
            expected = sorted(OutboxMessage.objects.values_list("message_id", flat=True))
            assert len(expected) == EMAILS
            deadline = time.monotonic() + BOUND_SECONDS
            worker.start()
            for restart_after in (5, 17):
                assert wait_until(lambda n=restart_after: n in kills, timeout=left(deadline)), (
                    worker.logs()
                )
                worker.start()  # the worker comes back, as systemd would restart it
            assert wait_until(
                lambda: OutboxMessage.objects.filter(status="sent").count() == EMAILS,
                timeout=left(deadline),
            ), f"{len(smtp.receiver.accepted)} of {EMAILS} arrived\n{worker.logs()}"
        finally:
            code = stop_worker(worker.process, timeout=20)
        assert code == 0, worker.logs()

    assert kills == [5, 17]
    assert sorted(smtp.receiver.accepted) == expected  # every one arrived, none twice
    # What the dead worker held was sent again, once.
    assert OutboxMessage.objects.filter(status="sent", attempts=2).count() == len(kills)


def test_sigterm_lets_the_worker_finish_the_email_it_is_sending(tmp_path, monkeypatch):
    """What `huitou serve`, systemd and Docker send: the e-mail in hand is finished and
    marked sent before the worker exits (huey's default took SIGTERM as "stop at once")."""
    [user] = [UserFactory(role="supervisor", email="boss@example.com")]
    use_queue_of(tmp_path, monkeypatch)
    with SmtpServer() as smtp:
        worker = Worker(tmp_path, smtp.port, lease_seconds=600)
        stopped = {}

        def stop_while_sending(attempt: int):
            if attempt == 1:
                stopper = threading.Thread(
                    target=lambda: stopped.setdefault("code", stop_worker(worker.process))
                )
                stopper.start()
                # The stop signal reaches the worker while it waits for this answer.
                assert wait_until(lambda: _signalled(worker), timeout=5)
            return None

        smtp.receiver.on_data = stop_while_sending
        try:
            notify_each([user])
            worker.start()
            assert wait_until(lambda: "code" in stopped, timeout=40), worker.logs()
        finally:
            worker.kill()

    assert stopped["code"] == 0, worker.logs()
    assert len(smtp.receiver.accepted) == 1
    assert OutboxMessage.objects.get().status == "sent"


def _signalled(worker: Worker) -> bool:
    """The worker logged that it received the graceful signal."""
    return f"Received {signal.SIGTERM.name}" in worker.logs() or worker.process.poll() is not None
