"""Questionnaires built by staff (问卷设计) [002]: the parts (title, instructions, respondent
profile, main body, coding), the question kinds, skip logic, sections, Chinese and English.

The body (sections and questions) is never edited in place: publishing makes a new
QuestionnaireVersion, so an answer keeps the questions it answered. The header (title,
instructions, …) is the questionnaire's and changes at once. Staff with
surveys.manage_surveys only.

The body, as the API and the builder page send it (and `version_body` returns it):
{"note": "…", "sections": [{"title", "title_en", "description", "description_en",
"questions": [{"key", "kind", "text", "text_en", "help", "help_en", "required", "options":
[{"value", "label", "label_en"}], "allow_other", "items": [{"value", "label", "label_en"}
(a comparison's also "a", "b", "a_en", "b_en")], "min_choices", "max_choices",
"max_length", "show_if", "indicator", "dimension", "side", "pair", "overall"}]}]}."""

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.core.numbering import next_number
from huitou.core.permissions import check_permission

from .models import (
    Dimension,
    Indicator,
    Purpose,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireVersion,
    Section,
    Side,
)

MANAGE = "surveys.manage_surveys"
HEADER_FIELDS = {
    "code": 32, "purpose": 16, "title": 200, "title_en": 200, "instructions": 5000,
    "instructions_en": 5000, "respondent_profile": 5000, "coding": 5000, "anonymous": None,
}  # fmt: skip
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
VALUE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
SHOW_OPS = ("in", "not_in", "answered", "gte", "lte")
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
ITEM_KINDS = (QuestionKind.RANKING, QuestionKind.COMPARISON, QuestionKind.MATRIX)
SCALE_KINDS = (QuestionKind.SCALE, QuestionKind.MATRIX)
# The 5-level scale of [000], 5 = best; a 4-level scale drops the middle 较好.
SCALE_5 = [
    {"value": "5", "label": "很好", "label_en": "Very good"},
    {"value": "4", "label": "好", "label_en": "Good"},
    {"value": "3", "label": "较好", "label_en": "Fairly good"},
    {"value": "2", "label": "一般", "label_en": "Fair"},
    {"value": "1", "label": "差", "label_en": "Poor"},
]
MAX_QUESTIONS = 200
MAX_OPTIONS = 50


# --- reads -------------------------------------------------------------------------------------
def check_may_manage(actor) -> None:
    check_permission(actor, MANAGE)


def questionnaire_list(*, user, archived: bool | None = False) -> QuerySet[Questionnaire]:
    """Questionnaires for the builder (surveys.manage_surveys), newest first."""
    check_may_manage(user)
    rows = Questionnaire.objects.select_related("current_version").annotate(
        response_count=Count("responses", distinct=True)
    )
    if archived is not None:
        rows = rows.filter(archived=archived)
    return rows.order_by("-updated_at", "-pk")


def access_questionnaire(*, user, questionnaire_id: int) -> Questionnaire:
    check_may_manage(user)
    found = (
        Questionnaire.objects.select_related("current_version").filter(pk=questionnaire_id).first()
    )
    if found is None:
        raise QuestionnaireNotFound(_("问卷不存在。"), field="questionnaire")
    return found


def access_version(*, user, questionnaire_id: int, number: int) -> QuestionnaireVersion:
    questionnaire = access_questionnaire(user=user, questionnaire_id=questionnaire_id)
    found = questionnaire.versions.filter(number=number).first()
    if found is None:
        raise QuestionnaireNotFound(_("问卷版本不存在。"), field="version")
    found.questionnaire = questionnaire
    return found


class QuestionnaireNotFound(DomainError):
    status_code = 404


