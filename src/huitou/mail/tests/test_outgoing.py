"""Issue 14, item 2: a public reply on an e-mail ticket reaches the customer's mail program
threaded, from the mailbox's address, through a real SMTP server (aiosmtpd on loopback)."""

import email
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import transaction
from django.test import override_settings

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.core.models import OutboxMessage
from huitou.core.outbox import do_outbox_deliver
from huitou.core.tests.smtp_worker import free_port
from huitou.mail.models import InboundMail, Mailbox, OutgoingMail
from huitou.mail.outgoing import do_reply_mail_queue, reply_subject
from huitou.notify.models import NotificationTemplate
from huitou.tickets.attachments import build_attachment
from huitou.tickets.events import MessageKind
from huitou.tickets.funnel import do_message_record, lock_ticket
from huitou.tickets.services import do_message_add
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
FIRST_ID = "<first-1@kehu.example.com>"
LAST_ID = "<second-2@kehu.example.com>"


class Inbox:
    """An SMTP server that keeps what it accepts; `answer(n)` may refuse the n-th DATA."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.attempts = 0
        self.answer = None
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        refusal = self.answer(self.attempts) if self.answer else None
        if refusal:
            return refusal
        self.received.append(
            email.message_from_bytes(envelope.original_content, policy=default_policy)
        )
        return "250 OK"

    def __enter__(self) -> "Inbox":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture(autouse=True)
def no_progress_notifications():
    """These tests count the reply's own outbox rows; the customer's progress notifications
    (notify, which e-mails "received" for the ticket made here) are tested in notify."""
    NotificationTemplate.objects.update(active=False)


@pytest.fixture
def inbox():
    with (
        Inbox() as server,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=1,  # nothing listens: mail must go through the mailbox's own server
        ),
    ):
        yield server


def email_ticket(port: int = 1, **mailbox_fields):
    department = DepartmentFactory(name="售后服务部")
    mailbox = Mailbox.objects.create(
        address="service@huitou.example.com",
        name="回头客服",
        department=department,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls=False,
        **mailbox_fields,
    )
    ticket = TicketFactory(
        channel="email", subject="Re: 冰箱不制冷", contact_email="wang@kehu.example.com"
    )
    for message_id, references in ((FIRST_ID, ""), (LAST_ID, FIRST_ID)):
        raw = (
            f"Message-ID: {message_id}\r\nFrom: wang@kehu.example.com\r\n"
            f"References: {references}\r\nSubject: 冰箱不制冷\r\n\r\n冰箱不制冷了\r\n"
        ).encode()
        InboundMail.objects.create(
            mailbox=mailbox,
            message_id=message_id,
            from_address="wang@kehu.example.com",
            subject="冰箱不制冷",
            raw=raw,
            outcome="new_ticket" if message_id == FIRST_ID else "reply",
            ticket=ticket,
        )
    return ticket, mailbox


def reply(ticket, body="您好，<b>请</b>检查电源。\n\n第二段。", attachments=()):
    agent = UserFactory(role="agent")
    if not attachments:
        return do_message_add(actor=agent, ticket=ticket, body=body, public=True)
    with transaction.atomic():
        return do_message_record(
            ticket=lock_ticket(ticket.pk),
            actor=agent,
            body=body,
            kind=MessageKind.PUBLIC_REPLY,
            attachments=attachments,
        )


def delivery(client, ticket, message):
    client.force_login(UserFactory(role="supervisor"))
    items = client.get(f"/api/v1/tickets/{ticket.pk}/messages").json()
    return next(item for item in items if item["id"] == message.pk)["delivery"]


def test_a_reply_reaches_the_customer_threaded_with_text_html_signature_and_attachment(
    inbox, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket, _mailbox = email_ticket(inbox.port, signature="回头客服中心\n400-800-0000")
    leaflet = build_attachment(name="保修单.pdf", content_type="application/pdf", payload=b"%PDF")
    message = reply(ticket, attachments=[leaflet])
    assert delivery(client, ticket, message) == {"state": "queued", "error": ""}

    assert do_outbox_deliver() == 1
    [received] = inbox.received
    outgoing = OutgoingMail.objects.get(ticket_message=message)
    assert received["Message-ID"] == outgoing.message_id
    assert outgoing.message_id.endswith("@huitou.example.com>")
    assert received["In-Reply-To"] == LAST_ID
    assert received["References"].split() == [FIRST_ID, LAST_ID]
    assert received["From"].addresses[0].addr_spec == "service@huitou.example.com"
    assert received["From"].addresses[0].display_name == "回头客服"
    assert received["To"] == "wang@kehu.example.com"
    assert received["Subject"] == f"Re: 冰箱不制冷 [{ticket.number}]"
    assert received["X-Huitou-Ticket"] == ticket.number
    assert received["Auto-Submitted"] == "no"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "您好，<b>请</b>检查电源。" in text and text.rstrip().endswith("400-800-0000")
    assert "&lt;b&gt;请&lt;/b&gt;" in html and "<b>" not in html  # typed text is never markup
    assert "回头客服中心" in html and "第二段" in html
    [attached] = list(received.iter_attachments())
    assert attached.get_filename() == "保修单.pdf" and attached.get_content() == b"%PDF"
    assert delivery(client, ticket, message) == {"state": "sent", "error": ""}


def test_without_a_signature_the_department_signs(inbox):
    ticket, _mailbox = email_ticket(inbox.port)
    reply(ticket, body="已为您登记。")
    do_outbox_deliver()
    [received] = inbox.received
    assert received.get_body(("plain",)).get_content().rstrip().endswith("售后服务部")


def test_a_temporary_failure_is_retried_later_and_a_permanent_one_shows_the_server_reason(
    inbox, client
):
    ticket, _mailbox = email_ticket(inbox.port)
    message = reply(ticket)
    inbox.answer = lambda attempt: "451 4.3.0 mailbox busy" if attempt == 1 else None
    assert do_outbox_deliver() == 0
    state = delivery(client, ticket, message)
    assert state["state"] == "queued" and "451 4.3.0 mailbox busy" in state["error"]
    row = OutboxMessage.objects.get()
    assert row.status == "pending" and row.next_attempt_at > row.created_at
    assert do_outbox_deliver(now=row.next_attempt_at) == 1
    assert len(inbox.received) == 1

    second = reply(ticket, body="再补充一句。")
    inbox.answer = lambda attempt: "550 5.1.1 <wang@kehu.example.com>: no such user"
    assert do_outbox_deliver() == 0
    state = delivery(client, ticket, second)
    assert state["state"] == "failed"
    assert "550 5.1.1 <wang@kehu.example.com>: no such user" in state["error"]


def test_a_failed_reply_is_resent_once_with_its_message_id(inbox, client):
    ticket, _mailbox = email_ticket(inbox.port)
    message = reply(ticket)
    inbox.answer = lambda attempt: "554 5.7.1 rejected"
    do_outbox_deliver()
    outgoing = OutgoingMail.objects.get()
    url = f"/api/v1/mail/messages/{message.pk}/resend"

    client.force_login(UserFactory(role="agent"))
    inbox.answer = None
    answer = client.post(url, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "message": message.pk,
        "state": "queued",
        "error": "SMTPDataError: 554 5.7.1 rejected",
    }
    assert client.post(url, content_type="application/json").status_code == 409  # queued
    assert do_outbox_deliver() == 1
    assert [m["Message-ID"] for m in inbox.received] == [outgoing.message_id]
    assert client.post(url, content_type="application/json").status_code == 409  # sent
    assert do_outbox_deliver() == 0 and len(inbox.received) == 1


def test_the_thread_shows_the_delivery_state_and_resends_a_failed_reply(inbox, client):
    ticket, _mailbox = email_ticket(inbox.port)
    message = reply(ticket)
    inbox.answer = lambda attempt: "550 5.1.1 no such user"
    do_outbox_deliver()
    client.force_login(UserFactory(role="agent"))
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "发送失败" in page and "550 5.1.1 no such user" in page
    assert f"/mail/messages/{message.pk}/resend/" in page

    answer = client.post(f"/mail/messages/{message.pk}/resend/")
    assert answer.status_code == 302 and answer["Location"] == f"/tickets/{ticket.pk}/"
    inbox.answer = None
    do_outbox_deliver()
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "已发送" in page and f"/mail/messages/{message.pk}/resend/" not in page


def test_a_phone_ticket_or_an_internal_note_sends_nothing(inbox):
    ticket, _mailbox = email_ticket(inbox.port)
    do_message_add(
        actor=UserFactory(role="agent"), ticket=ticket, body="内部：查库存", public=False
    )
    phone = TicketFactory(channel="phone", contact_email="li@kehu.example.com")
    reply(phone, body="电话里说过了，再书面确认一次。")
    assert not OutboxMessage.objects.exists() and not OutgoingMail.objects.exists()
    assert do_outbox_deliver() == 0 and inbox.received == []


def test_an_email_ticket_without_mail_to_answer_sends_nothing():
    ticket = TicketFactory(channel="email", contact_email="li@kehu.example.com")
    reply(ticket)
    assert not OutboxMessage.objects.exists()


def test_a_retried_transaction_queues_the_reply_once():
    ticket, _mailbox = email_ticket()
    message = reply(ticket)
    again = do_reply_mail_queue(ticket=ticket, message=message)
    assert again == OutgoingMail.objects.get() and OutboxMessage.objects.count() == 1
    OutgoingMail.objects.all().delete()  # even without the mail record, the outbox key holds
    do_reply_mail_queue(ticket=ticket, message=message)
    assert OutboxMessage.objects.count() == 1


def test_a_mailbox_without_its_own_smtp_server_uses_the_default_connection():
    ticket, mailbox = email_ticket()
    Mailbox.objects.filter(pk=mailbox.pk).update(smtp_host="")
    reply(ticket)
    assert do_outbox_deliver() == 1
    [sent] = mail.outbox
    assert sent.from_email == '"回头客服" <service@huitou.example.com>'
    assert "=?utf-8?" in sent.message()["From"]  # encoded on the wire


def test_the_subject_keeps_one_reply_prefix_and_one_ticket_number():
    ticket = TicketFactory(channel="email", subject="回复：Re: 发票 [T2026000001]")
    Ticket = type(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(number="T2026000001")
    ticket.refresh_from_db()
    assert reply_subject(ticket) == "Re: 发票 [T2026000001]"


def test_resend_is_for_staff_who_may_reply_on_the_ticket(inbox, client):
    ticket, _mailbox = email_ticket(inbox.port)
    message = reply(ticket)
    url = f"/api/v1/mail/messages/{message.pk}/resend"
    client.force_login(UserFactory(role="handler"))  # another department's
    assert client.post(url, content_type="application/json").status_code in {403, 404}
    client.force_login(UserFactory(role="agent"))
    assert (
        client.post(
            f"/api/v1/mail/messages/{message.pk + 99}/resend", content_type="application/json"
        ).status_code
        == 404
    )
