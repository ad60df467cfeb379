"""What happens to a live chat, told to the apps above chat (the satisfaction invite)."""

from dataclasses import dataclass
from typing import Any

from huitou.core.events import EventTable, Phase, Slot
from huitou.tickets.models import Message

from .models import ChatSession


@dataclass(frozen=True)
class ChatEnded:
    """An agent (or the customer leaving) ended the chat; the ticket may stay open (a
    complaint follows its flow)."""

    session: ChatSession
    actor: Any


@dataclass(frozen=True)
class ChatNotice:
    """The system told the customer something in the chat (an agent took it, a transfer,
    the end, out of hours): channels that are not a WebSocket pass it on."""

    session: ChatSession
    message: Message


CHAT_EVENTS = EventTable(
    {
        ChatEnded: (
            Slot(
                "surveys.invite",
                Phase.IN_TRANSACTION,
                "the rating invitation, in the chat before it closes (once per ticket)",
            ),
        ),
        ChatNotice: (
            Slot(
                "wechat.send_notice",
                Phase.IN_TRANSACTION,
                "queued with the notice, so a WeChat customer hears it exactly once",
            ),
        ),
    }
)