def version_body(version: QuestionnaireVersion | None) -> dict:
    """A version's sections and questions in the shape `do_questionnaire_publish` takes."""
    if version is None:
        return {"note": "", "sections": []}
    sections = list(version.sections.all())
    by_section: dict = {section.pk: [] for section in sections}
    loose = []
    for question in version.questions.all():
        spec = _question_spec(question)
        (by_section[question.section_id] if question.section_id else loose).append(spec)
    body = [
        {
            "title": section.title,
            "title_en": section.title_en,
            "description": section.description,
            "description_en": section.description_en,
            "questions": by_section[section.pk],
        }
        for section in sections
    ]
    if loose:
        empty = {"title": "", "title_en": "", "description": "", "description_en": ""}
        body.insert(0, {**empty, "questions": loose})
    return {"note": version.note, "sections": body}


def _question_spec(question: Question) -> dict:
    return {
        name: getattr(question, name)
        for name in (
            "key", "kind", "text", "text_en", "help", "help_en", "required", "options",
            "allow_other", "items", "min_choices", "max_choices", "max_length", "show_if",
            "indicator", "dimension", "side", "pair", "overall",
        )
    }  # fmt: skip


# --- checks --------------------------------------------------------------------------------------
def check_questionnaire_fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The header fields cleaned; DomainError naming the field."""
    unknown = set(data) - set(HEADER_FIELDS) - {"body"}
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    for name, limit in HEADER_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        if limit is None:
            if not isinstance(value, bool):
                raise DomainError(_("须为 true 或 false。"), field=name)
            clean[name] = value
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DomainError(_("须为文字。"), field=name)
        clean[name] = check_text(value.strip(), field=name, max_length=limit)
    if "purpose" in clean and clean["purpose"] not in Purpose.values:
        raise DomainError(_("问卷用途不存在。"), field="purpose")
    if "code" in clean and clean["code"] and not KEY_PATTERN.match(clean["code"][:16]):
        raise DomainError(_("编号只能用字母、数字、点、横线和下划线。"), field="code")
    if (creating or "title" in clean) and not clean.get("title"):
        raise DomainError(_("请填写问卷标题。"), field="title")
    return clean


def _label(value, *, field: str, required: bool = True, limit: int = 200) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(_("须为文字。"), field=field)
    value = check_text(value.strip(), field=field, max_length=limit)
    if required and not value:
        raise DomainError(_("请填写文字。"), field=field)
    return value


def _entries(raw, *, field: str, comparison: bool = False) -> list[dict]:
    """Options or items: [{value, label, label_en}] with unique short values."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_OPTIONS:
        raise DomainError(_("选项须为列表（至多 %(n)s 项）。") % {"n": MAX_OPTIONS}, field=field)
    clean, seen = [], set()
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise DomainError(_("第 %(n)s 项格式不对。") % {"n": index}, field=field)
        value = str(entry.get("value", "") or index).strip()
        if not VALUE_PATTERN.match(value) or value in seen:
            raise DomainError(
                _("第 %(n)s 项的代码须唯一，只用字母、数字、点、横线、下划线。") % {"n": index},
                field=field,
            )
        seen.add(value)
        item = {
            "value": value,
            "label": _label(entry.get("label"), field=field, required=not comparison),
            "label_en": _label(entry.get("label_en"), field=field, required=False),
        }
        if comparison:
            for side in ("a", "b"):
                item[side] = _label(entry.get(side), field=field)
                item[f"{side}_en"] = _label(entry.get(f"{side}_en"), field=field, required=False)
        clean.append(item)
    return clean


def _small_int(value, *, field: str, low: int = 0, high: int = 10_000) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(
            _("须为 %(low)s 到 %(high)s 的整数。") % {"low": low, "high": high}, field=field
        )
    return value


def _choice(value, choices, *, field: str) -> str:
    value = value or ""
    if value not in ("", *choices.values):
        raise DomainError(_("取值不在列表中。"), field=field)
    return value


