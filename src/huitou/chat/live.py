"""Frames to open connections, through the channel layer (memory in one process, Redis
across many). Only stored things are sent: callers send after the commit."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils.translation import gettext as _

from huitou.tickets.models import Message

logger = logging.getLogger(__name__)

STAFF_GROUP = "staff"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def chat_group(session_id: int) -> str:
    return f"chat.{session_id}"


def listened(group: str) -> bool:
    """Whether a connection may be in `group`. The in-memory layer knows (a demo load or an
    import then costs nothing live); Redis is shared by other processes, so always maybe."""
    layer = get_channel_layer()
    if layer is None:
        return False
    if isinstance(layer, InMemoryChannelLayer):
        return bool(layer.groups.get(group))
    return True


def send_group(group: str, frame: dict) -> None:
    """Deliver `frame` to every connection in `group`. A layer that is down costs the live
    update, never the write: the reader catches up with "resume" or a reload."""
    layer = get_channel_layer()
    if layer is None or not listened(group):
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "live.frame", "frame": frame})
    except Exception:
        logger.warning("live frame to %s not delivered", group, exc_info=True)


def message_sender(message: Message) -> str:
    """Who wrote it, as the chat shows it: customer, agent, bot or system."""
    if message.sender == Message.Sender.CUSTOMER:
        return "customer"
    if message.author_id is None:
        return "system"
    if message.author.is_service_account:
        return "bot"
    return "agent" if message.sender == Message.Sender.STAFF else "system"


def message_author(message: Message) -> str:
    sender = message_sender(message)
    if sender == "customer":
        ticket = message.ticket
        return ticket.contact_name or ticket.customer.name
    if sender == "bot":
        return message.author.display_name
    if sender == "agent":
        return message.author.display_name
    return _("系统")


def message_frame(message: Message) -> dict:
    """The frame of one stored message ({"type": "message", "id", "body", "author", "at"})."""
    return {
        "type": "message",
        "id": message.pk,
        "ticket": message.ticket_id,
        "body": message.body,
        "author": message_author(message),
        "sender": message_sender(message),
        "public": message.public,
        "at": message.created_at.isoformat(),
    }
