"""The live part follows the ticket: its events move the chat's state and reach the open
screens. Slots and order: huitou.tickets.events.TICKET_EVENTS and
huitou.core.notifications.NOTIFICATION_EVENTS."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError
from huitou.core.notifications import (
    NOTIFICATION_EVENTS,
    NotificationsCreated,
    unread_notification_count,
)
from huitou.tickets import events as ticket_events
from huitou.tickets.events import MessageAdded, MessageKind, TicketChanged, TicketOpened
from huitou.tickets.funnel import check_may_hold, do_ticket_change
from huitou.tickets.models import DONE_STATUSES, Ticket

from . import live
from .models import TICKET_CHANNEL, ChatSeat, ChatSession
from .services import after_commit_state, broadcast_message, do_session_end, system_notice

CHAT_CHANNELS = frozenset(TICKET_CHANNEL.values())


def _pk(value):
    return getattr(value, "pk", value)


def _staff_frame(ticket: Ticket, event: str) -> dict:
    # `department` lets each connection drop what its user may not see (accounts.scope).
    return {
        "type": "ticket",
        "event": event,
        "id": ticket.pk,
        "number": ticket.number,
        "department": ticket.department_id,
    }


def _send_staff(frame: dict) -> None:
    live.send_group(live.STAFF_GROUP, frame)


def _session(ticket: Ticket) -> ChatSession | None:
    if ticket.channel not in CHAT_CHANNELS:
        return None
    return ChatSession.objects.select_for_update().filter(ticket_id=ticket.pk).first()


def session_follows_ticket(event: TicketChanged) -> None:
    session = _session(event.ticket)
    if session is None or session.state == ChatSession.State.ENDED:
        return
    ticket, changes = event.ticket, event.changes
    if "status" in changes and ticket.status in DONE_STATUSES:
        do_session_end(session, actor=event.actor)
        return
    queues = [ticket.queue_id]
    if "queue" in changes:
        queues.append(_pk(changes["queue"]))
    if "assignee" in changes:
        was = session.state
        if ticket.assignee_id is not None:
            session.state, session.agent_id = ChatSession.State.ACTIVE, ticket.assignee_id
            session.accepted_at = session.accepted_at or timezone.now()
            if was != ChatSession.State.ACTIVE:
                name = ticket.assignee.display_name
                system_notice(ticket=ticket, body=_("客服 %(name)s 为您服务。") % {"name": name})
        elif was == ChatSession.State.ACTIVE:
            session.state, session.agent_id = ChatSession.State.WAITING, None
        session.save(update_fields=["state", "agent", "accepted_at"])
    elif "queue" not in changes:
        return
    after_commit_state(session, queue_ids=queues)


def session_hears_message(event: MessageAdded) -> None:
    ticket = event.ticket
    if ticket.channel not in CHAT_CHANNELS:
        return
    if event.kind == MessageKind.CUSTOMER:
        ChatSession.objects.filter(ticket_id=ticket.pk).update(customer_last_at=timezone.now())
        return
    if event.kind != MessageKind.PUBLIC_REPLY or event.actor is None or ticket.assignee_id:
        return
    session = _session(ticket)
    if session is None or session.state != ChatSession.State.WAITING:
        return
    # Whoever answers a waiting chat has taken it (they may hold the ticket). Their answer
    # is the greeting: the chat is theirs before the ticket says so, so no notice follows.
    try:
        check_may_hold(assignee=event.actor, department_id=ticket.department_id)
    except (DomainError, PermissionDenied):
        return
    session.state, session.agent = ChatSession.State.ACTIVE, event.actor
    session.accepted_at = timezone.now()
    session.save(update_fields=["state", "agent", "accepted_at"])
    do_ticket_change(ticket=ticket, actor=event.actor, changes={"assignee": event.actor})


def live_ticket_opened(event: TicketOpened) -> None:
    _send_staff(_staff_frame(event.ticket, "opened"))


def live_ticket_changed(event: TicketChanged) -> None:
    ticket = event.ticket
    _send_staff(_staff_frame(ticket, "changed"))
    actor = event.actor
    live.send_group(
        live.ticket_group(ticket.pk),
        {
            "type": "changed",
            "ticket": ticket.pk,
            "fields": sorted(event.changes),
            "by": actor.display_name if actor is not None else "",
            "user": actor.pk if actor is not None else None,
        },
    )


def live_message_added(event: MessageAdded) -> None:
    # To the ticket's watchers and its customer only: the inbox hears of the status move a
    # message makes (TicketChanged), not of every line of every chat.
    broadcast_message(event.message.pk)


def live_notifications(event: NotificationsCreated) -> None:
    recipients = {notification.recipient_id: notification for notification in event.notifications}
    quiet = set(
        ChatSeat.objects.filter(user_id__in=recipients, ring_major_complaint=False).values_list(
            "user_id", flat=True
        )
    )
    for user_id, notification in recipients.items():
        group = live.user_group(user_id)
        unread = unread_notification_count(user=notification.recipient)
        live.send_group(group, {"type": "notifications", "unread": unread})
        if notification.kind == "major_complaint" and user_id not in quiet:
            ring = {"type": "ring", "kind": "major", "title": notification.title}
            live.send_group(group, {**ring, "url": notification.url})


def register() -> None:
    subscribe = ticket_events.subscribe
    subscribe(TicketOpened, "chat.live", live_ticket_opened)
    subscribe(TicketChanged, "chat.session", session_follows_ticket)
    subscribe(TicketChanged, "chat.live", live_ticket_changed)
    subscribe(MessageAdded, "chat.session", session_hears_message)
    subscribe(MessageAdded, "chat.live", live_message_added)
    NOTIFICATION_EVENTS.subscribe(NotificationsCreated, "chat.live", live_notifications)