def _show_if(raw, *, field: str, earlier: dict[str, str]) -> dict:
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise DomainError(_("显示条件格式不对。"), field=field)
    target, op = raw.get("question"), raw.get("op", "in")
    if not isinstance(target, str) or target not in earlier:
        raise DomainError(_("显示条件只能引用前面的题目。"), field=field)
    if op not in SHOW_OPS:
        raise DomainError(_("显示条件的比较方式不存在。"), field=field)
    values = raw.get("values", [])
    if not isinstance(values, list):
        values = [values]
    if op != "answered" and not values:
        raise DomainError(_("请给出显示条件的取值。"), field=field)
    if op in ("gte", "lte"):
        try:
            float(values[0])
        except (TypeError, ValueError):
            raise DomainError(_("“不低于”“不高于”须给出数值。"), field=field) from None
    if any(not isinstance(value, str | int | bool) for value in values):
        raise DomainError(_("显示条件的取值格式不对。"), field=field)
    return {"question": target, "op": op, "values": values if op != "answered" else []}


def check_question(raw: dict, *, earlier: dict[str, str]) -> dict:
    """One question's spec cleaned; errors name `questions.<key>.<part>`."""
    if not isinstance(raw, dict):
        raise DomainError(_("题目格式不对。"), field="questions")
    key = str(raw.get("key") or "").strip()
    if not KEY_PATTERN.match(key):
        raise DomainError(
            _("题号须为 1–16 个字母、数字、点、横线或下划线。"), field="questions.key"
        )
    if key in earlier:
        raise DomainError(_("题号 %(key)s 重复。") % {"key": key}, field=f"questions.{key}.key")
    at = f"questions.{key}"
    kind = raw.get("kind")
    if kind not in QuestionKind.values:
        raise DomainError(_("题型不存在。"), field=f"{at}.kind")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise DomainError(_("须为 true 或 false。"), field=f"{at}.required")
    spec: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "text": _label(raw.get("text"), field=f"{at}.text", limit=500),
        "text_en": _label(raw.get("text_en"), field=f"{at}.text_en", required=False, limit=500),
        "help": _label(raw.get("help"), field=f"{at}.help", required=False, limit=300),
        "help_en": _label(raw.get("help_en"), field=f"{at}.help_en", required=False, limit=300),
        "required": required,
        "options": _entries(raw.get("options"), field=f"{at}.options"),
        "allow_other": bool(raw.get("allow_other")) and kind in CHOICE_KINDS,
        "items": _entries(
            raw.get("items"), field=f"{at}.items", comparison=kind == QuestionKind.COMPARISON
        ),
        "min_choices": _small_int(raw.get("min_choices"), field=f"{at}.min_choices", high=100),
        "max_choices": _small_int(raw.get("max_choices"), field=f"{at}.max_choices", high=100),
        "max_length": _small_int(raw.get("max_length"), field=f"{at}.max_length", low=1)
        or (200 if kind in (QuestionKind.FILL_IN, QuestionKind.RECALL) else 1000),
        "show_if": _show_if(raw.get("show_if"), field=f"{at}.show_if", earlier=earlier),
        "indicator": _choice(raw.get("indicator"), Indicator, field=f"{at}.indicator"),
        "dimension": _choice(raw.get("dimension"), Dimension, field=f"{at}.dimension"),
        "side": _choice(raw.get("side"), Side, field=f"{at}.side"),
        "pair": _label(raw.get("pair"), field=f"{at}.pair", required=False, limit=16),
        "overall": bool(raw.get("overall")),
    }
    _check_kind(spec, at)
    return spec


