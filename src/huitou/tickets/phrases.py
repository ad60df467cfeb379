"""Standard phrases (服务标准用语) and forbidden phrases (服务忌语) for replies.

Forbidden-phrase matching compares a normalised form of both texts, so "这是 本公司的 规定！",
"這是本公司的規定" and "这是本公司的规定" all match the lexicon entry 这是本公司的规定.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from huitou.core.text import to_simplified

from .models import ForbiddenPhrase, PhraseCategory, StandardPhrase, Ticket

PHRASE_VARIABLES = ("{客户称呼}", "{工单号}", "{承诺日期}")
UNFILLED_VARIABLE = re.compile(r"\{(客户称呼|工单号|承诺日期)\}")
# Characters OpenCC's t2s leaves alone because they are also valid simplified characters;
# folding them on both sides keeps matching symmetric (忙著 vs 忙着).
VARIANT_FOLD = str.maketrans({"著": "着", "妳": "你"})


def normalise_for_matching(text: str) -> str:
    """Width-folded, simplified, lower-case text with spaces, punctuation and symbols removed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text).translate(VARIANT_FOLD).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


@dataclass(frozen=True)
class ForbiddenHit:
    phrase_id: int
    phrase: str
    kind: str
    kind_label: str
    suggestion: str


@lru_cache(maxsize=4)
def _lexicon(version: tuple) -> tuple[tuple[str, ForbiddenHit], ...]:
    rows = ForbiddenPhrase.objects.filter(active=True).order_by("id")
    return tuple(
        (
            normalise_for_matching(row.phrase),
            ForbiddenHit(row.pk, row.phrase, row.kind, row.get_kind_display(), row.suggestion),
        )
        for row in rows
        if normalise_for_matching(row.phrase)
    )


def forbidden_phrases_in(text: str) -> list[ForbiddenHit]:
    """The active forbidden phrases `text` contains, in lexicon order."""
    # The lexicon is cached per (counts, last change), so an admin's edit takes effect at once
    # in every process without re-reading the table for each reply.
    stats = ForbiddenPhrase.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(active=True)),
        last=Max("updated_at"),
        top=Max("id"),
    )
    version = tuple(stats.values())
    normalised = normalise_for_matching(text)
    if not normalised:
        return []
    return [hit for key, hit in _lexicon(version) if key in normalised]


def forbidden_warning(hits: list[ForbiddenHit]) -> str:
    parts = []
    for hit in hits:
        part = f"“{hit.phrase}”（{hit.kind_label}）"
        if hit.suggestion:
            part += _("，建议：%(suggestion)s") % {"suggestion": hit.suggestion}
        parts.append(part)
    return _("回复包含服务忌语：%(phrases)s。") % {"phrases": "；".join(parts)}


def customer_salutation(customer) -> str:
    """王先生 / 李女士 for people whose gender we know; the full name otherwise."""
    from huitou.customers.models import CustomerKind, Gender

    name = customer.name.strip()
    if customer.kind == CustomerKind.INDIVIDUAL and name and "\u4e00" <= name[0] <= "\u9fff":
        if customer.gender == Gender.MALE:
            return f"{name[0]}先生"
        if customer.gender == Gender.FEMALE:
            return f"{name[0]}女士"
    return name


def phrase_variables(ticket: Ticket) -> dict[str, str]:
    promised = ""
    complaint = getattr(ticket, "complaint", None) if ticket.type == "complaint" else None
    if complaint is not None:
        date = complaint.promised_date or (
            complaint.dispatch_due_at.date() if complaint.dispatch_due_at else None
        )
        if date:
            promised = f"{date.month}月{date.day}日"
    return {
        "{客户称呼}": customer_salutation(ticket.customer),
        "{工单号}": ticket.number,
        # Left as the placeholder when unknown, so the agent sees what to fill in.
        "{承诺日期}": promised or "{承诺日期}",
    }


def render_phrase(body: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        body = body.replace(name, value)
    return body


def standard_phrases_for(ticket: Ticket) -> list[dict]:
    """Active phrases grouped by category, with the ticket's values filled in."""
    variables = phrase_variables(ticket)
    groups: dict[str, dict] = {}
    for phrase in StandardPhrase.objects.filter(active=True):
        group = groups.setdefault(
            phrase.category,
            {
                "category": phrase.category,
                "label": PhraseCategory(phrase.category).label,
                "phrases": [],
            },
        )
        group["phrases"].append(
            {
                "id": phrase.pk,
                "title": phrase.title,
                "text": render_phrase(phrase.body, variables),
            }
        )
    order = list(PhraseCategory.values)
    return sorted(groups.values(), key=lambda group: order.index(group["category"]))


def do_default_phrases_load() -> None:
    """Add the default standard and forbidden phrases that are missing (as migrations do)."""
    from .phrase_seeds import FORBIDDEN_PHRASES, STANDARD_PHRASES

    for index, (category, title, body) in enumerate(STANDARD_PHRASES):
        StandardPhrase.objects.get_or_create(
            category=category, title=title, defaults={"body": body, "order": index}
        )
    for phrase, kind, suggestion in FORBIDDEN_PHRASES:
        ForbiddenPhrase.objects.get_or_create(
            phrase=phrase, defaults={"kind": kind, "suggestion": suggestion}
        )
