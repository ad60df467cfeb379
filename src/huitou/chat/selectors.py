"""Reads for live chat: the customer's link, the queue, the console's lists."""

import math
import statistics
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.accounts.roles import Role
from huitou.sla.calendars import compiled_calendar
from huitou.sla.clock import policy_for_ticket
from huitou.sla.models import AgentStatus, Queue
from huitou.tickets.models import Message, Ticket
from huitou.tickets.selectors import visible_tickets

from .models import REPLY_WINDOW, ChatSeat, ChatSession

TOKEN_SALT = "huitou.chat.customer"
OPEN_STATES = (ChatSession.State.WAITING, ChatSession.State.ACTIVE, ChatSession.State.OFFLINE)


def customer_token(session: ChatSession) -> str:
    """What the customer's WebSocket needs: a signed, expiring reference to the chat."""
    return signing.dumps({"s": session.pk}, salt=TOKEN_SALT, compress=True)


def session_id_for_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=settings.HUITOU_CHAT_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    session_id = data.get("s") if isinstance(data, dict) else None
    return session_id if isinstance(session_id, int) else None


def customer_socket_path(session: ChatSession) -> str:
    return f"/ws/chat/{customer_token(session)}/"


def session_for_ticket(ticket_id: int) -> ChatSession | None:
    return ChatSession.objects.filter(ticket_id=ticket_id).first()


def chat_seat(user) -> ChatSeat:
    """The agent's chat settings (defaults until they change them)."""
    return ChatSeat.objects.filter(user=user).first() or ChatSeat(user=user)


def availability(ticket: Ticket, *, now: datetime | None = None) -> str:
    """Why nobody can answer live now ("after_hours", "nobody_on_duty"), or "" when
    somebody can: the queue's service hours (else its SLA policy's calendar), and an
    active member of the queue on duty (without a queue: any agent on duty)."""
    now = now or timezone.now()
    queue = ticket.queue
    calendar = queue.calendar if queue is not None and queue.calendar_id else None
    if calendar is None:
        policy = policy_for_ticket(ticket)
        calendar = policy.calendar if policy is not None else None
    if calendar is not None and not compiled_calendar(calendar).is_working(now):
        return "after_hours"
    if not on_duty_agents(queue).exists():
        return "nobody_on_duty"
    return ""


def on_duty_agents(queue: Queue | None):
    """People who may be handed a chat now (a missing status means on duty)."""
    if queue is not None:
        members = queue.members.all()
    else:
        members = User.objects.filter(groups__name__in=(Role.AGENT, Role.SUPERVISOR)).distinct()
    off = AgentStatus.objects.filter(on_duty=False).values("user_id")
    return members.filter(is_active=True, is_service_account=False).exclude(pk__in=off)


def waiting_line(queue_id: int | None) -> list[ChatSession]:
    """The queue's waiting chats, first come first."""
    return list(
        ChatSession.objects.filter(state=ChatSession.State.WAITING, ticket__queue_id=queue_id)
        .order_by("queued_at", "id")
        .only("id", "queued_at", "ticket_id")
    )


def handling_seconds(queue_id: int | None) -> float:
    """How long a chat in this queue takes lately: the median of the last 20 served."""
    recent = list(
        ChatSession.objects.filter(
            ticket__queue_id=queue_id, accepted_at__isnull=False, ended_at__isnull=False
        )
        .order_by("-ended_at")
        .values_list("accepted_at", "ended_at")[:20]
    )
    durations = [(end - start).total_seconds() for start, end in recent if end > start]
    if not durations:
        return float(settings.HUITOU_CHAT_DEFAULT_HANDLING_SECONDS)
    return statistics.median(durations)


def queue_frames(queue_id: int | None) -> list[tuple[int, dict]]:
    """(session id, its queue frame) for each waiting chat of the queue: the position and an
    estimated wait from recent handling times and the agents on duty."""
    line = waiting_line(queue_id)
    if not line:
        return []
    queue = Queue.objects.filter(pk=queue_id).first() if queue_id else None
    agents = list(on_duty_agents(queue).values_list("pk", flat=True))
    handling = handling_seconds(queue_id)
    free = free_seats(agents)
    return [
        (
            session.pk,
            {
                "type": "queue",
                "position": position,
                # Free seats take the first in line at once; the rest wait for chats to end.
                "wait_seconds": int(
                    math.ceil(max(0, position - free) / max(1, len(agents))) * handling
                ),
            },
        )
        for position, session in enumerate(line, start=1)
    ]


