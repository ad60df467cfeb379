"""How the WeChat channels hear of tickets (their place in the order is in tickets.events)."""

from huitou.chat.events import CHAT_EVENTS, ChatNotice
from huitou.chat.selectors import session_for_ticket
from huitou.tickets.events import MessageAdded, MessageKind, subscribe

from .models import Via
from .outbound import do_reply_queue

WECHAT_VIAS = frozenset(Via.values)


def send_reply(event: MessageAdded) -> None:
    """A person's public reply on a WeChat conversation is queued in the reply's transaction,
    so it is sent exactly when the message exists. Replies without an actor are the system's
    or the bot's, which reach WeChat as they happen (the passive reply)."""
    if event.kind != MessageKind.PUBLIC_REPLY or event.actor is None:
        return
    session = session_for_ticket(event.ticket.pk)
    if session is None or session.via not in WECHAT_VIAS or not session.external_id:
        return
    do_reply_queue(ticket=event.ticket, message=event.message, session=session)


def send_notice(event: ChatNotice) -> None:
    """The chat's own notices (an agent took it, a transfer, the end) reach WeChat too."""
    session = event.session
    if session.via not in WECHAT_VIAS or not session.external_id:
        return
    do_reply_queue(ticket=session.ticket, message=event.message, session=session)


def register() -> None:
    subscribe(MessageAdded, "wechat.send_reply", send_reply)
    CHAT_EVENTS.subscribe(ChatNotice, "wechat.send_notice", send_notice)
