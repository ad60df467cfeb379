"""Writes for live chat. Ticket fields change only through the tickets services and
routing (the funnel); what is live here (who holds the chat, the queue, read marks) follows
the ticket's events in subscribers.py, so a change made anywhere (the ticket page, the API,
routing) moves the chat too."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.core.errors import ConflictError, DomainError
from huitou.core.permissions import check_permission
from huitou.knowledge.bot import HandOffContact, do_bot_ask
from huitou.knowledge.models import BotConversation
from huitou.sla.models import Queue
from huitou.sla.routing import do_ticket_transfer
from huitou.tickets.funnel import do_ticket_change, lock_ticket
from huitou.tickets.models import Message, Status, Ticket, TicketType
from huitou.tickets.services import (
    check_note_body,
    check_ticket_visible,
    do_customer_message_add,
    do_ticket_update,
)

from . import live
from .events import CHAT_EVENTS, ChatEnded, ChatNotice
from .models import TICKET_CHANNEL, ChannelIdentity, ChannelMessage, ChatSeat, ChatSession, Via
from .selectors import availability, chat_seat, queue_frames, state_frame

OFFLINE_NOTICE = {
    "after_hours": _(
        "现在是非工作时间，人工客服暂时无法接待。请留言，我们上班后会通过邮件或“我的工单”答复您。"
    ),
    "nobody_on_duty": _("现在暂无人工客服在线。请留言，我们会通过邮件或“我的工单”尽快答复您。"),
}


def _lock_session(session_id: int) -> tuple[ChatSession, Ticket]:
    """The ticket row first, then its chat (the lock order of every ticket service)."""
    ticket_id = ChatSession.objects.filter(pk=session_id).values_list("ticket_id", flat=True)
    ticket_id = ticket_id.first()
    if ticket_id is None:
        raise DomainError(_("会话不存在。"), field="session")
    ticket = lock_ticket(ticket_id, related=("customer", "queue"))
    session = (
        ChatSession.objects.select_for_update(of=("self",))
        .select_related("agent")
        .get(pk=session_id)
    )
    return session, ticket


def system_notice(*, ticket: Ticket, body: str) -> Message:
    """A public line from the system in the chat (queue, transfer, end): stored, then sent."""
    message = Message.objects.create(
        ticket=ticket, sender=Message.Sender.SYSTEM, public=True, body=body
    )
    session = ChatSession.objects.filter(ticket=ticket).first()
    if session is not None:
        CHAT_EVENTS.emit(ChatNotice(session=session, message=message))
    transaction.on_commit(partial(broadcast_message, message.pk))
    return message


def broadcast_message(message_id: int) -> None:
    """Send a stored message to the ticket's staff screens, and to its customer if public."""
    ticket_id, public = Message.objects.values_list("ticket_id", "public").get(pk=message_id)
    session_id = (
        ChatSession.objects.filter(ticket_id=ticket_id).values_list("pk", flat=True).first()
        if public
        else None
    )
    groups = [live.ticket_group(ticket_id)]
    if session_id is not None:
        groups.append(live.chat_group(session_id))
    groups = [group for group in groups if live.listened(group)]
    if not groups:  # nobody is looking (a demo load, an import)
        return
    message = Message.objects.select_related("author", "ticket__customer").get(pk=message_id)
    frame = live.message_frame(message)
    for group in groups:
        live.send_group(group, frame)


def broadcast_state(session_id: int) -> None:
    session = ChatSession.objects.select_related("agent", "ticket").get(pk=session_id)
    live.send_group(live.chat_group(session.pk), state_frame(session))


def broadcast_queue(queue_id: int | None) -> None:
    """Everyone waiting in the queue hears their new place; consoles refresh their lists."""
    for session_id, frame in queue_frames(queue_id):
        live.send_group(live.chat_group(session_id), frame)
    live.send_group(live.STAFF_GROUP, {"type": "chats", "queue": queue_id})


def ring_new_chat(session_id: int) -> None:
    """Ring the agents who could take the new waiting chat (those who want it rung)."""
    session = ChatSession.objects.select_related("ticket__queue").get(pk=session_id)
    if session.state != ChatSession.State.WAITING:
        return
    queue = session.ticket.queue
    members = queue.members.all() if queue is not None else User.objects.none()
    muted = set(
        ChatSeat.objects.filter(user__in=members, ring_new_chat=False).values_list(
            "user_id", flat=True
        )
    )
    frame = {
        "type": "ring",
        "kind": "chat",
        "title": _("新的在线会话：%(subject)s") % {"subject": session.ticket.subject},
        "url": f"/chat/?session={session.pk}",
    }
    for user_id in members.values_list("pk", flat=True):
        if user_id not in muted:
            live.send_group(live.user_group(user_id), frame)


