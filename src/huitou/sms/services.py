"""Sending text messages (短信): every send is an SmsSend row, from the request to the
provider's delivery receipt.

`do_sms_send` takes a purpose and a template (SmsTemplate.code) with its params; a caller
may also give the text itself, which the console, the in-memory outbox and the HTTP gateway
send (Aliyun and Tencent send approved templates only). On the way:

- a number gets at most HUITOU_SMS_DAILY_LIMIT texts per local day: the next is recorded
  refused_limit and raises SmsLimited;
- a marketing text in the quiet hours (HUITOU_SMS_QUIET_HOURS) is stored deferred until they
  end, when the worker's minute sweep (`do_sms_send_due`) sends it once;
- sign-in and verification texts are kept without their code (and without the caller's
  text, which may hold a sign-in link): the codes are stored hashed where they are checked.

Failures raise SmsError (callers tell the customer); the row says what happened. A caller
whose own transaction rolls back takes the row with it.
"""

import logging
import re
import zlib
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError

from .backends import BaseBackend, SmsMessage
from .errors import SmsError, SmsLimited, mask_number
from .models import SLOT, Purpose, SmsSend, SmsTemplate
from .quiet import is_quiet, quiet_end
from .selectors import due_deferred, sent_today, template_by_code

logger = logging.getLogger(__name__)
Status = SmsSend.Status
SECRET_PURPOSES = frozenset({Purpose.SIGN_IN, Purpose.VERIFICATION})
SECRET_PARAMS = frozenset({"code"})
REDACTED = "******"
NUMBER = re.compile(r"\+?\d{5,15}")
MAINLAND = re.compile(r"1\d{10}")
NUMBER_NOISE = re.compile(r"[\s\-()（）]")


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def normalize_number(to: str) -> str:
    """Mainland numbers as 11 digits (whatever +86 / 0086 / 86 prefix they came with), others
    as +<country code><number>: one spelling per phone, so the daily count is per phone."""
    number = NUMBER_NOISE.sub("", to or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    for prefix in ("+86", "86"):
        if number.startswith(prefix) and MAINLAND.fullmatch(number[len(prefix) :]):
            return number[len(prefix) :]
    if not NUMBER.fullmatch(number):
        raise SmsError(f"not a phone number: {mask_number(number)}")
    if not MAINLAND.fullmatch(number) and not number.startswith("+"):
        number = "+" + number
    return number


def check_purpose(purpose: str) -> None:
    if purpose not in Purpose.values:
        raise DomainError(
            _("未知的短信用途：%(purpose)s。") % {"purpose": purpose}, field="purpose"
        )


def render(template: SmsTemplate, params: dict[str, str], *, strict: bool = True) -> str:
    """The template's text with its {slots} filled; strict: a missing param is an SmsError."""
    missing = [name for name in template.param_names if name not in params]
    if strict and missing:
        raise SmsError(f"SMS template {template.code!r} needs {', '.join(missing)}")
    return SLOT.sub(lambda slot: params.get(slot[1], slot[0]), template.text)


def _kept(purpose: str, template: SmsTemplate | None, params: dict, text: str | None):
    """(text, params) as the SmsSend row keeps them."""
    if purpose not in SECRET_PURPOSES:
        return (text if text is not None else render(template, params)), params
    safe = {name: REDACTED if name in SECRET_PARAMS else value for name, value in params.items()}
    if template is None:
        return "", safe
    return render(template, safe, strict=False), safe


def _message(
    backend: BaseBackend, *, to: str, code: str, params: dict, text: str | None
) -> SmsMessage:
    template = template_by_code(code)
    if backend.template_field is None:
        if text is None:
            if template is None:
                raise SmsError(f"no SMS template {code!r}")
            text = render(template, params)
        return SmsMessage(to=to, text=text)
    if template is None:
        raise SmsError(
            f"the {backend.name} SMS provider sends approved templates only, and there is no "
            f"SMS template {code!r}"
        )
    template_id = getattr(template, backend.template_field)
    if not template_id:
        raise SmsError(
            f"SMS template {code!r} has no {backend.template_field} for {backend.name}: "
            "enter the provider's approved template id in the admin (短信 → 短信模板)"
        )
    return SmsMessage(
        to=to,
        text=render(template, params),
        template_id=template_id,
        params=params,
        param_names=tuple(template.param_names),
    )


def _lock_number(number: str) -> None:
    """Serialise the daily count of one number among concurrent senders (PostgreSQL; SQLite
    has one writer at a time anyway). Inside a transaction: released at its end."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(number.encode())])


def _take_a_slot(row: SmsSend, moment: datetime) -> bool:
    """Mark the row sending when its number has a send left today, else refused_limit."""
    with transaction.atomic():
        _lock_number(row.to)
        over = (
            sent_today(to=row.to, now=moment, exclude_pk=row.pk) >= settings.HUITOU_SMS_DAILY_LIMIT
        )
        row.status = Status.REFUSED_LIMIT if over else Status.SENDING
        row.sent_at = None if over else moment
        row.save()
    return not over


def _limited(row: SmsSend) -> SmsLimited:
    return SmsLimited(
        f"{mask_number(row.to)} has had its {settings.HUITOU_SMS_DAILY_LIMIT} text messages today"
    )


def _fail(row: SmsSend, error: SmsError) -> None:
    row.status = Status.FAILED
    row.error = str(error)[:2000]
    row.save()
    logger.warning("SMS to %s not sent: %s", mask_number(row.to), error)


def _hand_over(row: SmsSend, backend: BaseBackend, message: SmsMessage) -> None:
    try:
        provider_id = backend.send(message) or ""
    except SmsError as error:
        _fail(row, error)
        raise
    row.status = Status.SENT
    row.provider_id = provider_id[:64]
    row.save(update_fields=["status", "provider_id"])


def do_sms_send(
    *,
    to: str,
    purpose: str,
    template: str,
    params: dict,
    text: str | None = None,
    now: datetime | None = None,
) -> SmsSend:
    """Send (or, for marketing in the quiet hours, defer) one text message. SmsError when it
    cannot go: no such template, no provider template id, the gateway refused; SmsLimited
    when the number had its texts for today."""
    check_purpose(purpose)
    number = normalize_number(to)
    params = {str(name): str(value) for name, value in (params or {}).items()}
    moment = now or timezone.now()
    found = template_by_code(template)
    if found is None and text is None:
        raise SmsError(f"no SMS template {template!r} and no text")
    kept_text, kept_params = _kept(purpose, found, params, text)
    row = SmsSend(
        to=number,
        purpose=purpose,
        template_code=template,
        params=kept_params,
        text=kept_text,
        status=Status.SENDING,
    )
    try:
        # Before a deferral too: a template the provider cannot send fails now, not at 08:00.
        backend = get_backend()
        row.provider = backend.name
        message = _message(backend, to=number, code=template, params=params, text=text)
    except SmsError as error:
        _fail(row, error)
        raise
    if purpose == Purpose.MARKETING and is_quiet(moment):
        row.status, row.scheduled_for = Status.DEFERRED, quiet_end(moment)
        row.save()
        return row
    if not _take_a_slot(row, moment):
        raise _limited(row)
    _hand_over(row, backend, message)
    return row


def send_sms(
    *,
    to: str,
    text: str,
    purpose: str = Purpose.NOTIFICATION,
    template: str = "",
    params: dict | None = None,
) -> SmsSend:
    """A text the caller wrote (console, locmem, HTTP gateway), with the template the
    providers send instead; SmsError when it fails."""
    return do_sms_send(to=to, purpose=purpose, template=template, params=params or {}, text=text)


def do_sms_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send the deferred texts whose quiet hours are over (the worker, every minute). Each is
    claimed by a status-guarded UPDATE, so of two workers only one sends it; the daily limit
    is counted when it goes. A worker that dies mid-send leaves it `sending`: a marketing
    text is sent at most once."""
    moment = now or timezone.now()
    if is_quiet(moment):
        return 0
    pks = list(due_deferred(now=moment).values_list("pk", flat=True)[:limit])
    if not pks:
        return 0
    try:
        backend = get_backend()
    except SmsError as error:
        logger.warning("deferred SMS not sent: %s", error)  # retried next minute
        return 0
    sent = 0
    for pk in pks:
        if not SmsSend.objects.filter(pk=pk, status=Status.DEFERRED).update(
            status=Status.SENDING, provider=backend.name
        ):
            continue  # another worker took it
        row = SmsSend.objects.get(pk=pk)
        if not _take_a_slot(row, moment):
            logger.warning("deferred SMS %s refused: %s", pk, _limited(row))
            continue
        try:
            message = _message(
                backend, to=row.to, code=row.template_code, params=row.params, text=row.text
            )
            _hand_over(row, backend, message)
        except SmsError as error:
            if row.status != Status.FAILED:
                _fail(row, error)
            continue
        sent += 1
    return sent


__all__ = [
    "SmsError",
    "SmsLimited",
    "do_sms_send",
    "do_sms_send_due",
    "normalize_number",
    "send_sms",
]
