"""Notify's panel on the ticket page: the progress notifications this ticket's customer was
sent (客户通知), so the desk sees what the customer was told without the admin."""

from dataclasses import dataclass
from datetime import datetime

from huitou.tickets.panels import register_panel

from .models import Notification, NotifyChannel
from .services import delivery_state

# Which personal-data kind a recipient is, for the {% personal %} tag's masking.
RECIPIENT_KIND = {NotifyChannel.EMAIL: "email", NotifyChannel.SMS: "phone"}


@dataclass(frozen=True)
class NotificationRow:
    event: str
    channel: str
    recipient: str
    recipient_kind: str
    state: str  # pending | sending | sent | failed
    state_label: str
    error: str
    at: datetime


def _row(notification: Notification) -> NotificationRow:
    state = delivery_state(notification)
    outbox = notification.outbox
    # An e-mail's delivery is the outbox row's; a text message's is the notification's own.
    error = outbox.last_error if outbox is not None else notification.last_error
    sent_at = outbox.sent_at if outbox is not None else notification.sent_at
    return NotificationRow(
        event=notification.get_event_display(),
        channel=notification.get_channel_display(),
        recipient=notification.recipient,
        recipient_kind=RECIPIENT_KIND.get(notification.channel, "email"),
        state=state,
        state_label=Notification.Status(state).label,
        error=error if state == Notification.Status.FAILED else "",
        at=sent_at or notification.created_at,
    )


def notifications_context(request, ticket, bound) -> dict | None:
    """The ticket's notifications, newest first; None when it has none. The outbox row
    comes in the same query (no query per notification)."""
    notifications = list(
        Notification.objects.filter(ticket=ticket)
        .select_related("outbox")
        .order_by("-created_at", "-id")
    )
    if not notifications:
        return None
    return {"notifications": [_row(notification) for notification in notifications]}


register_panel(
    name="notifications",
    template="notify/_panel.html",
    context=notifications_context,
    permission="tickets.view_ticket",
)
