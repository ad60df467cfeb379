"""What happens to a live chat, told to the apps above chat (the satisfaction invite)."""

from dataclasses import dataclass
from typing import Any

from huitou.core.events import EventTable

from .models import ChatSession


@dataclass(frozen=True)
class ChatEnded:
    """An agent (or the customer leaving) ended the chat; the ticket may stay open (a
    complaint follows its flow)."""

    session: ChatSession
    actor: Any


# Subscribers arrive with the apps that need them (the satisfaction survey's invite).
CHAT_EVENTS = EventTable({ChatEnded: ()})
