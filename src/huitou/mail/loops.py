"""Mail that must never be answered: auto-replies, bounces, and our own mail coming back.

Answering an out-of-office reply with an acknowledgement that draws another out-of-office
reply is how two robots fill two mailboxes overnight. Such mail is stored (an admin can read
it) but makes no ticket and no message, so nothing is sent in reply.
"""

from .parsing import ParsedMail
from .selectors import is_own_address

# Set on every mail we send (helper M3's outgoing mail, the value is the ticket number): the
# same header on a mail coming in means it is ours, returned by a forward or a loop.
OWN_HEADER = "X-Huitou-Ticket"
OWN_ADDRESS = "own_address"
OWN_MAIL = "own_mail"
NO_SENDER = "no_sender"


def loop_reason(parsed: ParsedMail) -> str:
    """Why `parsed` must not be answered ("" for mail from a person): the parser's auto_reason
    (auto_submitted, precedence_bulk, autoreply, bounce, mailer_daemon), then our own address
    or our own header, then a mail with no sender at all (nobody to answer)."""
    if parsed.auto_reason:
        return parsed.auto_reason
    if is_own_address(parsed.from_address):
        return OWN_ADDRESS
    if parsed.headers.get(OWN_HEADER.lower()):
        return OWN_MAIL
    if not parsed.from_address:
        return NO_SENDER
    return ""
