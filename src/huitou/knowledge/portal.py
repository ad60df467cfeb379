"""The self-service portal's reads and writes (no login)."""

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError, check_text
from huitou.customers.services import check_customer_fields, do_customer_create
from huitou.tickets.models import ContactStatus, Message
from huitou.tickets.services import do_ticket_create

from .bot import bot_user
from .engine import current_index, relevant_candidates
from .models import FaqCategory, FaqEntry, FaqVote
from .triage import triage

PORTAL = FaqEntry.Channel.PORTAL


def portal_entries():
    """Published, currently valid entries the portal may show."""
    today = timezone.localdate()
    entries = (
        FaqEntry.objects.filter(status=FaqEntry.Status.PUBLISHED)
        .exclude(valid_from__gt=today)
        .exclude(valid_to__lt=today)
    )
    return [entry for entry in entries if entry.shown_on(PORTAL)]


def portal_categories():
    visible = {entry.pk for entry in portal_entries()}
    categories = FaqCategory.objects.prefetch_related(
        Prefetch("entries", queryset=FaqEntry.objects.filter(pk__in=visible).order_by("id"))
    )
    return [category for category in categories if category.entries.all()]


def portal_search(query: str, *, limit: int = 5) -> list[FaqEntry]:
    """The same engine as the bot: the entries that answer the query, best first; none when
    nothing does (the engine would hand off), however many entries are merely the nearest."""
    query = check_text((query or "").strip(), field="q", max_length=200)
    if not query:
        return []
    result = current_index().search(query, k=limit, channel=FaqEntry.Channel.PORTAL)
    visible = {entry.pk: entry for entry in portal_entries()}
    return [visible[c.entry_id] for c in relevant_candidates(result) if c.entry_id in visible]


@transaction.atomic
def do_faq_vote(*, entry: FaqEntry, helpful: bool, voter: str) -> bool:
    """Count a vote once per `voter` (see portal_voter / conversation_voter) and entry; False
    when this voter has voted on the entry already (nothing changes)."""
    with transaction.atomic():  # a savepoint: a duplicate must not spoil the outer transaction
        try:
            FaqVote.objects.create(entry_id=entry.pk, voter=voter[:64], helpful=helpful)
        except IntegrityError:
            return False
    field = "helpful_votes" if helpful else "unhelpful_votes"
    FaqEntry.objects.filter(pk=entry.pk).update(**{field: F(field) + 1})
    return True


def portal_voter(client: str) -> str:
    """The voter key of a portal visitor: a keyed hash of its client address (no IP stored)."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:faq-vote:{client}".encode()).hexdigest()
    return f"client:{digest[:40]}"


def conversation_voter(token) -> str:
    return f"conversation:{token}"


def has_voted(*, entry_id: int, voter: str) -> bool:
    return FaqVote.objects.filter(entry_id=entry_id, voter=voter).exists()


@transaction.atomic
def do_portal_ticket_create(
    *, name: str, phone: str = "", email: str = "", question: str, details: str = ""
):
    """还需要帮助: the customer's question becomes a web ticket.

    Anyone can type anyone's phone number or address here, so the ticket is never filed
    under the customer that contact belongs to: it goes under a new visitor record (the
    default tier, no contact on it) and carries the contact as unverified until the
    customer proves it with a code (see .verification)."""
    name = check_text((name or "").strip(), field="name", max_length=100)
    question = check_text((question or "").strip(), field="question", max_length=200)
    details = check_text((details or "").strip(), field="details", max_length=5000)
    if not name:
        raise DomainError(_("请填写您的称呼。"), field="name")
    if not question:
        raise DomainError(_("请填写您的问题。"), field="question")
    contact = check_customer_fields({"phone": phone or "", "email": email or ""})
    robot = bot_user()
    visitor = do_customer_create(actor=robot, name=name)
    mood = triage(f"{question} {details}")
    has_contact = bool(contact["phone"] or contact["email"])
    return do_ticket_create(
        actor=robot,
        customer=visitor,
        channel="web",
        type=mood.type,
        priority=mood.priority,
        subject=question,
        description=details,
        contact_name=name,
        contact_phone=contact["phone"],
        contact_email=contact["email"],
        contact_status=ContactStatus.UNVERIFIED if has_contact else ContactStatus.STAFF,
    )


def agent_suggestions(ticket, *, limit: int = 3) -> list[dict]:
    """Agent assist: the FAQ answers that best fit what the customer wrote last."""
    last = (
        ticket.messages.filter(sender=Message.Sender.CUSTOMER)
        .order_by("-created_at", "-id")
        .values_list("body", flat=True)
        .first()
    )
    text = (last or f"{ticket.subject} {ticket.description}")[-500:]
    try:
        result = current_index().search(text, k=limit, channel=FaqEntry.Channel.AGENT)
    except Exception:  # assist is a help, never a reason for the ticket page to fail
        return []
    answers = dict(
        FaqEntry.objects.filter(pk__in=[c.entry_id for c in result.candidates]).values_list(
            "pk", "answer"
        )
    )
    return [
        {"question": c.question, "answer": answers[c.entry_id], "score": c.score}
        for c in result.candidates
        if c.entry_id in answers
    ]
