"""How the e-mail channel hears of tickets (its place in the order is in tickets.events),
and the outbox transport and message extra it provides to the apps below it."""

from huitou.core.outbox import register_transport
from huitou.tickets.events import MessageAdded, MessageKind, subscribe
from huitou.tickets.selectors import register_message_extra

from .outgoing import TRANSPORT_PREFIX, do_reply_mail_queue, mailbox_connection, message_delivery


def send_reply(event: MessageAdded) -> None:
    """A public reply on an e-mail ticket joins the outbox in the reply's transaction."""
    if event.kind == MessageKind.PUBLIC_REPLY:
        do_reply_mail_queue(ticket=event.ticket, message=event.message)


def register() -> None:
    subscribe(MessageAdded, "mail.send_reply", send_reply)
    register_transport(TRANSPORT_PREFIX, mailbox_connection)
    # Each e-mailed reply's delivery state on the thread and in the API's messages.
    register_message_extra("delivery", message_delivery, template="mail/_delivery.html")
