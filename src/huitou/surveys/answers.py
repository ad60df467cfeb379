"""Answering a questionnaire (答卷): the answers as JSON keyed by question key, checked per
question kind, stored as one Response with its Answer rows.

The shapes, per kind (design of issue 16):
yes_no true/false · single "value" or {"value": "other", "other": "text"} · multiple
["a", "b"] or {"values": [...], "other": "text"} · ranking ["b", "a"] (first = rank 1) ·
fill_in "one line" · comparison {"<pair>": "a" | "b"} · recall ["line", …] · matrix
{"<row>": <scale int>} · text "…" · scale an int among the options' values · nps 0–10.

A question hidden by its show_if (skip logic on an earlier answer) is not required and its
answer is ignored. A bad answer raises DomainError naming the question key as the field."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import ConflictError, DomainError
from huitou.core.text import has_unsafe_characters

from .models import Answer as AnswerRow
from .models import (
    Distribution,
    Invitation,
    InviteState,
    Question,
    QuestionKind,
    QuestionnaireVersion,
    Response,
)

DEFAULT_SCALE = (1, 2, 3, 4, 5)
RECALL_LINES = 10  # at most, when the question sets no max_choices
DIMENSION_FIELDS = (
    "agent", "agent_id", "department", "department_id", "queue", "queue_id",
    "channel", "tier", "ticket_type", "ticket", "ticket_id",
)  # fmt: skip


class LinkGone(DomainError):
    """An expired invitation or a closed distribution."""

    status_code = 410


class LinkUnknown(DomainError):
    status_code = 404


@dataclass
class Checked:
    """One visible, answered question: the Answer rows to store and the plain value the
    skip logic of later questions looks at."""

    question: Question
    value: object
    rows: list[dict] = field(default_factory=list)


# --- reading what a question offers --------------------------------------------------------------
def option_values(question: Question) -> list[str]:
    return [str(option.get("value")) for option in question.options or []]


def item_values(question: Question) -> list[str]:
    return [str(item.get("value")) for item in question.items or []]


def scale_values(question: Question) -> list[int]:
    """A scale's or a matrix's points (options' values as ints); 1–5 without options."""
    points = []
    for option in question.options or []:
        try:
            points.append(int(option.get("value")))
        except (TypeError, ValueError):
            continue
    return points or list(DEFAULT_SCALE)


def is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        if isinstance(value, dict) and ("values" in value or "value" in value):
            inner = value.get("values", value.get("value"))
            return is_blank(inner) and is_blank(value.get("other"))
        return len(value) == 0
    return False


# --- skip logic ---------------------------------------------------------------------------
def shown(question: Question, values: dict) -> bool:
    """Does `question` show, given the plain values of the questions before it (a hidden
    or unanswered one is absent from `values`)?"""
    rule = question.show_if or {}
    if not rule or not rule.get("question"):
        return True
    answered = values.get(rule["question"])
    op = rule.get("op", "in")
    wanted = rule.get("values") or []
    if op == "answered":
        return answered is not None
    if answered is None:
        return op == "not_in"
    if op in ("gte", "lte"):
        try:
            bound = float(wanted[0] if isinstance(wanted, list) else wanted)
            number = float(answered)
        except (TypeError, ValueError, IndexError):
            return False
        return number >= bound if op == "gte" else number <= bound
    given = {_plain(v) for v in answered} if isinstance(answered, list) else {_plain(answered)}
    hit = bool(given & {_plain(v) for v in wanted})
    return hit if op == "in" else not hit


def _plain(value) -> str:
    """The one spelling compared by the skip logic: true/false, numbers and text alike."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("yes", "是"):
        return "true"
    if value in ("no", "否"):
        return "false"
    return str(value)


# --- checking one answer -------------------------------------------------------------------------
def _bad(question: Question, message: str) -> DomainError:
    return DomainError(message, field=question.key)


def _text(question: Question, value, *, one_line: bool = False) -> str:
    if not isinstance(value, str):
        raise _bad(question, _("请填写文字。"))
    value = value.strip()
    if has_unsafe_characters(value):
        raise _bad(question, _("内容包含无效字符。"))
    if one_line and ("\n" in value or "\r" in value):
        raise _bad(question, _("填空题只填一行。"))
    if len(value) > question.max_length:
        raise _bad(question, _("不能超过 %(n)s 个字。") % {"n": question.max_length})
    return value


def _integer(question: Question, value) -> int:
    if isinstance(value, bool):
        raise _bad(question, _("请选择一个分值。"))
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise _bad(question, _("请选择一个分值。"))
    return value


def _other_text(question: Question, text) -> str:
    if not question.allow_other:
        raise _bad(question, _("本题没有“其他”选项。"))
    text = _text(question, text or "")
    if not text:
        raise _bad(question, _("选了“其他”，请写明。"))
    return text


def _check_yes_no(question, value) -> Checked:
    if not isinstance(value, bool):
        raise _bad(question, _("请回答“是”或“否”。"))
    return Checked(question, value, [{"number": 1 if value else 0}])


def _check_single(question, value) -> Checked:
    other = ""
    if isinstance(value, dict):
        other, value = value.get("other"), value.get("value")
        if value != "other":
            raise _bad(question, _("请选择一个选项。"))
    if not isinstance(value, str):
        raise _bad(question, _("请选择一个选项。"))
    if value == "other" and question.allow_other:
        return Checked(question, value, [{"choice": "other", "text": _other_text(question, other)}])
    if value not in option_values(question):
        raise _bad(question, _("请从选项中选择。"))
    return Checked(question, value, [{"choice": value}])


def _check_multiple(question, value) -> Checked:
    other = ""
    if isinstance(value, dict):
        other, value = value.get("other"), value.get("values")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(question, _("请选择一个或多个选项。"))
    if len(set(value)) != len(value):
        raise _bad(question, _("同一选项只能选一次。"))
    known = option_values(question)
    rows = []
    for choice in value:
        if choice == "other" and question.allow_other:
            rows.append({"choice": "other", "text": _other_text(question, other)})
        elif choice in known:
            rows.append({"choice": choice})
        else:
            raise _bad(question, _("请从选项中选择。"))
    if other and "other" not in value:
        raise _bad(question, _("写了“其他”，请同时勾选“其他”。"))
    low, high = question.min_choices, question.max_choices
    if low and len(rows) < low:
        raise _bad(question, _("至少选 %(n)s 项。") % {"n": low})
    if high and len(rows) > high:
        raise _bad(question, _("至多选 %(n)s 项。") % {"n": high})
    return Checked(question, list(value), rows)


def _check_ranking(question, value) -> Checked:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(question, _("请按顺序排列各项。"))
    items = item_values(question)
    if len(set(value)) != len(value) or any(v not in items for v in value):
        raise _bad(question, _("请按顺序排列各项，每项只排一次。"))
    wanted = question.max_choices or len(items)
    least = question.min_choices or wanted
    if not least <= len(value) <= wanted:
        raise _bad(question, _("请排出 %(n)s 项的顺序。") % {"n": wanted})
    rows = [{"item": item, "number": rank} for rank, item in enumerate(value, start=1)]
    return Checked(question, list(value), rows)


def _check_comparison(question, value) -> Checked:
    if not isinstance(value, dict):
        raise _bad(question, _("请在每组中选出一项。"))
    pairs = item_values(question)
    rows = []
    for pair, picked in value.items():
        if pair not in pairs:
            raise _bad(question, _("没有这一组比较。"))
        if picked not in ("a", "b"):
            raise _bad(question, _("每组只能选 a 或 b。"))
        rows.append({"item": pair, "choice": picked})
    if question.required and len(rows) < len(pairs):
        raise _bad(question, _("请在每组中选出一项。"))
    return Checked(question, [f"{row['item']}:{row['choice']}" for row in rows], rows)


def _check_recall(question, value) -> Checked:
    if not isinstance(value, list):
        raise _bad(question, _("请逐行列举。"))
    lines = [_text(question, line, one_line=True) for line in value]
    lines = [line for line in lines if line]
    most = question.max_choices or RECALL_LINES
    if len(lines) > most:
        raise _bad(question, _("至多列举 %(n)s 项。") % {"n": most})
    if question.min_choices and len(lines) < question.min_choices:
        raise _bad(question, _("至少列举 %(n)s 项。") % {"n": question.min_choices})
    rows = [{"text": line, "number": n} for n, line in enumerate(lines, start=1)]
    return Checked(question, lines, rows)


def _check_matrix(question, value) -> Checked:
    if not isinstance(value, dict):
        raise _bad(question, _("请为每一行评分。"))
    rows_known, points = item_values(question), scale_values(question)
    rows = []
    for row, score in value.items():
        if row not in rows_known:
            raise _bad(question, _("没有这一行。"))
        score = _integer(question, score)
        if score not in points:
            raise _bad(question, _("分值不在量表内。"))
        rows.append({"item": row, "number": score})
    if question.required and len(rows) < len(rows_known):
        raise _bad(question, _("请为每一行评分。"))
    return Checked(question, [row["number"] for row in rows], rows)


def _check_scale(question, value) -> Checked:
    score = _integer(question, value)
    if score not in scale_values(question):
        raise _bad(question, _("分值不在量表内。"))
    return Checked(question, score, [{"number": score}])


def _check_nps(question, value) -> Checked:
    score = _integer(question, value)
    if not 0 <= score <= 10:
        raise _bad(question, _("推荐意愿须为 0 到 10 的整数。"))
    return Checked(question, score, [{"number": score}])


def _check_fill_in(question, value) -> Checked:
    text = _text(question, value, one_line=True)
    return Checked(question, text, [{"text": text}])


def _check_text(question, value) -> Checked:
    text = _text(question, value)
    return Checked(question, text, [{"text": text}])


CHECKS = {
    QuestionKind.YES_NO: _check_yes_no,
    QuestionKind.SINGLE: _check_single,
    QuestionKind.MULTIPLE: _check_multiple,
    QuestionKind.RANKING: _check_ranking,
    QuestionKind.FILL_IN: _check_fill_in,
    QuestionKind.COMPARISON: _check_comparison,
    QuestionKind.RECALL: _check_recall,
    QuestionKind.MATRIX: _check_matrix,
    QuestionKind.TEXT: _check_text,
    QuestionKind.SCALE: _check_scale,
    QuestionKind.NPS: _check_nps,
}


def version_questions(version: QuestionnaireVersion) -> list[Question]:
    """The version's questions in the order asked: by section, then position."""
    questions = list(version.questions.select_related("section"))
    return sorted(
        questions,
        key=lambda q: (q.section.position if q.section_id else -1, q.position, q.pk),
    )


def check_answers(*, version: QuestionnaireVersion, answers: dict) -> list[Checked]:
    """The visible, answered questions with their rows; DomainError naming the question key
    for a bad or missing answer (a key the version does not ask is refused too)."""
    if not isinstance(answers, dict):
        raise DomainError(_("答案须为以题号为键的对象。"), field="answers")
    questions = version_questions(version)
    keys = {question.key for question in questions}
    for key in answers:
        if key not in keys:
            raise DomainError(_("问卷中没有这道题。"), field=str(key)[:32])
    values: dict = {}
    checked: list[Checked] = []
    for question in questions:
        if not shown(question, values):
            continue
        value = answers.get(question.key)
        if is_blank(value):
            if question.required:
                raise _bad(question, _("这道题必须回答。"))
            continue
        result = CHECKS[question.kind](question, value)
        if not result.rows:
            if question.required:
                raise _bad(question, _("这道题必须回答。"))
            continue
        values[question.key] = result.value
        checked.append(result)
    return checked


# --- the customer's links ----------------------------------------------------------------------
def access_survey_invitation(token: str) -> tuple[Invitation, QuestionnaireVersion]:
    """A questionnaire invitation's link: the invitation and the version it asks (its own,
    else its distribution's questionnaire as published now). 404 for an unknown token."""
    invitation = (
        Invitation.objects.select_related(
            "version__questionnaire", "distribution__questionnaire__current_version", "customer"
        )
        .filter(token=token, kind=Invitation.Kind.SURVEY)
        .first()
    )
    version = None
    if invitation is not None:
        version = invitation.version
        if version is None and invitation.distribution_id:
            version = invitation.distribution.questionnaire.current_version
    if version is None:
        raise LinkUnknown(_("问卷链接无效。"), field="token")
    return invitation, version


def access_open_distribution(token: str) -> tuple[Distribution, QuestionnaireVersion]:
    """A distribution's public link (anyone may answer): the distribution and its
    questionnaire's current version. 404 for an unknown token or a draft."""
    distribution = (
        Distribution.objects.select_related("questionnaire__current_version")
        .filter(public_token=token)
        .exclude(state=Distribution.State.DRAFT)
        .first()
    )
    if distribution is None or distribution.questionnaire.current_version is None:
        raise LinkUnknown(_("问卷链接无效。"), field="token")
    version = distribution.questionnaire.current_version
    version.questionnaire = distribution.questionnaire
    return distribution, version


# --- storing -----------------------------------------------------------------------------------
def _ticket_dimensions(ticket) -> dict:
    return {
        "ticket": ticket,
        "agent_id": ticket.assignee_id,
        "department_id": ticket.department_id,
        "queue_id": ticket.queue_id,
        "channel": ticket.channel,
        "tier": ticket.customer.tier if ticket.customer_id else "",
        "ticket_type": ticket.type,
    }


def _dimensions(dimensions: dict | None, *, invitation, customer, distribution) -> dict:
    if dimensions is not None:
        unknown = set(dimensions) - set(DIMENSION_FIELDS)
        if unknown:
            raise DomainError(_("未知的分析维度。"), field=sorted(unknown)[0])
        return dict(dimensions)
    if invitation is not None and invitation.ticket_id:
        return _ticket_dimensions(invitation.ticket)
    found: dict = {}
    if customer is not None:
        found["tier"] = customer.tier
    if invitation is not None and invitation.channel:
        found["channel"] = invitation.channel
    elif distribution is not None and distribution.audience == Distribution.Audience.PHONE:
        found["channel"] = "phone"
    return found


def check_invitation_open(invitation: Invitation, *, now: datetime) -> None:
    if invitation.state == InviteState.ANSWERED:
        raise ConflictError(_("这份问卷已经回答过了，感谢您的参与。"), field="token")
    if invitation.state in (InviteState.EXPIRED, InviteState.SKIPPED) or invitation.is_expired(now):
        raise LinkGone(_("问卷链接已过期。"), field="token")
    if invitation.distribution_id:
        check_distribution_open(invitation.distribution, now=now)


def check_distribution_open(distribution: Distribution, *, now: datetime) -> None:
    """Open, within its dates, under its quota (counted over its responses)."""
    if distribution.state != Distribution.State.OPEN:
        raise LinkGone(_("本次调查未开始或已经结束。"), field="token")
    if distribution.opens_at and now < distribution.opens_at:
        raise LinkGone(_("本次调查尚未开始。"), field="token")
    if distribution.closes_at and now >= distribution.closes_at:
        raise LinkGone(_("本次调查已经截止。"), field="token")
    if distribution.quota and distribution.responses.count() >= distribution.quota:
        raise LinkGone(_("本次调查已收满答卷，感谢您的关注。"), field="token")


def _special(checked: list[Checked]) -> dict:
    """The overall 5-level scale → rating, an NPS question → nps (the first of each)."""
    found: dict = {}
    for result in checked:
        question = result.question
        if question.overall and question.kind == QuestionKind.SCALE and "rating" not in found:
            found["rating"] = result.value
        if question.kind == QuestionKind.NPS and "nps" not in found:
            found["nps"] = result.value
    return found


def do_response_submit(
    *,
    version: QuestionnaireVersion,
    answers: dict,
    invitation: Invitation | None = None,
    distribution: Distribution | None = None,
    customer=None,
    entered_by=None,
    dimensions: dict | None = None,
    now: datetime | None = None,
) -> Response:
    """Check the answers and store them as one answer sheet, in one transaction. An
    invitation is answered once (409 after; its OneToOne response is the guard against two
    at once), an expired link 410, a closed or full distribution 410, bad answers 422 naming
    the question key."""
    now = now or timezone.now()
    with transaction.atomic():
        if invitation is not None:
            invitation = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("ticket__customer", "customer", "distribution")
                .get(pk=invitation.pk)
            )
            check_invitation_open(invitation, now=now)
            distribution = distribution or invitation.distribution
            customer = customer or invitation.customer
        if distribution is not None:
            # The row lock counts the quota one answer at a time.
            distribution = Distribution.objects.select_for_update().get(pk=distribution.pk)
            if invitation is None or not invitation.distribution_id:
                check_distribution_open(distribution, now=now)
        checked = check_answers(version=version, answers=answers)
        dims = _dimensions(
            dimensions, invitation=invitation, customer=customer, distribution=distribution
        )
        anonymous = version.questionnaire.anonymous
        response = Response(
            invitation=invitation,
            version=version,
            questionnaire_id=version.questionnaire_id,
            distribution=distribution,
            customer=None if anonymous else customer,
            entered_by=entered_by,
            answered_at=now,
            **_special(checked),
            **dims,
        )
        try:
            with transaction.atomic():
                response.save()
        except IntegrityError:  # another submit answered this invitation a moment ago
            raise ConflictError(_("这份问卷已经回答过了，感谢您的参与。"), field="token") from None
        AnswerRow.objects.bulk_create(
            [
                AnswerRow(response=response, question=result.question, **row)
                for result in checked
                for row in result.rows
            ]
        )
        if invitation is not None:
            invitation.state, invitation.answered_at = InviteState.ANSWERED, now
            invitation.save(update_fields=["state", "answered_at"])
    return response
