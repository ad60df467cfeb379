"""Public replies that go out by e-mail.

A public reply on an e-mail ticket becomes one e-mail in core's outbox, in the reply's own
transaction (mail.send_reply in tickets.events), so it exists exactly when the reply does.
The outbox row is keyed by the message, so a retried transaction cannot queue it twice, and
carries a Message-ID made once here: a copy sent again after a worker died between the
server's acceptance and the "sent" mark has the same Message-ID, which mail stores and
programs treat as the same message. The worker sends it through the mailbox's own SMTP
server (the "mail.mailbox:<id>" transport registered below) or, without one, the default.
"""

import re
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from django.conf import settings
from django.core.mail import get_connection, make_msgid
from django.db import transaction
from django.http import Http404
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError
from huitou.core.models import OutboxMessage
from huitou.core.outbox import do_outbox_add, do_outbox_retry
from huitou.core.permissions import check_permission
from huitou.tickets.models import Channel, Message, Ticket
from huitou.tickets.selectors import access_ticket

from .models import InboundMail, Mailbox, OutgoingMail

TRANSPORT_PREFIX = "mail.mailbox"
OUTBOX_KIND = "mail_reply"
# References keeps the thread's first message and the latest ones (RFC 5322 §3.6.4 allows
# trimming the middle): a long thread must not grow the header without bound.
MAX_REFERENCES = 20
REPLY_PREFIX = re.compile(r"^\s*((re|aw|fw|fwd|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)

Delivery = OutboxMessage.Status


def delivery_state(outbox: OutboxMessage) -> str:
    """queued | sent | failed, as the API says it."""
    if outbox.status == Delivery.SENT:
        return "sent"
    if outbox.status == Delivery.FAILED:
        return "failed"
    return "queued"


def message_delivery(messages: list[Message]) -> dict[int, dict[str, str]]:
    """For the messages that went out by e-mail: {pk: {state, error}} (tickets' message
    extras registry calls this for a thread, in one query)."""
    rows = OutgoingMail.objects.filter(ticket_message__in=[m.pk for m in messages]).select_related(
        "outbox"
    )
    return {
        row.ticket_message_id: {
            "state": delivery_state(row.outbox),
            "error": row.outbox.last_error if row.outbox.status != Delivery.SENT else "",
        }
        for row in rows
    }


def mailbox_connection(row: OutboxMessage):
    """The connection for a "mail.mailbox:<id>" outbox row: the mailbox's SMTP server, or
    None (the default connection) when it has none. The configured backend is kept, so a
    test or development setup (locmem, console) never reaches a real server."""
    mailbox = Mailbox.objects.filter(pk=int(row.transport.split(":", 1)[1])).first()
    if mailbox is None or not mailbox.smtp_host:
        return None
    implicit_tls = mailbox.smtp_tls and mailbox.smtp_port == 465  # SMTPS; else STARTTLS
    return get_connection(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_username or None,
        password=mailbox.smtp_password or None,
        use_ssl=implicit_tls,
        use_tls=mailbox.smtp_tls and not implicit_tls,
        timeout=settings.EMAIL_TIMEOUT,
    )


def _last_inbound(ticket: Ticket) -> InboundMail | None:
    return (
        InboundMail.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .select_related("mailbox", "mailbox__department")
        .order_by("-received_at", "-pk")
        .first()
    )


def _references(ticket: Ticket, last: InboundMail) -> list[str]:
    """The thread so far as the customer's last mail names it, then that mail itself."""
    headers = BytesHeaderParser(policy=default_policy).parsebytes(bytes(last.raw))
    chain = str(headers.get("References", "") or "").split()
    if not chain:
        first = InboundMail.objects.filter(ticket=ticket).order_by("received_at", "pk").first()
        if first is not None and first.pk != last.pk:
            chain = [first.message_id]
    chain = [ref for ref in dict.fromkeys(chain) if ref != last.message_id] + [last.message_id]
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return chain


def reply_subject(ticket: Ticket) -> str:
    """ "Re: <subject> [T2026000123]": the number threads replies even without headers."""
    subject = REPLY_PREFIX.sub("", ticket.subject).strip()
    tag = f"[{ticket.number}]"
    if tag not in subject:
        subject = f"{subject} {tag}".strip()
    return f"Re: {subject}"


def signature_of(mailbox: Mailbox) -> str:
    if mailbox.signature.strip():
        return mailbox.signature.strip()
    if mailbox.department is not None:
        return mailbox.department.name
    return mailbox.name or mailbox.address


def reply_text(body: str, signature: str) -> str:
    return f"{body.strip()}\n\n-- \n{signature}\n"


def reply_html(body: str, signature: str) -> str:
    """Escaped paragraphs: nothing anyone typed reaches the HTML as markup."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f"<div>{linebreaks(escape(body.strip()))}</div>"
        '<div style="color:#666">-- <br>'
        f"{linebreaks(escape(signature))}</div></body></html>"
    )


def sender(name: str, address: str) -> str:
    """The From: 名称 <address>, readable in the outbox; encoded (RFC 2047) when sent."""
    name = re.sub(r'["\\\r\n<>]', "", name).strip()
    return f'"{name}" <{address}>' if name else address


def _recipient(ticket: Ticket, last: InboundMail) -> str:
    return ticket.contact_email or last.from_address or ticket.customer.email


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1] if "@" in address else "huitou.localhost"


def do_reply_mail_queue(*, ticket: Ticket, message: Message) -> OutgoingMail | None:
    """Queue a public reply as an e-mail from the mailbox the customer last wrote to, in
    the caller's transaction. None (nothing sent) for a ticket that is not an e-mail
    ticket, has no mail to answer, or no address to send to."""
    if ticket.channel != Channel.EMAIL:
        return None
    existing = OutgoingMail.objects.filter(ticket_message=message).first()
    if existing is not None:
        return existing
    last = _last_inbound(ticket)
    if last is None:
        return None
    mailbox = last.mailbox
    if not mailbox.active:  # deactivated: it neither fetches nor sends
        return None
    recipient = _recipient(ticket, last)
    if not recipient:
        return None
    signature = signature_of(mailbox)
    references = _references(ticket, last)
    sender_name = mailbox.name or (mailbox.department.name if mailbox.department else "")
    outbox = do_outbox_add(
        to=[recipient],
        subject=reply_subject(ticket),
        body=reply_text(message.body, signature),
        html_body=reply_html(message.body, signature),
        kind=OUTBOX_KIND,
        key=f"mail.reply:{message.pk}",
        from_email=sender(sender_name, mailbox.address),
        headers={
            "In-Reply-To": last.message_id,
            "References": " ".join(references),
            "X-Huitou-Ticket": ticket.number,
            "Auto-Submitted": "no",  # a person wrote it (RFC 3834); acknowledgements are not
        },
        transport=f"{TRANSPORT_PREFIX}:{mailbox.pk}",
        attachments=[
            {"name": item.name, "content_type": item.content_type, "path": item.file.name}
            for item in message.attachments.all()
        ],
        message_id=make_msgid(domain=_domain(mailbox.address)),
    )
    if outbox is None:
        return None
    return OutgoingMail.objects.create(
        ticket_message=message, mailbox=mailbox, outbox=outbox, message_id=outbox.message_id
    )


@transaction.atomic
def do_outgoing_resend(*, actor, message_id: int) -> OutgoingMail:
    """Send a failed reply again: the same e-mail (same Message-ID), its attempts counted
    afresh. Staff who may reply on the ticket may do it; a message they cannot see, or
    one that was not sent by e-mail, is not found."""
    check_permission(actor, "tickets.reply_to_customer")
    outgoing = (
        OutgoingMail.objects.select_related("ticket_message", "outbox")
        .filter(ticket_message_id=message_id)
        .first()
    )
    if outgoing is None:
        raise Http404(_("这条消息没有通过邮件发送。"))
    ticket = access_ticket(user=actor, ticket_id=outgoing.ticket_message.ticket_id)
    if not do_outbox_retry(message_ids=[outgoing.outbox_id]):
        raise ConflictError(_("只有发送失败的邮件可以重新发送。"), code="not_failed")
    do_audit_record(obj=ticket, actor=actor, action="mail_resent", new=message_id)
    outgoing.outbox.refresh_from_db()
    return outgoing
