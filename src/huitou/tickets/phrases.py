"""Standard phrases (服务标准用语) and forbidden phrases (服务忌语) for replies.

Forbidden-phrase matching compares a normalised form of both texts, so "这是 本公司的 规定！",
"這是本公司的規定" and "这是本公司的规定" all match the lexicon entry 这是本公司的规定.
A lexicon entry may also be a regular expression (不归(我们|我)管), matched on the same
normalised text, so everyday variants of one taboo need not be listed one by one.
"""

import logging
import re
import re._constants as constants
import re._parser as parser
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from huitou.accounts.services import COMPOUND_SURNAMES, split_full_name
from huitou.core.errors import DomainError
from huitou.core.text import to_simplified
from huitou.customers.models import CustomerKind

from .models import ForbiddenPhrase, PhraseCategory, StandardPhrase, Ticket
from .phrase_seeds import FORBIDDEN_PATTERNS, FORBIDDEN_PHRASES, STANDARD_PHRASES

logger = logging.getLogger(__name__)

PHRASE_VARIABLES = ("{客户称呼}", "{工单号}", "{承诺日期}")
UNFILLED_VARIABLE = re.compile(r"\{(客户称呼|工单号|承诺日期)\}")
# Characters OpenCC's t2s leaves alone because they are also valid simplified characters;
# folding them on both sides keeps matching symmetric (忙著 vs 忙着).
VARIANT_FOLD = str.maketrans({"著": "着", "妳": "你"})


def _fold(text: str) -> str:
    """Width-folded (NFKC), simplified text: the script both sides are compared in."""
    return to_simplified(unicodedata.normalize("NFKC", text or "")).translate(VARIANT_FOLD)


def normalise_for_matching(text: str) -> str:
    """Width-folded, simplified, lower-case text with spaces, punctuation and symbols removed."""
    return "".join(ch for ch in _fold(text).lower() if unicodedata.category(ch)[0] in "LN")


# --- Forbidden-phrase patterns ---------------------------------------------------------------
# Python's re backtracks, so a careless pattern such as (a+)+ can take minutes on one reply.
# A pattern is therefore short, has only bounded repetition, no back-references, and the
# number of ways it can try to match at one position (alternatives × repetitions) is capped.
PATTERN_MAX_LENGTH = 100
PATTERN_MAX_WAYS = 1000


def _parse(pattern: str):
    return parser.parse(pattern), constants


def _pattern_ways(items, constants) -> int:
    """An upper bound on the paths the matcher may try from one start position."""
    ways = 1
    for op, av in items:
        if op in (constants.GROUPREF, constants.GROUPREF_EXISTS):
            raise DomainError(_("正则表达式不能使用反向引用。"), field="phrase", code="pattern")
        if op is constants.BRANCH:
            step = sum(_pattern_ways(branch, constants) for branch in av[1])
        elif op is constants.SUBPATTERN:
            step = _pattern_ways(av[-1], constants)
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            step = _pattern_ways(av[1], constants)
        elif op is constants.ATOMIC_GROUP:
            step = _pattern_ways(av, constants)
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            low, high, body = av
            if high == constants.MAXREPEAT:
                raise DomainError(
                    _("正则表达式只能使用有上限的重复（如 ?、{0,3}），不能使用 *、+ 或 {n,}。"),
                    field="phrase",
                    code="pattern",
                )
            if high > PATTERN_MAX_WAYS:
                step = PATTERN_MAX_WAYS + 1
            else:  # Σ inner^k for k in low..high: each count of repetitions, each way inside
                inner, power, step = _pattern_ways(body, constants), 1, 0
                for count in range(high + 1):
                    if count >= low:
                        step = min(step + power, PATTERN_MAX_WAYS + 1)
                    power = min(power * inner, PATTERN_MAX_WAYS + 1)
        else:
            step = 1
        ways = min(ways * step, PATTERN_MAX_WAYS + 1)
    return ways


