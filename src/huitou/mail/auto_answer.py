"""The automatic answer (自动答复) to a new e-mail ticket, and its "这解决了我的问题" links.

A mailbox with auto_answer on acknowledges every mail that made a new ticket: the ticket's
number, the time its SLA policy promises a first response, and up to three FAQ answers the
knowledge engine is confident about (the portal's rule, knowledge.engine.relevant_candidates,
over the entries shown on the portal: the acknowledgement is a customer-facing answer list,
like the portal's search; entries kept to the bot's chat or to agent assist are never sent).
It is queued in the ingest's own transaction through core's outbox, keyed by the ticket, so
it exists exactly when the ticket does and never twice; it is marked Auto-Submitted:
auto-replied (RFC 3834), so a well-behaved auto-responder never answers it (and our own
loop detection drops those that do).

Each answer carries a signed link (SOLVED_SALT, valid SOLVED_MAX_AGE). Confirming it counts a
helpful vote for the entry, once per ticket (knowledge's FaqVote, voter "mail-ticket:<pk>"),
and resolves the ticket through tickets.services, as the mail channel's service account;
a complaint follows its flow, so it is never resolved this way (the vote still counts).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import make_msgid
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from huitou.core.outbox import do_outbox_add
from huitou.knowledge.engine import current_index, relevant_candidates
from huitou.knowledge.models import FaqEntry, FaqVote
from huitou.knowledge.portal import do_faq_vote
from huitou.sla.models import TicketSla
from huitou.tickets.models import DONE_STATUSES, Status, Ticket, TicketType
from huitou.tickets.services import do_message_add, do_ticket_update

from .models import InboundMail, Mailbox
from .outgoing import TRANSPORT_PREFIX, sender, signature_of
from .parsing import ParsedMail

logger = logging.getLogger(__name__)

ACK_KIND = "mail_ack"
FAQ_CHANNEL = FaqEntry.Channel.PORTAL
MAX_ANSWERS = 3
QUERY_MAX = 500  # what the engine reads of a mail: the subject and the body's beginning
ANSWER_MAX = 1000  # an answer longer than this is cut; the link opens the whole entry
SOLVED_SALT = "huitou.mail.auto_answer.solved"
SOLVED_MAX_AGE = timedelta(days=14)
MAX_REFERENCES = 20


def ack_key(ticket: Ticket) -> str:
    return f"mail.ack:{ticket.pk}"


def voter_for(ticket: Ticket) -> str:
    """The FaqVote voter of a ticket's links: one confirmed answer per ticket."""
    return f"mail-ticket:{ticket.pk}"


# --- choosing the answers -----------------------------------------------------------------


def faq_answers(text: str, *, limit: int = MAX_ANSWERS) -> list[FaqEntry]:
    """The published, currently valid portal entries the engine is confident answer `text`,
    best first; none when it would hand off."""
    text = " ".join((text or "").split())[:QUERY_MAX]
    if not text:
        return []
    try:
        # A savepoint: the ingest's transaction stays usable if the index build's queries fail.
        with transaction.atomic():
            result = current_index().search(text, k=limit, channel=FAQ_CHANNEL)
    except Exception:  # the answers are a help: without them the customer still gets the ack
        logger.exception("FAQ engine failed for an e-mail acknowledgement")
        return []
    wanted = [c.entry_id for c in relevant_candidates(result)][:limit]
    today = timezone.localdate()
    entries = (
        FaqEntry.objects.filter(pk__in=wanted, status=FaqEntry.Status.PUBLISHED)
        .exclude(valid_from__gt=today)
        .exclude(valid_to__lt=today)
        .in_bulk()
    )
    return [entries[pk] for pk in wanted if pk in entries and entries[pk].shown_on(FAQ_CHANNEL)]


# --- the acknowledgement ------------------------------------------------------------------


def solved_token(*, ticket: Ticket, entry: FaqEntry) -> str:
    return signing.dumps({"t": ticket.pk, "f": entry.pk}, salt=SOLVED_SALT, compress=False)


def solved_url(*, ticket: Ticket, entry: FaqEntry) -> str:
    path = reverse("mail:solved", args=[solved_token(ticket=ticket, entry=entry)])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def promised_reply(ticket: Ticket) -> str:
    """The SLA's first-response due time in local time, or "" without a policy."""
    due = TicketSla.objects.filter(ticket=ticket).values_list("first_response_due", flat=True)
    due = due.first()
    return date_format(timezone.localtime(due), "Y-m-d H:i") if due else ""


def ack_subject(ticket: Ticket) -> str:
    return _("[%(number)s] 已收到：%(subject)s") % {
        "number": ticket.number,
        "subject": ticket.subject,
    }


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1] if "@" in address else "huitou.localhost"


def _answer_context(ticket: Ticket, entries: list[FaqEntry]) -> list[dict]:
    base = settings.SITE_URL.rstrip("/")
    return [
        {
            "question": entry.question,
            "answer": Truncator(entry.answer).chars(ANSWER_MAX),
            "cut": len(entry.answer) > ANSWER_MAX,
            "entry_url": f"{base}{reverse('help:entry', args=[entry.pk])}",
            "solved_url": solved_url(ticket=ticket, entry=entry),
        }
        for entry in entries
    ]