def after_commit_state(session: ChatSession, *, queue_ids=()) -> None:
    """After the commit: the customer's widget and every queue that changed."""
    transaction.on_commit(partial(broadcast_state, session.pk))
    for queue_id in dict.fromkeys(queue_ids):
        transaction.on_commit(partial(broadcast_queue, queue_id))


def do_chat_session_open(
    *,
    ticket: Ticket,
    conversation: BotConversation | None,
    via: str = Via.WEB,
    account: str = "",
    external_id: str = "",
) -> ChatSession:
    """A hand-off became a live chat: served at once when routing gave it an agent, else
    waiting in its queue; when nobody can answer live, a message to answer later."""
    now = timezone.now()
    session = ChatSession(
        ticket=ticket,
        conversation=conversation,
        via=via,
        account=account,
        external_id=external_id,
        queued_at=now,
        customer_last_at=now,
    )
    if ticket.assignee_id is not None:
        session.state, session.agent_id, session.accepted_at = (
            ChatSession.State.ACTIVE,
            ticket.assignee_id,
            now,
        )
    else:
        reason = availability(ticket, now=now)
        if reason:
            session.state, session.offline_reason = ChatSession.State.OFFLINE, reason
    session.save()
    if session.state == ChatSession.State.ACTIVE:
        name = ticket.assignee.display_name
        system_notice(ticket=ticket, body=_("客服 %(name)s 为您服务。") % {"name": name})
    elif session.state == ChatSession.State.OFFLINE:
        system_notice(ticket=ticket, body=str(OFFLINE_NOTICE[session.offline_reason]))
    else:
        transaction.on_commit(partial(ring_new_chat, session.pk))
    after_commit_state(session, queue_ids=[ticket.queue_id])
    return session


@transaction.atomic
def do_chat_ask(
    *,
    question: str,
    conversation: str | None = None,
    via: str = Via.WEB,
    account: str = "",
    external_id: str = "",
    **bot_options,
) -> tuple[dict, ChatSession | None]:
    """Ask the bot (knowledge.bot.do_bot_ask); a hand-off opens the live chat in the same
    transaction. Returns the bot's reply and the conversation's chat, if any."""
    reply = do_bot_ask(
        question=question,
        conversation=conversation,
        ticket_channel=TICKET_CHANNEL[via],
        **bot_options,
    )
    ticket = reply["ticket"]
    if ticket is None:
        return reply, None
    session = ChatSession.objects.filter(ticket=ticket).first()
    if session is None:
        talk = BotConversation.objects.get(token=reply["conversation"])
        session = do_chat_session_open(
            ticket=ticket, conversation=talk, via=via, account=account, external_id=external_id
        )
    return reply, session


@transaction.atomic
def do_chat_customer_say(*, session_id: int, body: str) -> Message:
    """The customer wrote in the chat: their next message on the ticket."""
    body = check_note_body(body)
    session, ticket = _lock_session(session_id)
    if session.state == ChatSession.State.ENDED and ticket.status == Status.CLOSED:
        raise ConflictError(_("会话已结束。"), field="body", code="ended")
    return do_customer_message_add(ticket=ticket, body=body)


@transaction.atomic
def do_chat_accept(*, actor, session_id: int) -> ChatSession:
    """An agent takes a waiting chat (or a message left out of hours), within their
    capacity (同时接待上限)."""
    check_permission(actor, "tickets.reply_to_customer")
    session, ticket = _lock_session(session_id)
    check_ticket_visible(actor=actor, ticket=ticket)
    if session.state == ChatSession.State.ACTIVE and session.agent_id == actor.pk:
        return session
    # A message left out of hours may still be taken by someone who is here.
    if session.state not in (ChatSession.State.WAITING, ChatSession.State.OFFLINE):
        holder = session.agent.display_name if session.agent else ""
        raise ConflictError(
            _("该会话已被 %(name)s 接入。") % {"name": holder}
            if session.state == ChatSession.State.ACTIVE
            else _("该会话已结束。"),
            field="session",
        )
    seat = chat_seat(actor)
    holding = ChatSession.objects.filter(state=ChatSession.State.ACTIVE, agent=actor).count()
    if holding >= seat.max_chats:
        raise ConflictError(
            _("您已同时接待 %(n)s 个会话，达到上限。") % {"n": holding}, field="session"
        )
    do_ticket_update(actor=actor, ticket=ticket, changes={"assignee": actor})
    session.refresh_from_db()
    return session


