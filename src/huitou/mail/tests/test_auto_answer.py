"""Issue 14, item 3: the automatic answer to a new e-mail ticket (its number, the promised
reply time, confident FAQ answers) and its "这解决了我的问题" links."""

import re

import pytest
from django.core import signing
from django.utils import timezone
from django.utils.formats import date_format

from huitou.accounts.models import Department
from huitou.core.models import OutboxMessage
from huitou.knowledge.models import FaqEntry, FaqVote
from huitou.knowledge.services import do_faq_save, do_kb_revision_bump
from huitou.mail import auto_answer
from huitou.mail.auto_answer import ACK_KIND, SOLVED_SALT, solved_token
from huitou.mail.models import InboundMail
from huitou.mail.parsing import parse_mail
from huitou.mail.services import do_mail_ingest, do_mailbox_update
from huitou.mail.tests.factories import mail_admin, make_mail, make_mailbox
from huitou.sla.models import TicketSla
from huitou.tickets.models import Message, Ticket
from huitou.tickets.services import do_ticket_update

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://\S+/mail/solved/([^/\s]+)/")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://kefu.example.com"


@pytest.fixture
def mailbox():
    department, _ = Department.objects.get_or_create(name="客服中心")
    return make_mailbox(department=department, auto_answer=True)


@pytest.fixture
def kb():
    fridge, _ = do_faq_save(
        actor=None,
        category="维修",
        question="冰箱不制冷怎么办？",
        answer="请先检查电源和温控旋钮，清理冷凝器灰尘；仍不制冷请预约上门维修。",
        similar=["冰箱不冷了", "冰箱制冷效果差"],
    )
    invoice, _ = do_faq_save(
        actor=None, category="财务", question="发票怎么开？", answer="在订单页点击申请发票。"
    )
    return {"fridge": fridge, "invoice": invoice}


def _acks():
    return list(OutboxMessage.objects.filter(kind=ACK_KIND))


def _ingest(mailbox, **kwargs):
    return do_mail_ingest(mailbox=mailbox, raw=make_mail(**kwargs))


def test_a_new_mail_gets_an_acknowledgement_with_number_promise_and_answers(mailbox, kb):
    result = _ingest(mailbox)

    ticket = result.ticket
    (ack,) = _acks()
    due = TicketSla.objects.get(ticket=ticket).first_response_due
    assert ack.to == ["zhangwei@example.cn"]
    assert ack.key == f"mail.ack:{ticket.pk}"
    assert ack.transport == f"mail.mailbox:{mailbox.pk}"
    assert mailbox.address in ack.from_email
    assert ticket.number in ack.subject and "已收到" in ack.subject
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert ack.headers["In-Reply-To"] == result.inbound.message_id
    assert result.inbound.message_id in ack.headers["References"]
    assert ticket.number in ack.body and ticket.number in ack.html_body
    assert date_format(timezone.localtime(due), "Y-m-d H:i") in ack.body
    assert "冰箱不制冷怎么办？" in ack.body and "发票怎么开？" not in ack.body
    assert "这解决了我的问题" in ack.body and "这解决了我的问题" in ack.html_body
    assert 1 <= len(LINK.findall(ack.body)) <= 3
    assert ack.body.startswith("您好") and "https://kefu.example.com/mail/solved/" in ack.body
    assert FaqEntry.objects.get(pk=kb["fridge"].pk).times_served == 1


def test_at_most_three_answers_are_sent(mailbox, kb, monkeypatch):
    entries = [
        do_faq_save(actor=None, category="维修", question=f"冰箱问题{n}？", answer=f"答案{n}")[0]
        for n in range(5)
    ]
    seen = []

    def five(text, *, limit):  # an engine that offers more than it was asked for
        seen.append(limit)
        return entries

    monkeypatch.setattr(auto_answer, "faq_answers", five)

    _ingest(mailbox)

    (ack,) = _acks()
    assert seen == [3]
    assert len(LINK.findall(ack.body)) == 3 and "冰箱问题3？" not in ack.body


def test_entries_kept_to_other_channels_are_never_sent(mailbox, kb):
    FaqEntry.objects.filter(pk=kb["fridge"].pk).update(channels=["chat", "agent"])
    do_kb_revision_bump()  # the engine rebuilds its index on the next question
    do_faq_save(actor=None, category="财务", question="退款多久到账？", answer="3 个工作日。")

    _ingest(mailbox)

    (ack,) = _acks()
    assert "冰箱不制冷怎么办？" not in ack.body
    assert not LINK.findall(ack.body)


def test_without_a_confident_answer_only_number_and_promise_are_sent(mailbox, kb):
    _ingest(mailbox, subject="你好", body="请问你们周末上班吗？我想来门店看看新款洗衣机。")

    (ack,) = _acks()
    assert not LINK.findall(ack.body)
    assert "工单号" in ack.body


def test_a_failing_engine_still_acknowledges_the_mail(mailbox, kb, monkeypatch):
    def broken():
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(auto_answer, "current_index", broken)

    result = _ingest(mailbox)

    (ack,) = _acks()
    assert result.ticket.number in ack.body and not LINK.findall(ack.body)


def test_without_an_sla_the_acknowledgement_promises_a_reply_soon(mailbox, kb):
    result = _ingest(mailbox, subject="咨询", body="你好")
    TicketSla.objects.filter(ticket=result.ticket).delete()
    ticket = Ticket.objects.get(pk=result.ticket.pk)

    assert auto_answer.promised_reply(ticket) == ""
    OutboxMessage.objects.filter(kind=ACK_KIND).delete()
    auto_answer.do_ack_queue(
        mailbox=mailbox, inbound=result.inbound, parsed=parse_mail(bytes(result.inbound.raw))
    )
    (ack,) = _acks()
    assert "我们会尽快回复您" in ack.body


