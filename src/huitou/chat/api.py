"""/api/v1/chat: the agent's live chats (the console's actions, for other clients)."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from huitou.core.errors import DomainError
from huitou.core.permissions import check_permission
from huitou.core.schemas import Text
from huitou.sla.models import Queue
from huitou.tickets.api import MAX_ID, _assignee

from .selectors import access_session, console_sessions, reply_window_open
from .services import do_chat_accept, do_chat_end, do_chat_transfer

router = Router(tags=["chat"])


class SessionOut(Schema):
    id: int
    ticket: int = Field(alias="ticket_id")
    ticket_number: str
    state: str
    via: str
    queue: str | None
    agent: int | None = Field(alias="agent_id")
    customer: str
    queued_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    reply_window_open: bool

    @staticmethod
    def resolve_ticket_number(obj) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_queue(obj) -> str | None:
        return obj.ticket.queue.name if obj.ticket.queue_id else None

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.ticket.contact_name or obj.ticket.customer.name

    @staticmethod
    def resolve_reply_window_open(obj) -> bool:
        return reply_window_open(obj)


class ConsoleOut(Schema):
    waiting: list[SessionOut]
    mine: list[SessionOut]
    max_chats: int


class TransferIn(Schema):
    reason: Text(500)
    assignee: int | None = Field(None, ge=1, le=MAX_ID)
    queue: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/sessions", response=ConsoleOut)
def chat_sessions(request):
    """Chats waiting in the queues you may see (first come first) and the chats you hold."""
    check_permission(request.user, "tickets.reply_to_customer")
    lists = console_sessions(user=request.user)
    waiting = [session for line in lists["queues"].values() for session in line]
    waiting.sort(key=lambda session: (session.queued_at, session.pk))
    return {"waiting": waiting, "mine": lists["mine"], "max_chats": lists["seat"].max_chats}


@router.post("/sessions/{session_id}/accept", response=SessionOut)
def chat_accept(request, session_id: int):
    """Take a waiting chat (409 when someone else has it or you are at your capacity)."""
    check_permission(request.user, "tickets.reply_to_customer")
    access_session(user=request.user, session_id=session_id)
    do_chat_accept(actor=request.user, session_id=session_id)
    return access_session(user=request.user, session_id=session_id)


@router.post("/sessions/{session_id}/transfer", response=SessionOut)
def chat_transfer(request, session_id: int, payload: TransferIn):
    """转接 to another agent or queue, with a reason; the customer is told."""
    access_session(user=request.user, session_id=session_id)
    queue = None
    if payload.queue is not None:
        queue = Queue.objects.filter(pk=payload.queue, active=True).first()
        if queue is None:
            raise DomainError(_("队列不存在。"), field="queue")
    do_chat_transfer(
        actor=request.user,
        session_id=session_id,
        reason=payload.reason,
        assignee=_assignee(payload.assignee),
        queue=queue,
    )
    return access_session(user=request.user, session_id=session_id)


@router.post("/sessions/{session_id}/end", response=SessionOut)
def chat_end(request, session_id: int):
    """End the chat: its ticket is resolved (a complaint stays in its flow)."""
    access_session(user=request.user, session_id=session_id)
    do_chat_end(actor=request.user, session_id=session_id)
    return access_session(user=request.user, session_id=session_id)