@transaction.atomic
def do_chat_transfer(
    *,
    actor,
    session_id: int,
    reason: str,
    assignee: User | None = None,
    queue: Queue | None = None,
) -> ChatSession:
    """Hand the chat to another agent or queue (转接), saying why; the customer is told."""
    session, ticket = _lock_session(session_id)
    if session.state not in (ChatSession.State.WAITING, ChatSession.State.ACTIVE):
        raise ConflictError(_("只能转接排队中或服务中的会话。"), field="session")
    do_ticket_transfer(actor=actor, ticket=ticket, reason=reason, assignee=assignee, queue=queue)
    ticket.refresh_from_db()
    if ticket.assignee_id is not None:
        target = ticket.assignee.display_name
        body = _("已为您转接至客服 %(name)s，请稍候。") % {"name": target}
    else:
        target = ticket.queue.name if ticket.queue_id else ""
        body = _("已为您转接至“%(queue)s”，请稍候，客服马上为您服务。") % {"queue": target}
    system_notice(ticket=ticket, body=body)
    session.refresh_from_db()
    return session


@transaction.atomic
def do_chat_end(*, actor, session_id: int) -> ChatSession:
    """End the chat: the ticket is resolved (a complaint stays in its flow)."""
    check_permission(actor, "tickets.reply_to_customer")
    session, ticket = _lock_session(session_id)
    check_ticket_visible(actor=actor, ticket=ticket)
    if session.state == ChatSession.State.ENDED:
        raise ConflictError(_("会话已结束。"), field="session")
    if session.agent_id not in (None, actor.pk) and not actor.has_perm("tickets.assign_ticket"):
        raise PermissionDenied(_("只能结束自己接待的会话。"))
    system_notice(
        ticket=ticket, body=_("本次会话已结束，感谢您的咨询。如需帮助，欢迎随时联系我们。")
    )
    if ticket.type != TicketType.COMPLAINT and ticket.status not in (
        Status.RESOLVED,
        Status.CLOSED,
    ):
        do_ticket_update(actor=actor, ticket=ticket, changes={"status": Status.RESOLVED})
        session.refresh_from_db()
    if session.state != ChatSession.State.ENDED:
        do_session_end(session, actor=actor)
    return session


def do_session_end(session: ChatSession, *, actor) -> None:
    """End the locked chat: its ticket is done, or an agent ended it."""
    was_waiting = session.state == ChatSession.State.WAITING
    session.state, session.ended_at = ChatSession.State.ENDED, timezone.now()
    session.save(update_fields=["state", "ended_at"])
    CHAT_EVENTS.emit(ChatEnded(session=session, actor=actor))
    after_commit_state(session, queue_ids=[session.ticket.queue_id] if was_waiting else [])