def do_ack_queue(*, mailbox: Mailbox, inbound: InboundMail, parsed: ParsedMail):
    """Queue the acknowledgement of the new ticket `inbound` made, in the caller's (the
    ingest's) transaction; the OutboxMessage, or None when nothing is sent: the mailbox
    does not answer automatically or is off, the mail made no new ticket, no address."""
    ticket = inbound.ticket
    if not mailbox.auto_answer or not mailbox.active:
        return None
    if ticket is None or inbound.outcome != InboundMail.Outcome.NEW_TICKET:
        return None
    recipient = inbound.from_address or ticket.contact_email
    if not recipient:
        return None
    text = f"{ticket.subject} {parsed.reply_text or parsed.text}"
    entries = faq_answers(text, limit=MAX_ANSWERS)[:MAX_ANSWERS]
    signature = signature_of(mailbox)
    context = {
        "ticket": ticket,
        "promised": promised_reply(ticket),
        "answers": _answer_context(ticket, entries),
        "signature": signature,
    }
    references = [*parsed.references, inbound.message_id]
    references = list(dict.fromkeys(ref for ref in references if ref))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    sender_name = mailbox.name or (mailbox.department.name if mailbox.department else "")
    outbox = do_outbox_add(
        to=[recipient],
        subject=ack_subject(ticket),
        body=render_to_string("mail/ack_email.txt", context),
        html_body=render_to_string("mail/ack_email.html", context),
        kind=ACK_KIND,
        key=ack_key(ticket),
        from_email=sender(sender_name, mailbox.address),
        headers={
            "In-Reply-To": inbound.message_id,
            "References": " ".join(references),
            "X-Huitou-Ticket": ticket.number,
            "Auto-Submitted": "auto-replied",  # RFC 3834: no auto-responder answers this
            "X-Auto-Response-Suppress": "All",  # Exchange/Outlook: no out-of-office to it
        },
        transport=f"{TRANSPORT_PREFIX}:{mailbox.pk}",
        message_id=make_msgid(domain=_domain(mailbox.address)),
    )
    if outbox is not None and entries:  # served, as the bot counts an answer it gives
        FaqEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            times_served=F("times_served") + 1
        )
    return outbox


# --- "这解决了我的问题" --------------------------------------------------------------------


@dataclass(frozen=True)
class SolvedLink:
    ticket: Ticket
    entry: FaqEntry


def solved_link(token: str) -> SolvedLink | None:
    """What a link names, or None: forged, expired, or its ticket or entry gone."""
    try:
        data = signing.loads(token, salt=SOLVED_SALT, max_age=SOLVED_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    ticket_pk, entry_pk = data.get("t"), data.get("f")
    if not isinstance(ticket_pk, int) or not isinstance(entry_pk, int):
        return None
    ticket = Ticket.objects.filter(pk=ticket_pk).first()
    entry = FaqEntry.objects.filter(pk=entry_pk).first()
    if ticket is None or entry is None:
        return None
    return SolvedLink(ticket=ticket, entry=entry)


def may_resolve(ticket: Ticket) -> bool:
    """Whether confirming resolves the ticket: not a complaint (its flow decides), not done."""
    return ticket.type != TicketType.COMPLAINT and ticket.status not in DONE_STATUSES


def already_confirmed(ticket: Ticket) -> bool:
    return FaqVote.objects.filter(voter=voter_for(ticket)).exists()


@dataclass(frozen=True)
class SolvedOutcome:
    confirmed: bool  # False: this ticket's answer was confirmed before, nothing changed
    resolved: bool  # the ticket was resolved now


@transaction.atomic
def do_ticket_solved(*, actor, link: SolvedLink) -> SolvedOutcome:
    """The customer says the entry solved their problem: count it for the entry and resolve
    the ticket, once per ticket. `actor` is the mail channel's service account (role agent,
    may change tickets). A complaint is not resolved (its flow decides), nor a ticket that is
    resolved or closed already; either way the vote counts and an internal note tells the
    agent which answer helped."""
    # The ticket row first, as every ticket service locks: two clicks at once queue here.
    ticket = Ticket.objects.select_for_update().get(pk=link.ticket.pk)
    if already_confirmed(ticket):
        return SolvedOutcome(confirmed=False, resolved=False)
    do_faq_vote(entry=link.entry, helpful=True, voter=voter_for(ticket))
    do_message_add(
        actor=actor,
        ticket=ticket,
        body=_("客户通过自动答复邮件确认问题已解决，有帮助的答案：%(question)s")
        % {"question": link.entry.question},
        public=False,
    )
    resolvable = may_resolve(ticket)
    if resolvable:
        do_ticket_update(actor=actor, ticket=ticket, changes={"status": Status.RESOLVED})
    return SolvedOutcome(confirmed=True, resolved=resolvable)
