"""Reads for the console: how a WeChat conversation's replies fared."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from huitou.chat.selectors import reply_window_closes, session_for_ticket
from huitou.tickets.models import Ticket

from .models import Via, WechatOutbound


@dataclass(frozen=True)
class OutboundStatus:
    window_closes: datetime | None  # when WeChat stops taking our messages
    window_open: bool
    by_message: dict[int, WechatOutbound]  # ticket message id → its send
    last_failure: WechatOutbound | None


def outbound_status(ticket: Ticket, *, now: datetime | None = None) -> OutboundStatus | None:
    """The reply window and each reply's send for a WeChat ticket; None for other tickets.
    Two queries."""
    session = session_for_ticket(ticket.pk)
    if session is None or session.via not in Via.values:
        return None
    rows = list(WechatOutbound.objects.filter(ticket_id=ticket.pk).order_by("created_at", "pk"))
    closes = reply_window_closes(session)
    failures = [row for row in rows if row.status == WechatOutbound.Status.FAILED]
    return OutboundStatus(
        window_closes=closes,
        window_open=closes is None or (now or timezone.now()) < closes,
        by_message={row.message_id: row for row in rows if row.message_id},
        last_failure=failures[-1] if failures else None,
    )
