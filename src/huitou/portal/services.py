"""The customer portal's writes: signing in without a password, and a customer's own actions
on their tickets (reply, resolve, reopen), all through tickets.services.

Sign-in: the visitor names an e-mail address (or a mainland mobile, by SMS); when a live
customer record has it, a 6-digit code and a one-time link are sent to it (e-mail through
core.outbox). Whether or not anyone has it, the visitor sees the same page, so the form
cannot be used to learn who is a customer. The code or link signs in once, before
CONTACT_CODE_TTL_SECONDS, within CONTACT_CODE_MAX_ATTEMPTS wrong tries; a new code
replaces the last. The signed-in customer's id is kept in the session under
selectors.SESSION_KEY, never as a Django user, so a staff login in the same browser is
untouched by it.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.accounts.services import do_user_create
from huitou.core.errors import DomainError, check_text
from huitou.core.outbox import do_outbox_add
from huitou.customers.models import Customer
from huitou.customers.phones import phone_digits
from huitou.knowledge.triage import triage
from huitou.sms.models import Purpose
from huitou.sms.services import SmsError, send_sms
from huitou.tickets.attachments import attachments_from_uploads
from huitou.tickets.models import ContactStatus, Status, Ticket, TicketType
from huitou.tickets.services import do_customer_message_add, do_ticket_create, do_ticket_update

from .models import SignInCode
from .selectors import PortalScope

SESSION_MAX_AGE = timedelta(days=30)  # rolling: every portal page renews it
PORTAL_USERNAME = "huitou-portal"
CODE_SALT = "huitou.portal.sign_in.code"
LINK_SALT = "huitou.portal.sign_in.link"
GUEST_SALT = "huitou.portal.guest"
CODE_DIGITS = 6


def portal_user() -> User:
    """The service account a customer's own status changes are recorded as (no login)."""
    user = User.objects.filter(username=PORTAL_USERNAME).first()
    if user is None:
        user = do_user_create(
            username=PORTAL_USERNAME,
            password=uuid.uuid4().hex,
            role=Role.AGENT,
            full_name="客户门户",
            check_password_strength=False,
        )
        user.set_unusable_password()
        user.is_service_account = True
        user.save(update_fields=["password", "is_service_account"])
    return user


# --- who a contact is ----------------------------------------------------------------------


def parse_destination(value: str) -> tuple[str, str]:
    """(channel, normalised destination) for what the visitor typed; DomainError if neither
    an e-mail address nor a mainland mobile number."""
    value = (value or "").strip()[:254]
    if "@" in value:
        local, _at, domain = value.rpartition("@")
        if local and "." in domain and " " not in value:
            return SignInCode.Channel.EMAIL, value.lower()
    else:
        digits = phone_digits(value)
        if len(digits) == 11 and digits.startswith("1"):
            return SignInCode.Channel.SMS, digits
    raise DomainError(_("请填写正确的电子邮箱或手机号码。"), field="contact")


def customer_for_contact(channel: str, destination: str) -> Customer | None:
    """The oldest live record with this contact. Several records may share one address
    (duplicates not yet merged): the portal signs in as the oldest, and shows its tickets
    and those of the records merged into it, never the other duplicates'."""
    live = Customer.objects.filter(merged_into__isnull=True)
    if channel == SignInCode.Channel.EMAIL:
        live = live.filter(email__iexact=destination)
    else:
        live = live.filter(phone_digits=destination)
    return live.order_by("created_at", "id").first()


# --- codes ----------------------------------------------------------------------------------