def _check_kind(spec: dict, at: str) -> None:
    kind = spec["kind"]
    if kind in SCALE_KINDS:
        if not spec["options"]:
            spec["options"] = [dict(point) for point in SCALE_5]
        points = []
        for option in spec["options"]:
            if not option["value"].isdigit():
                raise DomainError(_("量表的分值须为整数。"), field=f"{at}.options")
            points.append(int(option["value"]))
        if len(points) not in (4, 5):
            raise DomainError(_("量表须为 4 级或 5 级。"), field=f"{at}.options")
    elif kind in CHOICE_KINDS and len(spec["options"]) + spec["allow_other"] < 2:
        raise DomainError(_("选择题至少要有两个选项。"), field=f"{at}.options")
    elif kind not in CHOICE_KINDS:
        spec["options"] = []
    if kind in ITEM_KINDS and len(spec["items"]) < (2 if kind == QuestionKind.RANKING else 1):
        raise DomainError(_("请列出子项。"), field=f"{at}.items")
    if kind not in ITEM_KINDS:
        spec["items"] = []
    low, high = spec["min_choices"], spec["max_choices"]
    if low is not None and high is not None and low > high:
        raise DomainError(_("“至少选”不能大于“至多选”。"), field=f"{at}.min_choices")
    room = {
        QuestionKind.MULTIPLE: len(spec["options"]) + spec["allow_other"],
        QuestionKind.RANKING: len(spec["items"]),
        QuestionKind.RECALL: 50,
    }.get(kind)
    if room is None:
        spec["min_choices"] = spec["max_choices"] = None
    elif (high or 0) > room or (low or 0) > room:
        raise DomainError(_("可选数量超过了选项数。"), field=f"{at}.max_choices")
    if spec["overall"] and not (kind == QuestionKind.SCALE and len(spec["options"]) == 5):
        raise DomainError(_("总体满意度题须为 5 级评分量表。"), field=f"{at}.overall")


def check_body(body: Any) -> dict:
    """The sections and questions cleaned: unique keys, skip logic on earlier questions only,
    at most one overall question."""
    if not isinstance(body, dict):
        raise DomainError(_("问卷主体格式不对。"), field="body")
    sections = body.get("sections")
    if sections is None and "questions" in body:
        sections = [{"questions": body["questions"]}]
    if not isinstance(sections, list) or not sections:
        raise DomainError(_("问卷至少要有一道题。"), field="sections")
    earlier: dict[str, str] = {}
    clean_sections = []
    for index, section in enumerate(sections, start=1):
        if not isinstance(section, dict) or not isinstance(section.get("questions", []), list):
            raise DomainError(_("第 %(n)s 部分格式不对。") % {"n": index}, field="sections")
        questions = []
        for raw in section.get("questions", []):
            spec = check_question(raw, earlier=earlier)
            earlier[spec["key"]] = spec["kind"]
            questions.append(spec)
        clean_sections.append(
            {
                "title": _label(section.get("title"), field="sections.title", required=False),
                "title_en": _label(section.get("title_en"), field="sections.title", required=False),
                "description": _label(
                    section.get("description"), field="sections.description",
                    required=False, limit=2000,
                ),
                "description_en": _label(
                    section.get("description_en"), field="sections.description",
                    required=False, limit=2000,
                ),
                "questions": questions,
            }
        )  # fmt: skip
    if not earlier:
        raise DomainError(_("问卷至少要有一道题。"), field="sections")
    if len(earlier) > MAX_QUESTIONS:
        raise DomainError(_("一份问卷至多 %(n)s 道题。") % {"n": MAX_QUESTIONS}, field="sections")
    overall = [s["key"] for c in clean_sections for s in c["questions"] if s["overall"]]
    if len(overall) > 1:
        raise DomainError(_("只能有一道总体满意度题。"), field=f"questions.{overall[1]}.overall")
    note = _label(body.get("note"), field="note", required=False)
    return {"note": note, "sections": clean_sections}


# --- writes --------------------------------------------------------------------------------------
def _store_version(
    *, questionnaire: Questionnaire, body: dict, actor, number: int
) -> QuestionnaireVersion:
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire,
        number=number,
        created_by=actor if getattr(actor, "pk", None) else None,
        note=body["note"],
    )
    rows, position = [], 0
    for section_position, part in enumerate(body["sections"], start=1):
        questions = part.pop("questions")
        section = Section.objects.create(version=version, position=section_position, **part)
        for spec in questions:
            position += 1
            rows.append(Question(version=version, section=section, position=position, **spec))
        part["questions"] = questions
    Question.objects.bulk_create(rows)
    return version


