"""One raw e-mail in: a ticket, a customer message on the ticket it answers, or nothing (an
auto-reply, a bounce, a loop, a flood) — and never twice."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from huitou.accounts.models import Department
from huitou.core.models import OutboxMessage
from huitou.customers.models import Customer
from huitou.customers.services import do_customer_create
from huitou.mail import services
from huitou.mail.models import InboundMail, OutgoingMail
from huitou.mail.parsing import MailParseError
from huitou.mail.services import MAIL_USERNAME, do_mail_ingest
from huitou.mail.tests.factories import make_mail, make_mailbox
from huitou.sla.models import TicketSla
from huitou.tickets.models import Attachment, Message, Ticket
from huitou.tickets.services import do_message_add, do_ticket_update
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mailbox():
    department, _ = Department.objects.get_or_create(name="客服中心")
    return make_mailbox(department=department)


def _reply_to(first: bytes, **kwargs) -> bytes:
    message_id = InboundMail.objects.get(raw=first).message_id
    kwargs.setdefault("subject", "Re: 冰箱不制冷")
    kwargs.setdefault("body", "还是不行，请尽快派人。\n\n> 你好，我家冰箱昨天开始不制冷了")
    return make_mail(in_reply_to=message_id, references=message_id, **kwargs)


def test_a_new_mail_makes_an_email_ticket_for_a_new_customer(mailbox):
    result = do_mail_ingest(mailbox=mailbox, raw=make_mail())

    ticket = result.ticket
    assert result.created and result.ignored_reason == ""
    assert ticket.channel == "email"
    assert ticket.subject == "冰箱不制冷"
    assert "不制冷" in ticket.description
    assert ticket.department == mailbox.department
    assert ticket.contact_email == "zhangwei@example.cn"
    assert ticket.contact_status == ""  # the address it came from is where the answer goes
    assert ticket.created_by.username == MAIL_USERNAME
    assert ticket.created_by.is_service_account
    assert ticket.customer.name == "张伟"
    assert ticket.customer.email == "zhangwei@example.cn"
    inbound = result.inbound
    assert inbound.outcome == InboundMail.Outcome.NEW_TICKET
    assert inbound.ticket == ticket and inbound.from_address == "zhangwei@example.cn"


def test_a_mail_from_a_known_address_goes_to_that_customer(mailbox):
    known = do_customer_create(
        actor=services.mail_user(), name="张伟（老客户）", email="zhangwei@example.cn"
    )

    result = do_mail_ingest(mailbox=mailbox, raw=make_mail(sender="ZhangWei@Example.CN"))

    assert result.ticket.customer == known
    assert Customer.objects.filter(email__iexact="zhangwei@example.cn").count() == 1


def test_a_sender_without_a_name_is_named_by_the_local_part(mailbox):
    result = do_mail_ingest(mailbox=mailbox, raw=make_mail(sender="li.na@example.cn"))

    assert result.ticket.customer.name == "li.na"


def test_triage_sets_the_type_of_an_angry_mail(mailbox):
    raw = make_mail(subject="投诉！！！", body="你们太不负责了！！！我要投诉，三次上门都没修好！！")

    result = do_mail_ingest(mailbox=mailbox, raw=raw)

    assert result.ticket.type == "complaint"


def test_the_same_mail_twice_makes_one_ticket_and_changes_nothing(mailbox):
    raw = make_mail()

    first = do_mail_ingest(mailbox=mailbox, raw=raw)
    again = do_mail_ingest(mailbox=mailbox, raw=raw)

    assert not again.created
    assert again.ticket == first.ticket and again.inbound == first.inbound
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


def test_the_same_reply_twice_adds_one_message(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket
    reply = _reply_to(first)

    do_mail_ingest(mailbox=mailbox, raw=reply)
    do_mail_ingest(mailbox=mailbox, raw=reply)

    assert Message.objects.filter(ticket=ticket, sender="customer").count() == 1
    assert Ticket.objects.count() == 1


def test_a_mail_stored_by_a_concurrent_ingest_is_not_taken_twice(mailbox, monkeypatch):
    raw = make_mail(message_id="<race@example.cn>")
    winner = do_mail_ingest(mailbox=mailbox, raw=raw)
    # This worker looked before the other one stored it: the unique constraint decides.
    looked = []
    real = services.stored_inbound

    def too_early(**kwargs):
        looked.append(kwargs)
        return None if len(looked) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "stored_inbound", too_early)

    loser = do_mail_ingest(mailbox=mailbox, raw=raw)

    assert not loser.created and loser.inbound.pk == winner.inbound.pk
    assert Ticket.objects.count() == 1


def test_the_same_mail_in_two_mailboxes_is_taken_once_by_each(mailbox):
    other = make_mailbox("sales@huitou.example")
    raw = make_mail(to="service@huitou.example, sales@huitou.example")

    do_mail_ingest(mailbox=mailbox, raw=raw)
    do_mail_ingest(mailbox=other, raw=raw)
    do_mail_ingest(mailbox=other, raw=raw)

    assert InboundMail.objects.count() == 2
    assert Ticket.objects.count() == 2


def test_a_reply_by_in_reply_to_is_a_customer_message_keeping_the_original(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket

    result = do_mail_ingest(mailbox=mailbox, raw=_reply_to(first))

    assert result.ticket == ticket
    assert result.inbound.outcome == InboundMail.Outcome.REPLY
    message = result.inbound.ticket_message
    assert message.sender == Message.Sender.CUSTOMER and message.ticket == ticket
    assert "还是不行" in message.body
    assert "我家冰箱" not in message.body  # the quoted history is trimmed from the display
    assert "我家冰箱" in message.original_body  # and kept
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_mail_we_sent_joins_its_ticket(mailbox):
    ticket = TicketFactory(channel="email", contact_email="zhangwei@example.cn")
    answer = do_message_add(
        actor=services.mail_user(), ticket=ticket, body="您好，已安排。", public=True
    )
    outbox = OutboxMessage.objects.create(
        message_id="<reply-1@huitou.example>", subject="Re", to=["zhangwei@example.cn"]
    )
    OutgoingMail.objects.create(
        ticket_message=answer, mailbox=mailbox, outbox=outbox, message_id=outbox.message_id
    )

    result = do_mail_ingest(
        mailbox=mailbox,
        raw=make_mail(subject="Re: 您好", in_reply_to="<reply-1@huitou.example>"),
    )

    assert result.ticket == ticket
    assert result.inbound.outcome == InboundMail.Outcome.REPLY


def test_the_ticket_number_in_the_subject_threads_a_reply_from_its_customer(mailbox):
    ticket = do_mail_ingest(mailbox=mailbox, raw=make_mail()).ticket

    result = do_mail_ingest(
        mailbox=mailbox, raw=make_mail(subject=f"Re: 冰箱不制冷 [{ticket.number}]", body="补充")
    )

    assert result.ticket == ticket
    assert result.inbound.outcome == InboundMail.Outcome.REPLY


def test_a_ticket_number_from_a_stranger_makes_a_ticket_of_its_own(mailbox):
    ticket = do_mail_ingest(mailbox=mailbox, raw=make_mail()).ticket

    result = do_mail_ingest(
        mailbox=mailbox,
        raw=make_mail(sender="other@example.org", subject=f"【{ticket.number}】我也有问题"),
    )

    assert result.ticket != ticket
    assert result.inbound.outcome == InboundMail.Outcome.NEW_TICKET
    assert not ticket.messages.filter(sender="customer").exists()


def test_a_reply_reopens_a_resolved_ticket_and_the_sla_clock_runs_again(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket
    agent = services.mail_user()
    do_message_add(actor=agent, ticket=ticket, body="您好，已为您处理。", public=True)
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})
    assert TicketSla.objects.get(ticket=ticket).resolved_at is not None

    do_mail_ingest(mailbox=mailbox, raw=_reply_to(first))

    ticket.refresh_from_db()
    assert ticket.status == "open"
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.resolved_at is None
    assert sla.next_response_due is not None


def test_a_reply_reopens_a_ticket_waiting_for_the_customer(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket
    agent = services.mail_user()
    do_message_add(actor=agent, ticket=ticket, body="请提供型号。", public=True)
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "pending"})
    assert TicketSla.objects.get(ticket=ticket).paused_at is not None

    do_mail_ingest(mailbox=mailbox, raw=_reply_to(first))

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert TicketSla.objects.get(ticket=ticket).paused_at is None


def test_a_reply_to_a_closed_ticket_makes_a_new_ticket_naming_the_old_one(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket
    agent = services.mail_user()
    do_message_add(actor=agent, ticket=ticket, body="已处理。", public=True)
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})
    do_ticket_update(actor=agent, ticket=ticket, changes={"status": "closed"})

    result = do_mail_ingest(mailbox=mailbox, raw=_reply_to(first))

    assert result.ticket != ticket
    assert ticket.number in result.ticket.description
    assert result.ticket.customer == ticket.customer
    ticket.refresh_from_db()
    assert ticket.status == "closed"


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "auto_submitted"),
        ({"Precedence": "bulk"}, None, "precedence_bulk"),
        ({"Precedence": "list"}, None, "precedence_bulk"),
        ({"X-Autoreply": "yes"}, None, "autoreply"),
        ({}, "MAILER-DAEMON@mx.example.cn", "mailer_daemon"),
        ({}, "service@huitou.example", "own_address"),
        ({"X-Huitou-Ticket": "T2026000001"}, None, "own_mail"),
    ],
)
def test_automatic_mail_and_loops_are_stored_and_never_answered(mailbox, headers, sender, reason):
    raw = make_mail(headers=headers, **({"sender": sender} if sender else {}))

    result = do_mail_ingest(mailbox=mailbox, raw=raw)

    assert result.ticket is None and result.ignored_reason == reason
    assert result.inbound.outcome == InboundMail.Outcome.IGNORED
    assert result.inbound.reason == reason
    assert bytes(result.inbound.raw) == raw
    assert not Ticket.objects.exists() and not Message.objects.exists()


def test_an_auto_reply_to_a_ticket_adds_nothing_to_it(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket

    result = do_mail_ingest(
        mailbox=mailbox, raw=_reply_to(first, headers={"Auto-Submitted": "auto-replied"})
    )

    assert result.ticket is None
    assert not ticket.messages.exists()


def test_a_flood_from_one_sender_is_throttled(mailbox, settings):
    settings.HUITOU_MAIL_FLOOD_LIMIT = 2
    results = [do_mail_ingest(mailbox=mailbox, raw=make_mail(subject=f"第{n}封")) for n in range(4)]

    assert [r.inbound.outcome for r in results] == ["new_ticket"] * 2 + ["throttled"] * 2
    assert results[3].ticket is None and results[3].ignored_reason == "throttled"
    assert Ticket.objects.count() == 2
    # Another sender is not held back by this one's flood.
    other = do_mail_ingest(mailbox=mailbox, raw=make_mail(sender="li@example.cn"))
    assert other.ticket is not None


def test_the_flood_window_passes(mailbox, settings):
    settings.HUITOU_MAIL_FLOOD_LIMIT = 1
    do_mail_ingest(mailbox=mailbox, raw=make_mail())
    InboundMail.objects.update(received_at=timezone.now() - timedelta(hours=2))

    result = do_mail_ingest(mailbox=mailbox, raw=make_mail())

    assert result.inbound.outcome == InboundMail.Outcome.NEW_TICKET


def test_attachments_come_with_the_first_request_and_with_replies(mailbox):
    first = make_mail(attachments=[("发票.pdf", "application/pdf", b"%PDF-1.4 test")])
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket

    reply = _reply_to(first, attachments=[("照片.png", "image/png", b"\x89PNG fake")])
    message = do_mail_ingest(mailbox=mailbox, raw=reply).inbound.ticket_message

    request = Attachment.objects.get(ticket=ticket, message=None)
    assert request.name == "发票.pdf" and request.size == len(b"%PDF-1.4 test")
    assert request.file.read() == b"%PDF-1.4 test"
    photo = Attachment.objects.get(message=message)
    assert photo.name == "照片.png" and photo.ticket == ticket


def test_an_attachment_over_the_limit_becomes_a_note(mailbox, settings):
    settings.HUITOU_ATTACHMENT_MAX_BYTES = 10
    raw = make_mail(attachments=[("大文件.zip", "application/zip", b"x" * 100)])

    result = do_mail_ingest(mailbox=mailbox, raw=raw)

    assert not Attachment.objects.exists()
    assert "大文件.zip" in result.ticket.description


def test_a_reply_with_only_an_attachment_is_still_a_message(mailbox):
    first = make_mail()
    ticket = do_mail_ingest(mailbox=mailbox, raw=first).ticket

    reply = _reply_to(first, body="", attachments=[("照片.jpg", "image/jpeg", b"\xff\xd8fake")])
    message = do_mail_ingest(mailbox=mailbox, raw=reply).inbound.ticket_message

    assert message.ticket == ticket and message.body
    assert message.attachments.count() == 1


def test_input_that_is_no_mail_is_refused_and_nothing_is_stored(mailbox):
    with pytest.raises(MailParseError):
        do_mail_ingest(mailbox=mailbox, raw=b"")
    with pytest.raises(MailParseError):
        do_mail_ingest(mailbox=mailbox, raw=b"just some words\nand more")

    assert not InboundMail.objects.exists()


CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.eml")))
def test_every_mail_of_the_corpus_goes_to_a_ticket_or_is_ignored_with_a_reason(mailbox, name):
    raw = (CORPUS / name).read_bytes()

    result = do_mail_ingest(mailbox=mailbox, raw=raw)

    assert result.created
    if result.ticket is None:
        assert result.ignored_reason and result.inbound.outcome == "ignored"
    else:
        assert result.ticket.channel == "email" and result.ticket.subject
    assert not do_mail_ingest(mailbox=mailbox, raw=raw).created