def do_idle_chats_close(*, now=None) -> int:
    """Web chats where nobody has written for HUITOU_CHAT_IDLE_MINUTES: the customer left.
    One being served ends (its ticket resolved, as an agent would); one still waiting
    becomes a message to answer later, so it stops holding a place in the line. WeChat chats
    stay: the customer is still reachable there. Returns how many changed."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.HUITOU_CHAT_IDLE_MINUTES)
    recent = Message.objects.filter(ticket_id=OuterRef("ticket_id"), created_at__gte=cutoff)
    idle = list(
        ChatSession.objects.filter(
            via=Via.WEB,
            state__in=(ChatSession.State.WAITING, ChatSession.State.ACTIVE),
            queued_at__lt=cutoff,
        )
        .exclude(Exists(recent))
        .values_list("pk", flat=True)
    )
    for session_id in idle:
        _idle_close(session_id, cutoff=cutoff)
    return len(idle)


@transaction.atomic
def _idle_close(session_id: int, *, cutoff) -> None:
    session, ticket = _lock_session(session_id)
    quiet = not Message.objects.filter(ticket=ticket, created_at__gte=cutoff).exists()
    if not quiet or session.state not in (ChatSession.State.WAITING, ChatSession.State.ACTIVE):
        return  # someone wrote meanwhile, or it moved on
    body = _("您已较长时间没有回复，本次会话已自动结束。如需帮助，欢迎随时联系我们。")
    if session.state == ChatSession.State.WAITING:
        body = _("您已离开，本次排队已取消。您的留言已记录，我们会通过邮件或“我的工单”答复您。")
        was_queue = ticket.queue_id
        session.state, session.offline_reason = ChatSession.State.OFFLINE, "customer_left"
        session.save(update_fields=["state", "offline_reason"])
        system_notice(ticket=ticket, body=str(body))
        after_commit_state(session, queue_ids=[was_queue])
        return
    system_notice(ticket=ticket, body=str(body))
    if ticket.type != TicketType.COMPLAINT and ticket.status not in (
        Status.RESOLVED,
        Status.CLOSED,
    ):
        do_ticket_change(ticket=ticket, actor=None, changes={"status": Status.RESOLVED})
        session.refresh_from_db()
    if session.state != ChatSession.State.ENDED:
        do_session_end(session, actor=None)


@transaction.atomic
def do_chat_read(*, session_id: int, side: str, upto: int, actor=None) -> ChatSession:
    """Mark what one side has read (the other side sees 已读)."""
    if not isinstance(upto, int) or upto < 0:
        raise DomainError(_("已读位置无效。"), field="upto")
    session = ChatSession.objects.select_for_update().get(pk=session_id)
    field = "customer_read_upto" if side == "customer" else "agent_read_upto"
    if upto > getattr(session, field):
        setattr(session, field, upto)
        session.save(update_fields=[field])
        frame = {"type": "read", "side": side, "upto": upto, "ticket": session.ticket_id}
        target = live.chat_group(session.pk) if side == "agent" else None
        transaction.on_commit(partial(live.send_group, live.ticket_group(session.ticket_id), frame))
        if target:
            transaction.on_commit(partial(live.send_group, target, frame))
    return session


@transaction.atomic
def do_chat_seat_set(
    *,
    actor,
    user: User,
    max_chats: int | None = None,
    ring_new_chat: bool | None = None,
    ring_major_complaint: bool | None = None,
) -> ChatSeat:
    """An agent sets their own rings; a supervisor sets anyone's capacity."""
    check_permission(actor, "tickets.change_ticket")
    if actor.pk != user.pk or max_chats is not None:
        check_permission(actor, "tickets.assign_ticket")
    seat, _created = ChatSeat.objects.select_for_update().get_or_create(user=user)
    if max_chats is not None:
        if not 1 <= max_chats <= 20:
            raise DomainError(_("同时接待上限须在 1 到 20 之间。"), field="max_chats")
        seat.max_chats = max_chats
    if ring_new_chat is not None:
        seat.ring_new_chat = ring_new_chat
    if ring_major_complaint is not None:
        seat.ring_major_complaint = ring_major_complaint
    seat.save()
    return seat


@dataclass(frozen=True)
class InboundResult:
    """What a channel adapter does after a customer's message: send `answer` back now
    (the bot's reply; None when a person has the conversation)."""

    answer: str | None
    handed_off: bool
    ticket_id: int | None
    session_id: int | None
    duplicate: bool = False


@transaction.atomic
def do_channel_inbound(
    *,
    via: str,
    account: str,
    external_id: str,
    body: str,
    external_msg_id: str = "",
    display_name: str = "",
) -> InboundResult:
    """A customer's message from an outside channel (WeChat): once per message id, into
    that customer's current conversation, asked of the bot until a person has it."""
    if via not in (Via.WECHAT, Via.WECHAT_KF):
        raise DomainError(_("未知的渠道。"), field="via")
    if external_msg_id:
        try:
            with transaction.atomic():
                ChannelMessage.objects.create(
                    via=via, external_msg_id=f"{account}:{external_msg_id}"[:128]
                )
        except IntegrityError:
            return InboundResult(None, False, None, None, duplicate=True)
    identity, _created = ChannelIdentity.objects.select_for_update().get_or_create(
        via=via, account=account, external_id=external_id, defaults={"display_name": display_name}
    )
    talk = identity.conversation
    session = getattr(talk, "chat_session", None) if talk is not None else None
    if session is not None and session.state == ChatSession.State.ENDED:
        talk = None  # that chat is over: a new conversation starts with the bot
    name = identity.display_name or display_name or _("微信用户")
    reply, session = do_chat_ask(
        question=body[:500],
        conversation=str(talk.token) if talk is not None else None,
        via=via,
        account=account,
        external_id=external_id,
        contact=HandOffContact(name=name[:100]),
    )
    if talk is None or str(talk.token) != reply["conversation"]:
        identity.conversation = BotConversation.objects.get(token=reply["conversation"])
        identity.save(update_fields=["conversation"])
    if session is not None and session.state != ChatSession.State.ENDED:
        ChatSession.objects.filter(pk=session.pk).update(customer_last_at=timezone.now())
    answer = reply["answer"]
    if answer and reply["suggestions"]:  # a text channel: the choices as numbered lines
        choices = [f"{n}. {s['question']}" for n, s in enumerate(reply["suggestions"], 1)]
        answer = "\n".join([answer, *choices])
    return InboundResult(
        answer=answer,
        handed_off=reply["handoff"],
        ticket_id=reply["ticket"].pk if reply["ticket"] else None,
        session_id=session.pk if session else None,
    )
