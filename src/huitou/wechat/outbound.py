"""Messages to customers through WeChat's customer-service message APIs, each sent once.

A row is written in the transaction that makes it necessary (the agent's reply, the bot's
late answer) and sent after commit by a task. Sending claims the row with a conditional
UPDATE (two workers never hold the same row) and a row marked sent is never claimed again.
WeChat refusing because the customer's window has closed (45015 and kin) fails the row with
reason window_closed, at once; a network failure is retried with back-off (the task's
retries, and the minute's sweep for a task that was lost). A worker that dies between
WeChat's answer and marking the row sent leaves it claimed until the lease runs out, then
it is sent again: WeChat's API has no idempotency key, so that one case may repeat a text.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from huitou.chat.selectors import reply_window_open
from huitou.tickets.models import Message, Ticket

from . import client
from .models import Via, WechatOutbound

logger = logging.getLogger(__name__)
Status, Reason = WechatOutbound.Status, WechatOutbound.Reason

LEASE = timedelta(minutes=2)  # longer than two API calls with their timeouts
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# WeChat will not deliver to this customer now; trying again will not help.
#   公众号: 45015 the 48-hour window since the customer's last message is over (or they
#   unsubscribed), 45047 too many messages since it.
#   微信客服: 95001 the message limit since the customer's last message; 95018 and 95026 for
#   a session that no longer takes messages (its state, its time limit). Check these two
#   against WeCom's current error-code list: an unknown refusal is failed as "rejected".
WINDOW_ERRORS = {Via.OA: frozenset({45015, 45047}), Via.KF: frozenset({95001, 95018, 95026})}


class RetryLater(Exception):
    """The send failed for now; the row waits for its next attempt."""


def backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


def _kick_after_commit(outbound_id: int) -> None:
    # Imported here: wechat.tasks imports this module (its task runs do_outbound_deliver).
    from .tasks import send_outbound

    transaction.on_commit(lambda: send_outbound(outbound_id))


def do_outbound_queue(
    *,
    key: str,
    via: str,
    account: str,
    touser: str,
    body: str,
    ticket_id: int | None = None,
    message: Message | None = None,
    window_open: bool = True,
) -> WechatOutbound:
    """Queue one text in the caller's transaction; the same `key` again returns the first
    row and sends nothing more. A closed window is recorded as failed without a call."""
    existing = WechatOutbound.objects.filter(key=key).first()
    if existing is not None:
        return existing
    fields = {
        "key": key,
        "via": via,
        "account": account,
        "touser": touser,
        "body": body,
        "ticket_id": ticket_id,
        "message": message,
    }
    if not window_open:
        return WechatOutbound.objects.create(
            **fields, status=Status.FAILED, reason=Reason.WINDOW_CLOSED
        )
    row = WechatOutbound.objects.create(**fields, next_attempt_at=timezone.now())
    _kick_after_commit(row.pk)
    return row


def do_reply_queue(*, ticket: Ticket, message: Message, session) -> WechatOutbound:
    """An agent's public reply on a WeChat conversation, to the customer it came from."""
    return do_outbound_queue(
        key=f"message:{message.pk}",
        via=session.via,
        account=session.account,
        touser=session.external_id,
        body=message.body,
        ticket_id=ticket.pk,
        message=message,
        window_open=reply_window_open(session),
    )


def _due(now: datetime, *, ignore_schedule: bool) -> Q:
    pending = Q(status=Status.PENDING)
    if not ignore_schedule:
        pending &= Q(next_attempt_at__lte=now)
    return pending | Q(status=Status.SENDING, claimed_until__lt=now)


def _claim(outbound_id: int, *, now: datetime, ignore_schedule: bool) -> bool:
    return bool(
        WechatOutbound.objects.filter(_due(now, ignore_schedule=ignore_schedule))
        .filter(pk=outbound_id)
        .update(status=Status.SENDING, claimed_until=now + LEASE, attempts=F("attempts") + 1)
    )


def _finish(row: WechatOutbound, **fields) -> None:
    # Never over a row already marked sent (a worker whose lease ran out, finishing late).
    WechatOutbound.objects.filter(pk=row.pk).exclude(status=Status.SENT).update(
        claimed_until=None, **fields
    )


def _send(row: WechatOutbound) -> None:
    if row.via == Via.OA:
        client.oa_custom_send(touser=row.touser, content=row.body)
    else:
        client.kf_send_msg(touser=row.touser, open_kfid=row.account, content=row.body)


def do_outbound_deliver(*, outbound_id: int, ignore_schedule: bool = False) -> str:
    """Send one row if it is due and nobody holds it; returns its status afterwards.
    Raises RetryLater when it failed for now (it is pending again, with its next attempt
    set). `ignore_schedule`: the task's own retry, which keeps the back-off itself."""
    now = timezone.now()
    if not _claim(outbound_id, now=now, ignore_schedule=ignore_schedule):
        return (
            WechatOutbound.objects.filter(pk=outbound_id).values_list("status", flat=True).first()
        )
    row = WechatOutbound.objects.get(pk=outbound_id)
    try:
        _send(row)
    except client.WechatApiError as error:
        window = error.errcode in WINDOW_ERRORS.get(row.via, ())
        _finish(
            row,
            status=Status.FAILED,
            reason=Reason.WINDOW_CLOSED if window else Reason.REJECTED,
            last_error=str(error)[:2000],
        )
        logger.warning("wechat message %s refused: %s", row.pk, error)
        return Status.FAILED
    except client.NotConfigured as error:
        _finish(row, status=Status.FAILED, reason=Reason.NOT_CONFIGURED, last_error=str(error))
        return Status.FAILED
    except client.TransientError as error:
        if row.attempts >= MAX_ATTEMPTS:
            _finish(row, status=Status.FAILED, reason=Reason.GAVE_UP, last_error=str(error)[:2000])
            logger.error(
                "wechat message %s given up after %s tries: %s", row.pk, row.attempts, error
            )
            return Status.FAILED
        _finish(
            row,
            status=Status.PENDING,
            next_attempt_at=now + backoff(row.attempts),
            last_error=str(error)[:2000],
        )
        raise RetryLater(str(error)) from error
    _finish(row, status=Status.SENT, sent_at=timezone.now(), reason=Reason.NONE, last_error="")
    return Status.SENT


def do_outbound_retry(*, outbound_ids) -> int:
    """An admin's "send again" for failed messages: pending now, attempts counted afresh."""
    ids = list(
        WechatOutbound.objects.filter(pk__in=list(outbound_ids), status=Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    WechatOutbound.objects.filter(pk__in=ids).update(
        status=Status.PENDING, reason=Reason.NONE, attempts=0, next_attempt_at=timezone.now()
    )
    for outbound_id in ids:
        _kick_after_commit(outbound_id)
    return len(ids)


def due_outbound_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Rows whose next attempt is due, or whose worker's lease ran out (it died)."""
    now = now or timezone.now()
    return list(
        WechatOutbound.objects.filter(_due(now, ignore_schedule=False))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