def test_a_mailbox_with_auto_answer_off_sends_nothing(mailbox, kb):
    mailbox = do_mailbox_update(actor=mail_admin(), mailbox=mailbox, changes={"auto_answer": False})

    result = _ingest(mailbox)

    assert result.ticket is not None
    assert _acks() == []


def test_a_reply_to_a_ticket_gets_no_acknowledgement(mailbox, kb):
    first = make_mail()
    do_mail_ingest(mailbox=mailbox, raw=first)
    message_id = InboundMail.objects.get(raw=first).message_id

    result = do_mail_ingest(
        mailbox=mailbox,
        raw=make_mail(subject="Re: 冰箱不制冷", in_reply_to=message_id, references=message_id),
    )

    assert result.inbound.outcome == InboundMail.Outcome.REPLY
    assert len(_acks()) == 1


def test_a_reply_to_the_acknowledgement_joins_its_ticket(mailbox, kb):
    ticket = _ingest(mailbox).ticket
    (ack,) = _acks()

    result = do_mail_ingest(
        mailbox=mailbox,
        raw=make_mail(
            sender="王芳 <wangfang@example.cn>",  # a colleague: the headers decide, not the subject
            subject=f"Re: {ack.subject}",
            in_reply_to=ack.message_id,
            references=f"{ack.headers['References']} {ack.message_id}",
        ),
    )

    assert result.inbound.outcome == InboundMail.Outcome.REPLY and result.ticket == ticket
    assert len(_acks()) == 1


def test_ignored_and_repeated_mail_get_no_acknowledgement(mailbox, kb):
    auto = _ingest(mailbox, headers={"Auto-Submitted": "auto-replied"})
    raw = make_mail()
    do_mail_ingest(mailbox=mailbox, raw=raw)
    do_mail_ingest(mailbox=mailbox, raw=raw)

    assert auto.ticket is None
    assert len(_acks()) == 1


# --- the link ---------------------------------------------------------------------------


def _link(mailbox) -> tuple[Ticket, str]:
    result = _ingest(mailbox)
    (ack,) = _acks()
    return result.ticket, f"/mail/solved/{LINK.findall(ack.body)[0]}/"


def test_opening_the_link_changes_nothing(client, mailbox, kb):
    ticket, url = _link(mailbox)

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "冰箱不制冷怎么办？" in html and 'id="solved-form"' in html
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status
    assert FaqVote.objects.count() == 0


def test_confirming_resolves_the_ticket_and_counts_for_the_entry(client, mailbox, kb):
    ticket, url = _link(mailbox)

    response = client.post(url)

    assert response.status_code == 200 and 'id="solved-done"' in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"
    entry = FaqEntry.objects.get(pk=kb["fridge"].pk)
    assert entry.helpful_votes == 1
    note = Message.objects.filter(ticket=ticket, public=False).get()
    assert "冰箱不制冷怎么办？" in note.body


def test_a_second_confirmation_changes_nothing(client, mailbox, kb):
    ticket, url = _link(mailbox)
    client.post(url)
    do_ticket_update(
        actor=ticket.created_by, ticket=ticket, changes={"status": "open"}
    )  # reopened by the agent since

    again = client.post(url)

    assert 'id="solved-done"' in again.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert FaqEntry.objects.get(pk=kb["fridge"].pk).helpful_votes == 1
    assert Message.objects.filter(ticket=ticket, public=False).count() == 1
    assert 'id="solved-done"' in client.get(url).content.decode()


def test_confirmations_are_rate_limited_per_client(client, mailbox, kb, settings):
    settings.HUITOU_RATE_LIMITS = {"portal_vote": ("2/d", "2000/d")}
    _ticket, url = _link(mailbox)

    statuses = [client.post(url).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get(url).status_code == 200  # opening the page is not counted


@pytest.mark.parametrize("kind", ["forged", "expired", "other_salt"])
def test_a_bad_link_is_refused(client, mailbox, kb, kind, monkeypatch):
    ticket, url = _link(mailbox)
    token = url.rsplit("/", 2)[1]
    if kind == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif kind == "expired":
        monkeypatch.setattr(auto_answer, "SOLVED_MAX_AGE", -1)
    else:
        token = signing.dumps({"t": ticket.pk, "f": kb["fridge"].pk}, salt="other")

    for response in (client.get(f"/mail/solved/{token}/"), client.post(f"/mail/solved/{token}/")):
        assert response.status_code == 400
        assert 'id="solved-invalid"' in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status
    assert FaqVote.objects.count() == 0


def test_a_complaint_is_not_resolved_but_the_answer_counts(client, mailbox, kb):
    result = _ingest(
        mailbox,
        subject="投诉！！！冰箱不制冷",
        body="你们太不负责了！！！我要投诉，冰箱不制冷三次上门都没修好！！",
    )
    ticket = result.ticket
    assert ticket.type == "complaint"
    url = f"/mail/solved/{solved_token(ticket=ticket, entry=kb['fridge'])}/"

    response = client.post(url)

    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status
    assert FaqEntry.objects.get(pk=kb["fridge"].pk).helpful_votes == 1


def test_the_link_names_its_ticket_and_entry_only(kb, mailbox):
    ticket = _ingest(mailbox).ticket
    token = solved_token(ticket=ticket, entry=kb["fridge"])

    link = auto_answer.solved_link(token)

    assert (link.ticket, link.entry) == (ticket, kb["fridge"])
    assert signing.loads(token, salt=SOLVED_SALT) == {"t": ticket.pk, "f": kb["fridge"].pk}