@transaction.atomic
def do_questionnaire_create(*, actor, data: dict[str, Any], builtin: str = "") -> Questionnaire:
    """A new questionnaire; with data["body"], published as version 1 at once."""
    if not builtin:
        check_may_manage(actor)
    clean = check_questionnaire_fields(data, creating=True)
    body = check_body(data["body"]) if data.get("body") is not None else None
    if not clean.get("code"):
        clean["code"] = next_number(prefix="Q")
    questionnaire = Questionnaire(
        **clean, builtin=builtin, created_by=actor if getattr(actor, "pk", None) else None
    )
    try:
        with transaction.atomic():
            questionnaire.save()
    except IntegrityError:
        raise ConflictError(_("编号已被使用。"), field="code") from None
    if body is not None:
        version = _store_version(questionnaire=questionnaire, body=body, actor=actor, number=1)
        questionnaire.current_version = version
        questionnaire.save(update_fields=["current_version"])
    if getattr(actor, "pk", None):
        do_audit_record(obj=questionnaire, actor=actor, action="created")
    return questionnaire


def _locked(questionnaire_id: int) -> Questionnaire:
    found = Questionnaire.objects.select_for_update().filter(pk=questionnaire_id).first()
    if found is None:
        raise QuestionnaireNotFound(_("问卷不存在。"), field="questionnaire")
    return found


@transaction.atomic
def do_questionnaire_update(*, actor, questionnaire_id: int, data: dict[str, Any]) -> Questionnaire:
    """Change the header (title, instructions, profile, coding, anonymous). With "body",
    the questions are published as a new version too, when they changed."""
    check_may_manage(actor)
    questionnaire = _locked(questionnaire_id)
    if questionnaire.archived:
        raise ConflictError(_("问卷已归档，不能修改。"), field="questionnaire")
    clean = check_questionnaire_fields(data, creating=False)
    changes = []
    for name, value in clean.items():
        old = getattr(questionnaire, name)
        if old != value:
            changes.append((name, old, value))
            setattr(questionnaire, name, value)
    try:
        with transaction.atomic():
            questionnaire.save()
    except IntegrityError:
        raise ConflictError(_("编号已被使用。"), field="code") from None
    for name, old, new in changes:
        do_audit_record(
            obj=questionnaire, actor=actor, action="changed", field=name, old=old, new=new
        )
    if data.get("body") is not None:
        body = check_body(data["body"])
        if body["sections"] != version_body(questionnaire.current_version)["sections"]:
            _publish(questionnaire, body=body, actor=actor)
    return questionnaire


def _publish(questionnaire: Questionnaire, *, body: dict, actor) -> QuestionnaireVersion:
    last = questionnaire.versions.aggregate(last=Max("number"))["last"] or 0
    version = _store_version(questionnaire=questionnaire, body=body, actor=actor, number=last + 1)
    questionnaire.current_version = version
    questionnaire.save(update_fields=["current_version", "updated_at"])
    do_audit_record(
        obj=questionnaire, actor=actor, action="published", field="version", new=version.number
    )
    return version


@transaction.atomic
def do_questionnaire_publish(
    *, actor, questionnaire_id: int, body: dict[str, Any]
) -> QuestionnaireVersion:
    """Publish `body` as the next version; earlier answers keep the version they answered."""
    check_may_manage(actor)
    questionnaire = _locked(questionnaire_id)
    if questionnaire.archived:
        raise ConflictError(_("问卷已归档，不能发布新版本。"), field="questionnaire")
    return _publish(questionnaire, body=check_body(body), actor=actor)


@transaction.atomic
def do_questionnaire_archive(
    *, actor, questionnaire_id: int, archived: bool = True
) -> Questionnaire:
    """Archive (no new distributions; its answers stay) or bring back."""
    check_may_manage(actor)
    questionnaire = _locked(questionnaire_id)
    if questionnaire.archived != archived:
        questionnaire.archived = archived
        questionnaire.save(update_fields=["archived", "updated_at"])
        do_audit_record(
            obj=questionnaire, actor=actor, action="changed", field="archived",
            old=not archived, new=archived,
        )  # fmt: skip
    return questionnaire
