"""The rating invite follows the ticket and the chat: TicketClosed (tickets.events) and
ChatEnded (chat.events), both in the writer's transaction, so the invitation exists exactly
when the resolution does. Both may fire for one chat: the invitation is once per ticket."""

from huitou.chat.events import CHAT_EVENTS, ChatEnded
from huitou.tickets.events import TICKET_EVENTS, TicketClosed

from .rating import do_contact_invite


def ticket_closed(event: TicketClosed) -> None:
    do_contact_invite(ticket=event.ticket, now=event.now, in_chat=event.actor is not None)


def chat_ended(event: ChatEnded) -> None:
    # A chat nobody served (the customer left the queue) is no contact to rate; one the
    # system ended (no actor) was left by the customer: they hear by another channel.
    if event.session.accepted_at is not None:
        do_contact_invite(ticket=event.session.ticket, in_chat=event.actor is not None)


def register() -> None:
    TICKET_EVENTS.subscribe(TicketClosed, "surveys.invite", ticket_closed)
    CHAT_EVENTS.subscribe(ChatEnded, "surveys.invite", chat_ended)