def _literal_punctuation(items, constants) -> str:
    """A literal space or punctuation mark in the pattern: it can never match, because the
    text it is compared with has none."""
    for op, av in items:
        if op is constants.LITERAL and unicodedata.category(chr(av))[0] not in "LN":
            return chr(av)
        if op is constants.BRANCH:
            children = av[1]
        elif op in (constants.SUBPATTERN, constants.ASSERT, constants.ASSERT_NOT):
            children = [av[-1]]
        elif op is constants.ATOMIC_GROUP:
            children = [av]
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            children = [av[2]]
        else:
            continue
        for child in children:
            if found := _literal_punctuation(child, constants):
                return found
    return ""


def compile_forbidden_pattern(pattern: str) -> re.Pattern:
    """The compiled lexicon pattern, or a DomainError on `phrase` saying what is wrong.

    The pattern is folded like the text (full-width （）？ become ( ) ?, traditional
    characters simplified) and matched case-insensitively."""
    folded = _fold((pattern or "").strip())
    if not folded:
        raise DomainError(_("请填写正则表达式。"), field="phrase", code="pattern")
    if len(folded) > PATTERN_MAX_LENGTH:
        raise DomainError(
            _("正则表达式不能超过 %(max)d 个字符。") % {"max": PATTERN_MAX_LENGTH},
            field="phrase",
            code="pattern",
        )
    try:
        compiled = re.compile(folded, re.IGNORECASE)
        tree, constants = _parse(folded)
    except re.error as error:
        raise DomainError(
            _("正则表达式无效：%(error)s。") % {"error": error}, field="phrase", code="pattern"
        ) from None
    if _pattern_ways(list(tree), constants) > PATTERN_MAX_WAYS:
        raise DomainError(
            _("正则表达式过于复杂（可选项或重复太多），可能拖慢回复检查，请拆成几条。"),
            field="phrase",
            code="pattern",
        )
    if char := _literal_punctuation(list(tree), constants):
        raise DomainError(
            _("正则表达式里的“%(char)s”永远匹配不到：比较前回复中的空格和标点都已去掉。")
            % {"char": char},
            field="phrase",
            code="pattern",
        )
    if compiled.search(""):
        raise DomainError(
            _("正则表达式能匹配空内容，会把每条回复都判为忌语。"), field="phrase", code="pattern"
        )
    return compiled


def check_forbidden_phrase(*, phrase: str, is_pattern: bool) -> str:
    """The lexicon entry as stored, or a DomainError on `phrase` (used by the admin form)."""
    phrase = (phrase or "").strip()
    if is_pattern:
        compile_forbidden_pattern(phrase)
    elif not normalise_for_matching(phrase):
        raise DomainError(
            _("忌语至少要包含一个汉字、字母或数字（比较时会去掉空格和标点）。"), field="phrase"
        )
    return phrase


@dataclass(frozen=True)
class ForbiddenHit:
    phrase_id: int
    phrase: str  # the lexicon phrase, or for a pattern the words of the reply it matched
    kind: str
    kind_label: str
    suggestion: str


@dataclass(frozen=True)
class _Entry:
    literal: str
    pattern: re.Pattern | None
    hit: ForbiddenHit

    def find(self, normalised: str) -> ForbiddenHit | None:
        if self.pattern is None:
            return self.hit if self.literal in normalised else None
        match = self.pattern.search(normalised)
        return replace(self.hit, phrase=match.group(0)) if match else None


def _entry(row: ForbiddenPhrase) -> _Entry | None:
    hit = ForbiddenHit(row.pk, row.phrase, row.kind, row.get_kind_display(), row.suggestion)
    if not row.is_pattern:
        literal = normalise_for_matching(row.phrase)
        return _Entry(literal, None, hit) if literal else None
    try:
        return _Entry("", compile_forbidden_pattern(row.phrase), hit)
    except DomainError as error:  # saved around the admin's check (shell, fixtures)
        logger.warning("Forbidden-phrase pattern %s skipped: %s", row.pk, error.message)
        return None


