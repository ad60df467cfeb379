"""Proving a portal ticket's contact (联系方式验证).

A phone number or e-mail address typed on the portal proves nothing, so a portal ticket is
filed under a visitor record and its contact is marked unverified (the agent sees that). On
the confirmation page, which only the person who filed the ticket has the link to, they may
ask for a 6-digit code by SMS or e-mail and enter it. The right code, in time, within the
tries allowed, used once, proves the contact: the ticket then moves (through the tickets
service) to the customer record that contact belongs to, or the visitor record takes the
proven contact when no record has it.

Codes are kept only as an HMAC (keyed by SECRET_KEY), expire after
CONTACT_CODE_TTL_SECONDS, allow CONTACT_CODE_MAX_ATTEMPTS wrong tries, and a new code
replaces the last one.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError
from huitou.customers.models import Customer
from huitou.customers.phones import phone_digits
from huitou.customers.services import do_customer_update, find_customer_by_phone
from huitou.sms.models import Purpose
from huitou.sms.services import SmsError, send_sms
from huitou.tickets.models import ContactStatus, Ticket
from huitou.tickets.services import do_ticket_contact_verify

from .bot import bot_user
from .models import ContactCode

LINK_SALT = "huitou.knowledge.verification.link"
CODE_SALT = "huitou.knowledge.verification.code"
LINK_MAX_AGE = timedelta(days=7)
CODE_DIGITS = 6


def ticket_link_token(ticket) -> str:
    """The secret part of the confirmation page's address (signed, valid LINK_MAX_AGE)."""
    return signing.dumps(ticket.pk, salt=LINK_SALT)


def ticket_for_link(token: str):
    """The unverified portal ticket a confirmation link names, or None."""
    try:
        pk = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(pk, int):
        return None
    ticket = Ticket.objects.filter(pk=pk).select_related("customer").first()
    if ticket is None or ticket.contact_status == ContactStatus.STAFF:
        return None
    return ticket


def masked(destination: str) -> str:
    """138****8000, w***@example.com: enough to recognise, not to learn."""
    if "@" in destination:
        local, _at, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = destination.strip()
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"


def destinations(ticket) -> dict[str, str]:
    """Where a code may go: the contact on the ticket, never an address typed later."""
    found = {}
    digits = phone_digits(ticket.contact_phone)
    if len(digits) == 11 and digits.startswith("1"):  # a mainland mobile takes SMS
        found[ContactCode.Channel.SMS] = digits
    if ticket.contact_email:
        found[ContactCode.Channel.EMAIL] = ticket.contact_email
    return found


def _hash(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = salted_hmac(CODE_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()
    return f"{salt}${digest}"


def _code_matches(code: str, stored: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    return constant_time_compare(_hash(code, salt), stored)


def _check_unverified(ticket) -> None:
    if ticket.contact_status != ContactStatus.UNVERIFIED:
        raise DomainError(_("该工单的联系方式已经验证。"), field="code", code="verified")


def destination_for(ticket, channel: str) -> str:
    found = destinations(ticket)
    if channel not in found:
        raise DomainError(_("无法向该联系方式发送验证码。"), field="channel")
    return found[channel]


@transaction.atomic
def do_contact_code_send(*, ticket, channel: str) -> ContactCode:
    """Send a new code to the ticket's contact by `channel` (sms or email); the previous
    code stops working. Nothing is kept when the message cannot be sent."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _check_unverified(ticket)
    destination = destination_for(ticket, channel)
    now = timezone.now()
    ContactCode.objects.filter(ticket=ticket, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = ContactCode(
        ticket=ticket,
        channel=channel,
        destination=destination,
        expires_at=now + timedelta(seconds=settings.CONTACT_CODE_TTL_SECONDS),
    )
    row.code_hash = _hash(code)
    row.save()
    minutes = max(1, settings.CONTACT_CODE_TTL_SECONDS // 60)
    text = _(
        "【%(app)s】您的验证码是 %(code)s，%(minutes)d 分钟内有效，用于确认工单 %(number)s "
        "的联系方式。如非本人操作，请忽略。"
    ) % {"app": settings.APP_NAME, "code": code, "minutes": minutes, "number": ticket.number}
    if channel == ContactCode.Channel.SMS:
        try:
            send_sms(
                to=destination,
                text=text,
                purpose=Purpose.VERIFICATION,
                template="contact_code",
                params={"code": code, "minutes": minutes, "number": ticket.number},
            )
        except SmsError:
            raise DomainError(
                _("短信暂时无法发送，请稍后再试或改用邮件。"), field="channel", code="not_sent"
            ) from None
    else:
        try:
            send_mail(
                _("验证码 %(code)s") % {"code": code},
                text,
                None,
                [destination],
            )
        except OSError:
            raise DomainError(
                _("邮件暂时无法发送，请稍后再试。"), field="channel", code="not_sent"
            ) from None
    return row


def do_contact_code_check(*, ticket, code: str):
    """Check an entered code. Right: the contact is proven and the ticket moves to its
    customer (returns the ticket). Wrong, expired, used or out of tries: DomainError, and
    nothing changes but the count of tries."""
    code = (code or "").strip()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _check_unverified(ticket)
        row = (
            ContactCode.objects.select_for_update()
            .filter(ticket=ticket)
            .order_by("-created_at", "-id")
            .first()
        )
        now = timezone.now()
        if row is None or row.used_at is not None or row.expires_at <= now:
            error = DomainError(_("验证码已失效，请重新获取。"), field="code", code="expired")
        elif row.attempts >= settings.CONTACT_CODE_MAX_ATTEMPTS:
            error = DomainError(
                _("错误次数过多，请重新获取验证码。"), field="code", code="too_many_attempts"
            )
        else:
            right = (
                len(code) == CODE_DIGITS and code.isdigit() and _code_matches(code, row.code_hash)
            )
            if right:
                row.used_at = now
                row.save(update_fields=["used_at"])
                return _prove(ticket=ticket, row=row)
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = settings.CONTACT_CODE_MAX_ATTEMPTS - row.attempts
            error = DomainError(
                _("验证码不正确，还可以再试 %(left)d 次。") % {"left": left}
                if left
                else _("错误次数过多，请重新获取验证码。"),
                field="code",
                code="wrong_code",
            )
    raise error  # outside the transaction: the count of tries is kept


def _prove(*, ticket, row: ContactCode):
    """The contact is the customer's: move the ticket to the record that has it."""
    if row.channel == ContactCode.Channel.SMS:
        owner = find_customer_by_phone(phone=row.destination)
        proven = {"phone": row.destination}
    else:
        owner = (
            Customer.objects.filter(email__iexact=row.destination, merged_into__isnull=True)
            .order_by("created_at")
            .first()
        )
        proven = {"email": row.destination}
    if owner is None:  # nobody has it yet: the visitor record takes the proven contact
        owner = do_customer_update(actor=bot_user(), customer=ticket.customer, changes=proven)
    return do_ticket_contact_verify(ticket=ticket, customer=owner)
