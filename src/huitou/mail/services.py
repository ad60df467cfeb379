"""Writes of the e-mail channel: mailboxes (admin), and turning one raw e-mail into a ticket or
a customer message, exactly once.

The channel is an adapter: tickets and messages are made only through tickets.services, in
the same transaction as the InboundMail row that claims the mail's Message-ID, so a retry
(the IMAP fetch interrupted before it flagged the mail, the mail server piping it twice)
finds the row and changes nothing.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huitou.accounts.models import Department, User
from huitou.accounts.roles import Role
from huitou.accounts.services import do_user_create
from huitou.core.audit import do_audit_record
from huitou.core.errors import DomainError, check_text
from huitou.core.permissions import check_admin
from huitou.core.schemas import BODY_MAX, SUBJECT_MAX
from huitou.customers.models import Customer
from huitou.customers.services import do_customer_create
from huitou.knowledge.triage import triage
from huitou.tickets.attachments import build_attachment
from huitou.tickets.models import Channel, ContactStatus, Status, Ticket
from huitou.tickets.services import do_customer_message_add, do_ticket_create

from .auto_answer import do_ack_queue
from .loops import loop_reason
from .models import InboundMail, Mailbox
from .parsing import ParsedMail, parse_mail
from .selectors import (
    customer_by_email,
    mailbox_for_address,
    recent_from_sender,
    stored_inbound,
    ticket_for_references,
    ticket_for_subject,
)

__all__ = [
    "IngestResult",
    "do_mail_ingest",
    "do_mailbox_create",
    "do_mailbox_deactivate",
    "do_mailbox_update",
    "mail_user",
    "mailbox_for_address",
]

MAIL_USERNAME = "huitou-mail"
THROTTLED = "throttled"
MESSAGE_MAX = 20_000  # tickets.services.check_note_body's bound
ORIGINAL_MAX = 200_000  # do_customer_message_add's bound for the whole text
# The characters core.text refuses (NUL, other C0 controls but tab/LF/CR, DEL, lone
# surrogates, U+FFFE/U+FFFF): mail may carry them, a ticket may not, so they are dropped.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class IngestResult:
    inbound: InboundMail
    ticket: Ticket | None
    created: bool  # False: this mail was stored before, nothing changed now
    ignored_reason: str  # "" when it went to a ticket


def mail_user() -> User:
    """The service account e-mail files customers and tickets as (it cannot log in)."""
    user = User.objects.filter(username=MAIL_USERNAME).first()
    if user is None:
        user = do_user_create(
            username=MAIL_USERNAME,
            password=uuid.uuid4().hex,
            role=Role.AGENT,
            # Stored in Chinese whatever the request's language; shown translated
            # (User.display_name of a service account).
            full_name="邮件渠道",
            check_password_strength=False,
        )
        user.set_unusable_password()
        user.is_service_account = True
        user.save(update_fields=["password", "is_service_account"])
    return user


# --- mailboxes (admin) ---------------------------------------------------------------------

MAILBOX_FIELDS = (
    "address",
    "name",
    "department",
    "active",
    "imap_host",
    "imap_port",
    "imap_tls",
    "imap_username",
    "imap_password",
    "imap_folder",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_username",
    "smtp_password",
    "signature",
    "auto_answer",
)
TEXT_LIMITS = {
    "name": 100,
    "imap_host": 255,
    "imap_username": 255,
    "imap_password": 255,
    "imap_folder": 255,
    "smtp_host": 255,
    "smtp_username": 255,
    "smtp_password": 255,
    "signature": 5000,
}


def check_mailbox_fields(data: dict[str, Any], *, exclude_pk: int | None = None) -> dict:
    unknown = set(data) - set(MAILBOX_FIELDS)
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    cleaned = dict(data)
    if "address" in cleaned:
        address = check_text((cleaned["address"] or "").strip().lower(), field="address")
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(_("邮箱地址格式不正确。"), field="address") from None
        taken = Mailbox.objects.filter(address__iexact=address).exclude(pk=exclude_pk)
        if taken.exists():
            raise DomainError(_("该邮箱地址已存在。"), field="address", code="unique")
        cleaned["address"] = address
    for field, limit in TEXT_LIMITS.items():
        if field in cleaned:
            value = cleaned[field] or ""
            if field not in ("imap_password", "smtp_password", "signature"):
                value = value.strip()  # a password may begin or end with a space
            cleaned[field] = check_text(value, field=field, max_length=limit)
    if "imap_folder" in cleaned and not cleaned["imap_folder"]:
        cleaned["imap_folder"] = "INBOX"
    for field in ("imap_port", "smtp_port"):
        if field in cleaned and not 1 <= int(cleaned[field]) <= 65535:
            raise DomainError(_("端口应在 1 到 65535 之间。"), field=field)
    department = cleaned.get("department")
    if department is not None and not isinstance(department, Department):
        raise DomainError(_("部门不存在。"), field="department")
    return cleaned


@transaction.atomic
def do_mailbox_create(*, actor, **fields: Any) -> Mailbox:
    check_admin(actor)
    if not fields.get("address"):
        raise DomainError(_("请填写邮箱地址。"), field="address")
    mailbox = Mailbox.objects.create(**check_mailbox_fields(fields))
    do_audit_record(obj=mailbox, actor=actor, action="created", new=mailbox.address)
    return mailbox


@transaction.atomic
def do_mailbox_update(*, actor, mailbox: Mailbox, changes: dict[str, Any]) -> Mailbox:
    """Change a mailbox; a password left out (or given as null) keeps the stored one."""
    check_admin(actor)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    cleaned = check_mailbox_fields(changes, exclude_pk=mailbox.pk)
    changed = [field for field, value in cleaned.items() if getattr(mailbox, field) != value]
    for field in changed:
        setattr(mailbox, field, cleaned[field])
    if changed:
        mailbox.save(update_fields=changed)
        for field in changed:
            secret = field.endswith("_password")  # the audit trail never holds a password
            do_audit_record(
                obj=mailbox,
                actor=actor,
                action="changed",
                field=field,
                new="***" if secret else getattr(mailbox, field),
            )
    return mailbox


@transaction.atomic
def do_mailbox_deactivate(*, actor, mailbox: Mailbox) -> Mailbox:
    """Stop fetching from and sending through a mailbox; its mail and tickets stay."""
    return do_mailbox_update(actor=actor, mailbox=mailbox, changes={"active": False})


# --- ingest -------------------------------------------------------------------------------


def _clean(text: str, limit: int) -> str:
    return UNSAFE.sub("", text or "")[:limit]


def _result(inbound: InboundMail, *, created: bool) -> IngestResult:
    ignored = inbound.outcome in (InboundMail.Outcome.IGNORED, InboundMail.Outcome.THROTTLED)
    return IngestResult(
        inbound=inbound,
        ticket=inbound.ticket,
        created=created,
        ignored_reason=(inbound.reason or inbound.outcome) if ignored else "",
    )


def _attachments(parsed: ParsedMail) -> tuple[list, list[str]]:
    """Unsaved Attachment rows for what fits the size limit, and a note for each that does
    not (the mail is still taken: the customer is told nothing is lost, the agent sees why)."""
    built, notes = [], []
    for part in parsed.attachments:
        try:
            built.append(
                build_attachment(
                    name=part.name,
                    content_type=part.content_type,
                    payload=part.payload,
                    inline=part.inline,
                    content_id=part.content_id,
                )
            )
        except DomainError as error:
            notes.append(error.message)
    return built, notes


def _with_notes(text: str, notes: list[str], limit: int) -> str:
    if not notes:
        return _clean(text, limit)
    tail = "\n\n" + "\n".join(f"【{_('系统提示')}】{note}" for note in notes)
    return _clean(text, max(limit - len(tail), 0)) + _clean(tail, limit)


def _customer_for(parsed: ParsedMail, actor: User) -> Customer:
    customer = customer_by_email(parsed.from_address)
    if customer is not None:
        return customer
    name = _clean(parsed.from_name, 100).strip() or parsed.from_address.split("@", 1)[0][:100]
    return do_customer_create(actor=actor, name=name, email=parsed.from_address)


def _new_ticket(*, mailbox: Mailbox, parsed: ParsedMail, replaced: Ticket | None) -> Ticket:
    actor = mail_user()
    attachments, notes = _attachments(parsed)
    body = parsed.reply_text.strip() or parsed.text.strip()
    if replaced is not None:
        # A reply to a closed ticket: closed is final, so it starts a ticket of its own that
        # points the agent to the old one.
        notes.insert(0, _("客户回复了已关闭的工单 %(number)s。") % {"number": replaced.number})
    subject = _clean(parsed.subject, SUBJECT_MAX).strip() or _("（无主题）")
    mood = triage(f"{subject} {body}")
    ticket = do_ticket_create(
        actor=actor,
        customer=_customer_for(parsed, actor),
        channel=Channel.EMAIL,
        type=mood.type,
        priority=mood.priority,
        subject=subject,
        description=_with_notes(body, notes, BODY_MAX),
        department=mailbox.department,
        contact_name=_clean(parsed.from_name, 100).strip(),
        contact_email=parsed.from_address,
        # The address the mail came from is where every answer goes, so answering it tells
        # nobody but the sender what they wrote: nothing to prove, unlike a typed contact.
        contact_status=ContactStatus.STAFF,
    )
    for attachment in attachments:  # message None: they came with the first request
        attachment.ticket, attachment.message = ticket, None
        attachment.save()
    return ticket


def _reply(*, ticket: Ticket, parsed: ParsedMail):
    attachments, notes = _attachments(parsed)
    body = parsed.reply_text.strip() or parsed.text.strip()
    if not body:
        body = _("（邮件无正文，见附件）") if attachments else _("（邮件无正文）")
    return do_customer_message_add(
        ticket=ticket,
        body=_with_notes(body, notes, MESSAGE_MAX),
        original_body=_clean(parsed.text, ORIGINAL_MAX),
        attachments=attachments,
    )


def _thread(*, mailbox: Mailbox, parsed: ParsedMail) -> Ticket | None:
    references = [parsed.in_reply_to, *reversed(parsed.references)]
    # A Message-ID names a mail only the people in that conversation received, so a reply by
    # one of them (a colleague in Cc) joins the ticket; a number in the subject anyone can
    # type, so that way only the ticket's own customer or contact joins it (see selectors).
    ticket = ticket_for_references(mailbox=mailbox, message_ids=references)
    return ticket or ticket_for_subject(subject=parsed.subject, sender=parsed.from_address)


def do_mail_ingest(*, mailbox: Mailbox, raw: bytes, imap_uid: str = "") -> IngestResult:
    """Store one raw e-mail of `mailbox` and act on it, once: a new ticket, a customer message
    on the ticket it answers (reopening it when pending or resolved), or nothing for an
    auto-reply, a bounce, a loop (outcome ignored) or a flood (outcome throttled). The same
    Message-ID in the same mailbox again returns the first result. Raises MailParseError
    (nothing stored) for input that is no e-mail."""
    parsed = parse_mail(raw)
    message_id = _clean(parsed.message_id, 500)
    stored = stored_inbound(mailbox=mailbox, message_id=message_id)
    if stored is not None:
        return _result(stored, created=False)
    sender = _clean(parsed.from_address, 254).lower()
    reason = loop_reason(parsed)
    if not reason:
        try:
            validate_email(sender)
        except ValidationError:
            reason = "no_sender"  # nobody we could answer (the parser kept what it found)
    with transaction.atomic():
        outcome = InboundMail.Outcome.IGNORED if reason else InboundMail.Outcome.NEW_TICKET
        if not reason and recent_from_sender(address=sender) >= settings.HUITOU_MAIL_FLOOD_LIMIT:
            outcome, reason = InboundMail.Outcome.THROTTLED, THROTTLED
        try:
            # A savepoint: a second worker that stored the same mail a moment ago wins, and
            # this transaction stays usable to read what it stored.
            with transaction.atomic():
                inbound = InboundMail.objects.create(
                    mailbox=mailbox,
                    message_id=message_id,
                    from_address=sender,
                    subject=_clean(parsed.subject, 500),
                    raw=bytes(raw),
                    outcome=outcome,
                    reason=reason,
                    imap_uid=_clean(str(imap_uid or ""), 64),
                )
        except IntegrityError:
            stored = stored_inbound(mailbox=mailbox, message_id=message_id)
            if stored is None:
                raise
            return _result(stored, created=False)
        if outcome != InboundMail.Outcome.NEW_TICKET:
            return _result(inbound, created=True)
        ticket = _thread(mailbox=mailbox, parsed=parsed)
        if ticket is not None and ticket.status != Status.CLOSED:
            message = _reply(ticket=ticket, parsed=parsed)
            inbound.outcome = InboundMail.Outcome.REPLY
            inbound.ticket, inbound.ticket_message = ticket, message
        else:
            inbound.ticket = _new_ticket(mailbox=mailbox, parsed=parsed, replaced=ticket)
        inbound.save(update_fields=["outcome", "ticket", "ticket_message"])
        do_ack_queue(mailbox=mailbox, inbound=inbound, parsed=parsed)  # 自动答复, if switched on
        return _result(inbound, created=True)