@lru_cache(maxsize=4)
def _lexicon(version: tuple) -> tuple[_Entry, ...]:
    rows = ForbiddenPhrase.objects.filter(active=True).order_by("id")
    return tuple(entry for row in rows if (entry := _entry(row)) is not None)


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
    found = [(entry, hit) for entry in _lexicon(version) if (hit := entry.find(normalised))]
    # A pattern matching inside a listed phrase (不关我的事 in 这种问题不关我的事) is the same
    # taboo: it is reported, and counted for QA, once.
    literals = [entry.literal for entry, _hit in found if entry.pattern is None]
    return [
        hit
        for entry, hit in found
        if entry.pattern is None or not any(hit.phrase in literal for literal in literals)
    ]


def forbidden_warning(hits: list[ForbiddenHit]) -> str:
    parts = []
    for hit in hits:
        part = f"“{hit.phrase}”（{hit.kind_label}）"
        if hit.suggestion:
            part += _("，建议：%(suggestion)s") % {"suggestion": hit.suggestion}
        parts.append(part)
    return _("回复包含服务忌语：%(phrases)s。") % {"phrases": "；".join(parts)}


# --- Standard phrases ------------------------------------------------------------------------
# What a caller may be called instead of by name (王先生, 李经理); longest first, so 王总经理
# keeps 总经理. The desk says surname + title, never a bare full name.
TITLES = sorted(
    ["先生", "女士", "小姐", "老师", "师傅", "经理", "总经理", "主管", "主任", "总监", "部长",
     "科长", "处长", "院长", "校长", "董事长", "工程师", "医生", "律师", "老板"],
    key=len,
    reverse=True,
)  # fmt: skip
GENDER_TITLES = {"male": "先生", "female": "女士"}


def _surname_and_title(text: str) -> str:
    """王采购经理 → 王经理, 欧阳女士 → 欧阳女士; "" for a bare name or a company name."""
    text = (text or "").strip()
    if not text or len(text) > 10 or not "\u4e00" <= text[0] <= "\u9fff":
        return ""
    title = next((title for title in TITLES if text.endswith(title)), "")
    if not title or len(text) == len(title):
        return ""
    surname = text[:2] if text[:2] in COMPOUND_SURNAMES else text[0]
    return surname + title


def customer_salutation(customer, *, contact_name: str = "") -> str:
    """How a reply addresses the customer: 周先生 / 李女士 from the record's gender, or the
    title a caller gave (王先生, 李经理); for an organisation, its contact person's.

    "" when none is known: the phrase is then worded with a neutral 您 (never the full name)."""
    if customer.kind == CustomerKind.ORGANIZATION:
        return _surname_and_title(contact_name)
    name = customer.name.strip()
    if titled := _surname_and_title(name):
        return titled
    title = GENDER_TITLES.get(customer.gender or "")
    surname = split_full_name(name)[0]
    if title and surname:
        return surname + title
    return _surname_and_title(contact_name)


# Where {客户称呼} stands when nobody's name is known, and what it becomes there.
_COMMA = "[，,]"
NEUTRAL_FORMS = [
    (re.compile(r"\{客户称呼\}您好"), "{greeting}"),  # {客户称呼}您好，… → 您好，…
    (re.compile(rf"您好{_COMMA}\s*\{{客户称呼\}}{_COMMA}\s*"), "您好，"),  # 您好，{客户称呼}，…
    # A vocative opening a sentence is left out: {客户称呼}，请问… → 请问…
    (re.compile(rf"(^|(?<=[。！？!?\n]))\s*\{{客户称呼\}}{_COMMA}\s*"), ""),
    # … and one inside it: 感谢您的来电，{客户称呼}，祝您… → 感谢您的来电，祝您…
    (re.compile(rf"{_COMMA}\s*\{{客户称呼\}}(?=[，,。！？!?]|$)"), ""),
    (re.compile(r"\{客户称呼\}"), "{you}"),  # anything else: 感谢{客户称呼}的支持
]