def free_seats(agent_ids: list[int]) -> int:
    """How many more chats the agents on duty can take now (their capacity less their chats)."""
    if not agent_ids:
        return 0
    limits = dict(
        ChatSeat.objects.filter(user_id__in=agent_ids).values_list("user_id", "max_chats")
    )
    held = dict(
        ChatSession.objects.filter(state=ChatSession.State.ACTIVE, agent_id__in=agent_ids)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    default = ChatSeat._meta.get_field("max_chats").default
    return sum(max(0, limits.get(pk, default) - held.get(pk, 0)) for pk in agent_ids)


def queue_frame(session: ChatSession) -> dict | None:
    for session_id, frame in queue_frames(session.ticket.queue_id):
        if session_id == session.pk:
            return frame
    return None


def state_frame(session: ChatSession) -> dict:
    """What the customer's widget shows about the chat now."""
    frame = {
        "type": "state",
        "state": session.state,
        "reason": session.offline_reason,
        "agent": session.agent.display_name if session.agent else None,
        "ticket_number": session.ticket.number,
        "agent_read_upto": session.agent_read_upto,
    }
    if session.state == ChatSession.State.WAITING:
        queue = queue_frame(session) or {}
        frame["position"] = queue.get("position")
        frame["wait_seconds"] = queue.get("wait_seconds")
    return frame


def customer_messages(session: ChatSession, *, after: int = 0) -> QuerySet[Message]:
    """The conversation as the customer sees it: the ticket's public messages after `after`."""
    return (
        Message.objects.filter(ticket_id=session.ticket_id, public=True, pk__gt=after)
        .select_related("author", "ticket__customer")
        .order_by("id")
    )


def reply_window_closes(session: ChatSession) -> datetime | None:
    """When the channel stops letting us write (WeChat: 48 h after the customer's last
    message); None for channels without a window."""
    window = REPLY_WINDOW.get(session.via)
    if window is None:
        return None
    return (session.customer_last_at or session.queued_at) + window


def reply_window_open(session: ChatSession, *, now: datetime | None = None) -> bool:
    closes = reply_window_closes(session)
    return closes is None or (now or timezone.now()) < closes


def console_sessions(*, user) -> dict:
    """The agent's console: the chats waiting in the queues they may see, with their
    waits, and the chats they hold."""
    visible = visible_tickets(user=user)
    now = timezone.now()
    waiting = list(
        ChatSession.objects.filter(state=ChatSession.State.WAITING, ticket__in=visible)
        .select_related("ticket__customer", "ticket__queue")
        .order_by("queued_at", "id")
    )
    queues: dict = {}
    for session in waiting:
        session.waited_seconds = int((now - session.queued_at).total_seconds())
        session.waited_minutes = session.waited_seconds // 60
        name = session.ticket.queue.name if session.ticket.queue_id else _("未分队列")
        queues.setdefault(name, []).append(session)
    mine = list(
        ChatSession.objects.filter(state=ChatSession.State.ACTIVE, agent=user, ticket__in=visible)
        .select_related("ticket__customer")
        .order_by("accepted_at", "id")
    )
    seat = chat_seat(user)
    return {
        "queues": queues,
        "waiting_count": len(waiting),
        "mine": mine,
        "seat": seat,
        "room": max(0, seat.max_chats - len(mine)),
    }


def access_session(*, user, session_id: int) -> ChatSession:
    """The chat if `user` may see its ticket; 404 otherwise."""
    session = (
        ChatSession.objects.filter(pk=session_id, ticket__in=visible_tickets(user=user))
        .select_related("ticket__customer", "ticket__queue", "agent", "conversation")
        .first()
    )
    if session is None:
        raise Http404(_("会话不存在。"))
    return session
