"""The e-mail outbox (issue 12, point 5): written with the event, claimed once, retried
with back-off, marked failed for admins, sent with its own fixed Message-ID."""

from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import Notification, OutboxMessage
from huitou.core.notifications import do_notification_emails_queue, do_notify
from huitou.core.outbox import (
    _claim,
    build_email,
    do_outbox_add,
    do_outbox_deliver,
    do_outbox_retry,
)

from .smtp_worker import SmtpServer

pytestmark = pytest.mark.django_db


def smtp_to(server: SmtpServer):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=server.port,
    )


def test_the_email_is_written_with_the_notification_and_undone_with_it():
    boss = UserFactory(role="supervisor", email="boss@example.com")
    with pytest.raises(RuntimeError), transaction.atomic():
        do_notify(recipients=[boss], kind="major_complaint", title="重大投诉")
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the event failed")
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_notification_email_goes_out_after_commit_with_its_message_id(
    django_capture_on_commit_callbacks,
):
    boss = UserFactory(role="supervisor", email="boss@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = do_notify(
            recipients=[boss], kind="major_complaint", title="重大投诉", body="三换", url="/t/1/"
        )
    message = OutboxMessage.objects.get(key=f"notification:{notification.pk}")
    assert message.status == "sent" and message.attempts == 1 and message.sent_at
    [sent] = mail.outbox
    assert sent.to == ["boss@example.com"] and sent.subject == "[回头] 重大投诉"
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert "三换" in sent.body and sent.body.endswith("/t/1/")
    # Queued again (e.g. an old task from before an upgrade): the key makes it a no-op.
    do_notification_emails_queue(notification_ids=[notification.pk])
    assert OutboxMessage.objects.count() == 1


def test_a_temporary_failure_is_retried_with_back_off_then_marked_failed():
    message = do_outbox_add(to=["a@example.com"], subject="hi", body="x")
    with SmtpServer() as server, smtp_to(server), override_settings(HUITOU_OUTBOX_MAX_ATTEMPTS=3):
        server.receiver.on_data = lambda attempt: "451 4.3.0 try later"
        now = timezone.now()
        assert do_outbox_deliver(now=now) == 0
        message.refresh_from_db()
        assert message.status == "pending" and message.attempts == 1
        assert message.next_attempt_at == now + timedelta(minutes=1)
        assert "451" in message.last_error
        assert do_outbox_deliver(now=now + timedelta(seconds=59)) == 0  # not due yet
        assert OutboxMessage.objects.get().attempts == 1
        do_outbox_deliver(now=now + timedelta(minutes=1))
        message.refresh_from_db()
        assert message.attempts == 2 and message.next_attempt_at == now + timedelta(minutes=3)
        do_outbox_deliver(now=now + timedelta(minutes=3))
        message.refresh_from_db()
        assert message.status == "failed" and message.attempts == 3
        assert do_outbox_deliver(now=now + timedelta(days=1)) == 0  # an admin's turn now

        server.receiver.on_data = None
        assert do_outbox_retry(message_ids=[message.pk]) == 1
        assert do_outbox_deliver() == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.last_error == ""
    assert server.receiver.accepted == [message.message_id]


def test_a_permanent_refusal_fails_at_once():
    message = do_outbox_add(to=["nobody@example.com"], subject="hi", body="x")
    with SmtpServer() as server, smtp_to(server):
        server.receiver.on_data = lambda attempt: "550 5.1.1 no such user"
        assert do_outbox_deliver() == 0
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1 and "550" in message.last_error


def test_a_message_held_by_a_dead_worker_is_sent_once_its_lease_runs_out():
    message = do_outbox_add(to=["a@example.com"], subject="hi", body="x")
    now = timezone.now()
    assert _claim(now=now, worker="dead") is not None  # the worker dies right here
    assert _claim(now=now, worker="other") is None  # held: nobody else takes it
    assert do_outbox_deliver(now=now + timedelta(seconds=119)) == 0
    assert do_outbox_deliver(now=now + timedelta(seconds=121)) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2
    assert len(mail.outbox) == 1


def test_any_email_can_use_the_outbox_once_per_key():
    first = do_outbox_add(
        to=["c@example.com", "c@example.com", ""],
        subject="回复：您的工单\n第二行",
        body="您好",
        html_body="<p>您好</p>",
        kind="customer_reply",
        key="reply:7",
        headers={"In-Reply-To": "<abc@example.com>"},
    )
    again = do_outbox_add(to=["c@example.com"], subject="x", body="y", key="reply:7")
    assert again.pk == first.pk and first.to == ["c@example.com"]
    assert first.subject == "回复：您的工单 第二行"
    assert do_outbox_add(to=[""], subject="x", body="y") is None
    do_outbox_deliver()
    [sent] = mail.outbox
    assert sent.extra_headers["In-Reply-To"] == "<abc@example.com>"
    assert sent.alternatives[0][0] == "<p>您好</p>"


def test_admins_see_and_retry_failed_emails_in_the_admin(client):
    client.force_login(UserFactory(role="admin"))
    message = do_outbox_add(to=["a@example.com"], subject="坏邮件", body="x")
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", last_error="550 no")
    page = client.get("/admin/core/outboxmessage/?status__exact=failed")
    assert page.status_code == 200 and "坏邮件" in page.content.decode()
    client.post(
        "/admin/core/outboxmessage/",
        {"action": "retry_failed", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.status in {"pending", "sent"}


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_send_each_message_once(monkeypatch):
    """Threads with their own connections (PostgreSQL in CI) share the due rows."""
    import threading

    from django.db import connections

    monkeypatch.setattr("huitou.core.outbox._kick_after_commit", lambda: None)  # they send
    with transaction.atomic():
        expected = sorted(
            do_outbox_add(to=[f"u{n}@example.com"], subject=f"#{n}", body="x").message_id
            for n in range(40)
        )
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            do_outbox_deliver(worker=name)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    with SmtpServer() as server, smtp_to(server):
        threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(server.receiver.accepted) == expected
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.parametrize(
    "subject",
    [
        ("冰箱不制冷已经三天了，售后师傅一直没有上门，请尽快安排维修人员和我联系。" * 2)[:60]
        + " [T2026000123]",
        "Re: 发票 [T2026000001]",
        "Re: please check the attached invoice for order 123456 and the delivery [T2026000001]",
        "x" * 120,  # one ASCII word longer than a line: encoded, as folding cannot split it
    ],
)
def test_a_long_subject_reads_back_exactly_in_a_modern_mail_parser(subject):
    """Django folds a long encoded Subject with its first word on a line of its own, which
    Python's default policy and many mail programs read with a leading space."""
    row = do_outbox_add(to=["wang@kehu.example.com"], subject=subject, body="您好")
    raw = build_email(row).message().as_bytes(linesep="\r\n")
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in header_block.split(b"\r\n")) <= 78
    assert message_from_bytes(raw, policy=default_policy)["subject"] == subject
    if subject.isascii() and " " in subject:  # foldable plain text is not encoded
        assert b"=?" not in header_block