def fill_salutation(text: str, salutation: str, *, organisation: bool = False) -> str:
    """`text` with {客户称呼} filled: the salutation, or else the neutral form."""
    if salutation:
        return text.replace("{客户称呼}", salutation)
    words = {"greeting": "贵公司您好" if organisation else "您好"}
    words["you"] = "贵公司" if organisation else "您"
    for pattern, replacement in NEUTRAL_FORMS:
        text = pattern.sub(replacement.format(**words), text)
    return text


def _missing_hint(variable: str) -> str:
    hints = {"{承诺日期}": _("本工单还没有承诺答复日期")}
    return hints.get(variable, _("本工单没有这项内容"))


@dataclass(frozen=True)
class PhraseValues:
    salutation: str
    organisation: bool
    values: dict[str, str]  # the other variables; "" when the ticket has no value

    def fill(self, body: str) -> tuple[str, list[str]]:
        """The filled text and the variables it needs but the ticket has no value for."""
        missing = [name for name, value in self.values.items() if name in body and not value]
        if missing:
            return "", missing
        for name, value in self.values.items():
            body = body.replace(name, value)
        return fill_salutation(body, self.salutation, organisation=self.organisation), []


def phrase_variables(ticket: Ticket) -> PhraseValues:
    promised = ""
    complaint = getattr(ticket, "complaint", None) if ticket.type == "complaint" else None
    if complaint is not None:
        date = complaint.promised_date or (
            complaint.dispatch_due_at.date() if complaint.dispatch_due_at else None
        )
        if date:
            promised = f"{date.month}月{date.day}日"
    customer = ticket.customer
    return PhraseValues(
        salutation=customer_salutation(customer, contact_name=ticket.contact_name),
        organisation=customer.kind == CustomerKind.ORGANIZATION,
        values={"{工单号}": ticket.number, "{承诺日期}": promised},
    )


def standard_phrases_for(ticket: Ticket) -> list[dict]:
    """Active phrases grouped by category, with the ticket's values filled in.

    A phrase needing a value the ticket lacks (no promised date yet) is marked unavailable,
    with the reason, and carries no text, so it cannot be inserted with a placeholder."""
    variables = phrase_variables(ticket)
    groups: dict[str, dict] = {}
    for phrase in StandardPhrase.objects.filter(active=True):
        group = groups.setdefault(
            phrase.category,
            {
                "category": phrase.category,
                "label": str(PhraseCategory(phrase.category).label),
                "phrases": [],
            },
        )
        text, missing = variables.fill(phrase.body)
        reason = ""
        if missing:
            reason = _("缺少 %(variables)s：%(hints)s，暂不能插入此用语。") % {
                "variables": "、".join(missing),
                "hints": "；".join(_missing_hint(name) for name in missing),
            }
        group["phrases"].append(
            {
                "id": phrase.pk,
                "title": phrase.title,
                "text": text,
                "available": not missing,
                "missing": missing,
                "reason": reason,
            }
        )
    order = list(PhraseCategory.values)
    return sorted(groups.values(), key=lambda group: order.index(group["category"]))


def do_default_phrases_load() -> None:
    """Add the default standard and forbidden phrases that are missing (as migrations do)."""
    for index, (category, title, body) in enumerate(STANDARD_PHRASES):
        StandardPhrase.objects.get_or_create(
            category=category, title=title, defaults={"body": body, "order": index}
        )
    for phrase, kind, suggestion in FORBIDDEN_PHRASES:
        ForbiddenPhrase.objects.get_or_create(
            phrase=phrase, defaults={"kind": kind, "suggestion": suggestion}
        )
    for phrase, kind, suggestion in FORBIDDEN_PATTERNS:
        ForbiddenPhrase.objects.get_or_create(
            phrase=phrase, defaults={"kind": kind, "suggestion": suggestion, "is_pattern": True}
        )