def _hash(secret: str, *, salt_key: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = salted_hmac(salt_key, f"{salt}:{secret}", algorithm="sha256").hexdigest()
    return f"{salt}${digest}"


def _matches(secret: str, stored: str, *, salt_key: str) -> bool:
    salt, _sep, _digest = stored.partition("$")
    return constant_time_compare(_hash(secret, salt_key=salt_key, salt=salt), stored)


def sign_in_message(*, code: str, link: str, minutes: int) -> str:
    return _(
        "【%(app)s】您的登录验证码是 %(code)s，%(minutes)d 分钟内有效。"
        "也可以打开此链接直接登录（仅可使用一次）：%(link)s 如非本人操作，请忽略。"
    ) % {"app": settings.APP_NAME, "code": code, "minutes": minutes, "link": link}


@transaction.atomic
def do_sign_in_request(*, contact: str, link_base: str) -> SignInCode | None:
    """Send a code and a link to `contact` when a customer has it; None (nothing sent) when
    nobody does. Callers answer the same either way. `link_base` is the absolute address of
    the link page, to which the link's token is appended."""
    channel, destination = parse_destination(contact)
    customer = customer_for_contact(channel, destination)
    if customer is None:
        return None
    now = timezone.now()
    SignInCode.objects.filter(
        destination=destination, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    secret = secrets.token_urlsafe(24)
    row = SignInCode(
        channel=channel,
        destination=destination,
        customer=customer,
        code_hash=_hash(code, salt_key=CODE_SALT),
        link_hash=_hash(secret, salt_key=LINK_SALT),
        expires_at=now + timedelta(seconds=settings.CONTACT_CODE_TTL_SECONDS),
    )
    row.save()
    minutes = max(1, settings.CONTACT_CODE_TTL_SECONDS // 60)
    text = sign_in_message(code=code, link=f"{link_base}{row.pk}.{secret}/", minutes=minutes)
    if channel == SignInCode.Channel.SMS:
        try:
            send_sms(
                to=destination,
                text=text,
                purpose=Purpose.SIGN_IN,
                template="sign_in_code",
                params={"code": code, "minutes": minutes},
            )
        except SmsError:
            raise DomainError(
                _("短信暂时无法发送，请稍后再试或改用邮件。"), field="contact", code="not_sent"
            ) from None
    else:
        do_outbox_add(
            to=[destination],
            subject=_("登录验证码 %(code)s") % {"code": code},
            body=text,
            kind="portal_sign_in",
        )
    return row


def _expired() -> DomainError:
    return DomainError(_("验证码已失效，请重新获取。"), field="code", code="expired")


def do_sign_in_code_check(*, destination: str, code: str) -> SignInCode:
    """The row the right code signs in with (now used); DomainError for a wrong, expired or
    used code or too many tries (the count of tries is kept)."""
    code = (code or "").strip()
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update()
            .filter(destination=destination)
            .order_by("-created_at", "-id")
            .first()
        )
        now = timezone.now()
        if row is None or row.used_at is not None or row.expires_at <= now:
            error = _expired()
        elif row.attempts >= settings.CONTACT_CODE_MAX_ATTEMPTS:
            error = DomainError(
                _("错误次数过多，请重新获取验证码。"), field="code", code="too_many_attempts"
            )
        elif len(code) == CODE_DIGITS and _matches(code, row.code_hash, salt_key=CODE_SALT):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return row
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
            error = DomainError(_("验证码不正确。"), field="code", code="wrong_code")
    raise error  # outside the transaction: the count of tries is kept


@transaction.atomic
def do_sign_in_link_use(*, token: str) -> SignInCode:
    """The row a one-time link's token names (now used); DomainError when it is not valid."""
    pk, _dot, secret = (token or "").partition(".")
    row = SignInCode.objects.select_for_update().filter(pk=int(pk) if pk.isdigit() else 0).first()
    now = timezone.now()
    if (
        row is None
        or row.used_at is not None
        or row.expires_at <= now
        or not _matches(secret, row.link_hash, salt_key=LINK_SALT)
    ):
        raise DomainError(_("登录链接已失效，请重新获取。"), field="link", code="expired")
    newer = SignInCode.objects.filter(destination=row.destination, pk__gt=row.pk).exists()
    if newer:  # a later request replaced this one
        raise DomainError(_("登录链接已失效，请重新获取。"), field="link", code="expired")
    row.used_at = now
    row.save(update_fields=["used_at"])
    return row


# --- guest links ------------------------------------------------------------------------------


def guest_token(ticket) -> str:
    """The secret part of a guest's private address for one ticket (signed, no expiry)."""
    return signing.dumps(ticket.pk, salt=GUEST_SALT)


def guest_path(ticket) -> str:
    """The guest's private page of `ticket` (the portal's URL; relative)."""
    return reverse("portal:guest", args=[guest_token(ticket)])


def ticket_for_guest_token(token: str) -> Ticket | None:
    try:
        pk = signing.loads(token, salt=GUEST_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Ticket.objects.filter(pk=pk).first()


def do_guest_link_send(*, ticket, url: str) -> None:
    """E-mail the filer their private link, when they left an address."""
    if not ticket.contact_email:
        return
    text = _(
        "【%(app)s】已收到您的问题，工单号 %(number)s。查看进度、补充说明请打开您的专属链接"
        "（请勿转发）：%(url)s"
    ) % {"app": settings.APP_NAME, "number": ticket.number, "url": url}
    do_outbox_add(
        to=[ticket.contact_email],
        subject=_("工单 %(number)s 已受理") % {"number": ticket.number},
        body=text,
        kind="portal_guest_link",
        key=f"portal-guest-link:{ticket.pk}",
    )


# --- a customer's own actions --------------------------------------------------------------


def may_resolve(ticket) -> bool:
    """A complaint's status follows its flow; anything else the customer may call resolved."""
    return ticket.type != TicketType.COMPLAINT and ticket.status not in (
        Status.RESOLVED,
        Status.CLOSED,
    )


def may_reopen(ticket) -> bool:
    return ticket.type != TicketType.COMPLAINT and ticket.status in (
        Status.RESOLVED,
        Status.CLOSED,
    )


@transaction.atomic
def do_portal_reply(*, ticket, body: str, files=()):
    """The customer's message with its files; it reopens a waiting or resolved ticket (the
    funnel does that), and a closed one first, since a closed thread takes no reply."""
    attachments = attachments_from_uploads(files)
    if ticket.status == Status.CLOSED and ticket.type != TicketType.COMPLAINT:
        ticket = do_ticket_update(
            actor=portal_user(), ticket=ticket, changes={"status": Status.OPEN}
        )
    return do_customer_message_add(ticket=ticket, body=body, attachments=attachments)


def do_portal_resolve(*, ticket) -> Ticket:
    """问题已解决: the customer says it is settled (status resolved; they may reopen)."""
    if not may_resolve(ticket):
        raise DomainError(_("该工单当前不能由您关闭。"), field="status", code="illegal_transition")
    return do_ticket_update(actor=portal_user(), ticket=ticket, changes={"status": Status.RESOLVED})


def do_portal_reopen(*, ticket) -> Ticket:
    if not may_reopen(ticket):
        raise DomainError(_("该工单当前不能重新打开。"), field="status", code="illegal_transition")
    return do_ticket_update(actor=portal_user(), ticket=ticket, changes={"status": Status.OPEN})


@transaction.atomic
def do_signed_in_ticket_create(
    *,
    scope: PortalScope,
    name: str,
    question: str,
    details: str = "",
    phone: str = "",
    email: str = "",
) -> Ticket:
    """还需要帮助 from a signed-in customer: the sign-in proved who they are, so the ticket
    is filed under their record (not a new visitor) with the contact they signed in with,
    marked verified. Another contact typed on the form is unproven: it goes into the
    description for the agent, never onto the ticket's contact."""
    customer = Customer.objects.get(pk=scope.customer_id)
    name = check_text((name or "").strip(), field="name", max_length=100) or customer.name
    question = check_text((question or "").strip(), field="question", max_length=200)
    details = check_text((details or "").strip(), field="details", max_length=5000)
    if not question:
        raise DomainError(_("请填写您的问题。"), field="question")
    proven_email = scope.destination if scope.channel == SignInCode.Channel.EMAIL else ""
    proven_phone = scope.destination if scope.channel == SignInCode.Channel.SMS else ""
    other = [
        value.strip()
        for value in (phone, email)
        if value
        and value.strip().lower() not in (proven_email, proven_phone)
        and phone_digits(value) != proven_phone
    ]
    if other:
        note = _("客户另留联系方式（未验证）：%(other)s") % {"other": "、".join(other)}
        details = f"{details}\n\n{note}" if details else note
    mood = triage(f"{question} {details}")
    return do_ticket_create(
        actor=portal_user(),
        customer=customer,
        channel="web",
        type=mood.type,
        priority=mood.priority,
        subject=question,
        description=details,
        contact_name=name,
        contact_phone=proven_phone,
        contact_email=proven_email,
        contact_status=ContactStatus.VERIFIED,
    )
