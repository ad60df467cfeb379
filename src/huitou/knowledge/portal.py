"""The self-service portal's reads and writes (no login)."""

from django.db import transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError, check_text

from .engine import current_index, relevant_candidates
from .models import FaqCategory, FaqEntry
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


def do_faq_vote(*, entry: FaqEntry, helpful: bool) -> None:
    field = "helpful_votes" if helpful else "unhelpful_votes"
    FaqEntry.objects.filter(pk=entry.pk).update(**{field: F(field) + 1})


@transaction.atomic
def do_portal_ticket_create(*, name: str, phone: str, question: str, details: str = ""):
    """还需要帮助: the customer's question becomes a web ticket, under their record when the
    phone number is known."""
    from huitou.customers.services import do_customer_create, find_customer_by_phone
    from huitou.tickets.services import do_ticket_create

    from .bot import bot_user

    name = check_text((name or "").strip(), field="name", max_length=100)
    question = check_text((question or "").strip(), field="question", max_length=200)
    details = check_text((details or "").strip(), field="details", max_length=5000)
    if not name:
        raise DomainError(_("请填写您的称呼。"), field="name")
    if not question:
        raise DomainError(_("请填写您的问题。"), field="question")
    robot = bot_user()
    customer = find_customer_by_phone(phone=phone) if phone else None
    if customer is None:
        customer = do_customer_create(actor=robot, name=name, phone=phone)
    mood = triage(f"{question} {details}")
    return do_ticket_create(
        actor=robot,
        customer=customer,
        channel="web",
        type=mood.type,
        priority=mood.priority,
        subject=question,
        description=details,
        contact_name=name,
        contact_phone=phone,
    )


def agent_suggestions(ticket, *, limit: int = 3) -> list[dict]:
    """Agent assist: the FAQ answers that best fit what the customer wrote last."""
    from huitou.tickets.models import Message

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
