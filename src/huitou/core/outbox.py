"""The e-mail outbox: every e-mail the system sends goes through here, at least once.

A producer calls `do_outbox_add` inside its own transaction, so the message exists exactly
when the event it tells of does. After commit a worker is kicked; every minute a periodic
task looks too. `do_outbox_deliver` claims one due row at a time with a conditional UPDATE
(works the same on SQLite and PostgreSQL; two workers never hold the same row), sends it
with the row's fixed Message-ID, and marks it sent. A worker killed mid-send leaves its row
claimed; when the lease (HUITOU_OUTBOX_LEASE_SECONDS) runs out, any worker sends it again.
Temporary failures are retried with exponential back-off; permanent ones (a 5xx answer) and
a message that failed HUITOU_OUTBOX_MAX_ATTEMPTS times are marked failed, for admins to
see and retry in the admin.

A row names its transport ("mail.mailbox:3"): the app that owns the prefix registers a
resolver with `register_transport` (core cannot import it) that gives the connection to
send it with, e.g. that mailbox's own SMTP server; a blank transport, or a resolver that
returns None, uses the default connection (EMAIL_* settings).
"""

import logging
import os
import smtplib
import socket
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.header import Header

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection, make_msgid
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600

# prefix → resolver(row) → an e-mail connection, or None for the default one.
_TRANSPORTS: dict[str, Callable[[OutboxMessage], object]] = {}


class UndeliverableError(Exception):
    """Trying again will not help (the mailbox is gone, an attachment's file is missing):
    the row is failed at once, with this as its reason."""


def register_transport(prefix: str, resolver: Callable[[OutboxMessage], object]) -> None:
    """Rows whose transport is `prefix` or starts with `prefix:` are sent through the
    connection `resolver(row)` returns (None: the default connection). Registering again
    (an AppConfig.ready() run twice) replaces the resolver."""
    _TRANSPORTS[prefix] = resolver


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return sender.rsplit("@", 1)[-1] if "@" in sender else "huitou.localhost"


def do_outbox_add(
    *,
    to: Iterable[str],
    subject: str,
    body: str,
    kind: str = "",
    key: str | None = None,
    html_body: str = "",
    from_email: str = "",
    cc: Iterable[str] = (),
    reply_to: Iterable[str] = (),
    headers: dict[str, str] | None = None,
    transport: str = "",
    attachments: Iterable[dict[str, str]] = (),
    message_id: str = "",
) -> OutboxMessage | None:
    """Queue one e-mail in the caller's transaction; sent after it commits.

    `key` makes the call idempotent: a second call with the same key returns the first
    message (None when there is no recipient). `transport` names a registered transport;
    `attachments` are {name, content_type, path} with paths in the default storage, read
    when the message is sent; `message_id` is the caller's own (else one is made)."""
    recipients = [address for address in dict.fromkeys(to) if address]
    if not recipients:
        return None
    if key is not None:
        existing = OutboxMessage.objects.filter(key=key).first()
        if existing is not None:
            return existing
    message = OutboxMessage.objects.create(
        kind=kind[:32],
        key=key,
        message_id=message_id or make_msgid(domain=_domain()),
        from_email=from_email,
        to=recipients,
        cc=list(cc),
        reply_to=list(reply_to),
        subject=" ".join(subject.splitlines())[:500],  # a header is one line
        body=body,
        html_body=html_body,
        headers=headers or {},
        transport=transport[:100],
        attachments=[
            {
                "name": item["name"],
                "content_type": item.get("content_type", ""),
                "path": item["path"],
            }
            for item in attachments
        ],
        next_attempt_at=timezone.now(),
    )
    _kick_after_commit()
    return message


def _kick_after_commit() -> None:
    # Imported here: core.tasks imports this module (its task runs do_outbox_deliver).
    from .tasks import deliver_outbox

    # One kick per transaction is enough: the run takes every due row.
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(entry[1], "_outbox_kick", False) for entry in connection.run_on_commit
    ):
        return

    def kick() -> None:
        deliver_outbox()

    kick._outbox_kick = True  # type: ignore[attr-defined]
    transaction.on_commit(kick)


def _due(now: datetime) -> Q:
    """Pending and due, or claimed by a worker whose lease has run out (it died)."""
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )


def _claim(*, now: datetime, worker: str) -> OutboxMessage | None:
    """Take the next due row, or None. The UPDATE repeats the condition: of two workers
    reading the same candidate, only one changes it (the other's UPDATE matches 0 rows)."""
    lease = timedelta(seconds=settings.HUITOU_OUTBOX_LEASE_SECONDS)
    for _attempt in range(5):
        candidate = (
            OutboxMessage.objects.filter(_due(now))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        taken = OutboxMessage.objects.filter(_due(now), pk=candidate).update(
            status=Status.SENDING,
            claimed_until=now + lease,
            claimed_by=worker,
            attempts=F("attempts") + 1,
        )
        if taken:
            return OutboxMessage.objects.get(pk=candidate)
    return None  # lost every race: the others are sending; the next run looks again


# Header folds only at spaces and "Subject: " takes 9 of a line's 78 characters: a word longer
# than this cannot follow it on the first line.
_FOLDABLE_WORD = 78 - len("Subject: ")


class _OutboxEmail(EmailMultiAlternatives):
    """Django encodes the Subject without its header name, so a long encoded subject is folded
    as "Subject: " + newline + " =?utf-8?b?...?=", which a modern parser (Python's default
    policy, many mail programs) reads with a leading space. Folding it knowing the name keeps
    the first encoded word on the Subject line; plain ASCII stays unencoded."""

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        subject = str(self.subject)
        plain = subject.isascii() and all(len(word) <= _FOLDABLE_WORD for word in subject.split())
        charset = "us-ascii" if plain else (self.encoding or settings.DEFAULT_CHARSET)
        # Message.replace_header, not msg["Subject"] = ...: Django's __setitem__ would encode
        # the Header's text again, without its name.
        msg.replace_header("Subject", Header(subject, charset, header_name="Subject"))
        return msg


def build_email(message: OutboxMessage, connection=None) -> EmailMultiAlternatives:
    email = _OutboxEmail(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email or None,
        to=message.to,
        cc=message.cc,
        reply_to=message.reply_to,
        headers={**message.headers, "Message-ID": message.message_id},
        connection=connection,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    for item in message.attachments:
        try:
            with default_storage.open(item["path"], "rb") as file:
                content = file.read()
        except FileNotFoundError as error:
            raise UndeliverableError(f"attachment {item['name']} is missing") from error
        email.attach(item["name"], content, item.get("content_type") or None)
    return email


def _open_connection(message: OutboxMessage):
    prefix = message.transport.split(":", 1)[0]
    resolver = _TRANSPORTS.get(prefix) if prefix else None
    if prefix and resolver is None:
        raise UndeliverableError(f"no transport {message.transport!r} is registered")
    connection = resolver(message) if resolver is not None else None
    if connection is None:
        connection = get_connection()
    connection.open()
    return connection


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # a broken connection may fail to close; it is gone anyway
        logger.debug("closing the mail connection failed", exc_info=True)


def _permanent(error: Exception) -> bool:
    """A 5xx answer will not change by trying again."""
    if isinstance(error, UndeliverableError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


def describe_error(error: Exception) -> str:
    """The server's own answer where there is one ("550 5.1.1 no such user"), for people."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{address}: {code} {_text(reply)}"
            for address, (code, reply) in error.recipients.items()
        ]
        return f"{error.__class__.__name__}: " + "; ".join(answers)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.__class__.__name__}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{error.__class__.__name__}: {error}"


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _failed(message: OutboxMessage, error: Exception, *, now: datetime) -> None:
    final = _permanent(error) or message.attempts >= settings.HUITOU_OUTBOX_MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=Status.SENT).update(
        status=Status.FAILED if final else Status.PENDING,
        next_attempt_at=None if final else now + backoff(message.attempts),
        claimed_until=None,
        last_error=describe_error(error)[:2000],
    )
    log = logger.error if final else logger.warning
    log("e-mail %s attempt %s failed: %s", message.message_id, message.attempts, error)


def do_outbox_deliver(
    *,
    now: datetime | None = None,
    worker: str = "",
    limit: int = 1000,
    budget_seconds: float | None = None,
) -> int:
    """Send due messages until none is left, `limit` are sent or `budget_seconds` have
    passed (a run that ends early lets a graceful stop come soon); returns how many."""
    worker = worker or worker_label()
    sent = 0
    connections: dict[str, object] = {}  # one open connection per transport in this run
    started = time.monotonic()
    try:
        while sent < limit:
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                break
            moment = now or timezone.now()
            message = _claim(now=moment, worker=worker)
            if message is None:
                break
            try:
                connection = connections.get(message.transport)
                if connection is None:
                    connection = connections[message.transport] = _open_connection(message)
                build_email(message, connection).send()
            except Exception as error:  # whatever the backend raised, the row must record it
                _failed(message, error, now=moment)
                broken = connections.pop(message.transport, None)
                if broken is not None:
                    _close(broken)
                continue
            OutboxMessage.objects.filter(pk=message.pk).exclude(status=Status.SENT).update(
                status=Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
            )
            sent += 1
    finally:
        for connection in connections.values():
            _close(connection)
    return sent


def next_wakeup() -> datetime | None:
    """When the earliest unsent message is due (a retry, or a lease running out)."""
    times = OutboxMessage.objects.filter(status__in=[Status.PENDING, Status.SENDING]).aggregate(
        pending=Min("next_attempt_at", filter=Q(status=Status.PENDING)),
        lease=Min("claimed_until", filter=Q(status=Status.SENDING)),
    )
    candidates = [value for value in times.values() if value is not None]
    return min(candidates) if candidates else None


def do_outbox_retry(*, message_ids: Iterable[int]) -> int:
    """An admin's "send again" for failed messages: pending now, attempts counted afresh."""
    count = OutboxMessage.objects.filter(pk__in=list(message_ids), status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
    )
    if count:
        _kick_after_commit()
    return count


def has_due(*, now: datetime | None = None) -> bool:
    return OutboxMessage.objects.filter(_due(now or timezone.now())).exists()
