"""The answer form (templates/surveys/_answer_form.html): what it renders of a version's
questions in the reader's language, and the answers JSON read back from a posted form, for
the customer's page and for an agent keying in a phone survey."""

import json

from huitou.core.errors import DomainError

from .answers import is_blank, item_values, version_questions
from .models import Question, QuestionKind, QuestionnaireVersion


# --- the answer form (the customer's page, an agent keying in a phone survey) ------------------
def _one(data, name: str) -> str:
    return (data.get(name) or "").strip()


def answers_from_form(version: QuestionnaireVersion, data) -> dict:
    """The answers JSON from a posted answer form (templates/surveys/_answer_form.html;
    field q-<key>, with -<item> for a matrix row, a pair or a ranked item, -other for
    "other"); blanks are left out, so check_answers sees what the JSON client would send."""
    answers: dict = {}
    for question in version_questions(version):
        name, kind = f"q-{question.key}", question.kind
        if kind == QuestionKind.YES_NO:
            value = {"1": True, "0": False}.get(_one(data, name), _one(data, name) or None)
        elif kind == QuestionKind.SINGLE:
            value = _one(data, name) or None
            if value == "other" and question.allow_other:
                value = {"value": "other", "other": _one(data, f"{name}-other")}
        elif kind == QuestionKind.MULTIPLE:
            value = [v for v in data.getlist(name) if v]
            if "other" in value and question.allow_other:
                value = {"values": value, "other": _one(data, f"{name}-other")}
        elif kind == QuestionKind.RANKING:
            ranks = {}
            for item in item_values(question):
                rank = _one(data, f"{name}-{item}")
                if rank:
                    ranks.setdefault(rank, []).append(item)
            ordered = [ranks[r] for r in sorted(ranks, key=lambda r: (len(r), r))]
            value = [items[0] if len(items) == 1 else "" for items in ordered]  # "" = a tie
        elif kind in (QuestionKind.COMPARISON, QuestionKind.MATRIX):
            value = {
                item: _one(data, f"{name}-{item}")
                for item in item_values(question)
                if _one(data, f"{name}-{item}")
            }
        elif kind == QuestionKind.RECALL:
            value = [line.strip() for line in data.getlist(name) if line.strip()]
        else:  # fill_in, text, scale, nps
            value = data.get(name, "")
            value = value.strip() if isinstance(value, str) else value
        if not is_blank(value):
            answers[question.key] = value
    return answers


def _in_language(entry: dict, english: bool, name: str = "label") -> str:
    return (english and entry.get(f"{name}_en")) or entry.get(name) or ""


def form_sections(
    version: QuestionnaireVersion, *, answers: dict | None = None, english: bool = False
) -> list[dict]:
    """What _answer_form.html renders: sections with their questions in the reader's language,
    each with what was answered (to show again after an error)."""
    answers = answers or {}
    sections: list[dict] = []
    current = None
    for question in version_questions(version):
        section = question.section
        if current is None or current["id"] != (section.pk if section else None):
            current = {
                "id": section.pk if section else None,
                "title": _in_language(section.__dict__, english, "title") if section else "",
                "description": (
                    _in_language(section.__dict__, english, "description") if section else ""
                ),
                "questions": [],
            }
            sections.append(current)
        current["questions"].append(display_question(question, answers.get(question.key), english))
    return sections


def answer_form_context(
    version: QuestionnaireVersion,
    *,
    answers: dict | None = None,
    error: DomainError | None = None,
    english: bool = False,
) -> dict:
    """The context _answer_form.html needs: the sections, and an error shown next to its
    question (form_error_general: one that names no question, shown above the form)."""
    sections = form_sections(version, answers=answers, english=english)
    matched = False
    for section in sections:
        for question in section["questions"]:
            if error is not None and error.field == question["key"]:
                question["error"], matched = error.message, True
    return {
        "form_sections": sections,
        "form_error": error,
        "form_error_general": error.message if error is not None and not matched else "",
    }


def display_question(question: Question, given, english: bool) -> dict:
    values: list[str] = []
    other = ""
    sub: dict[str, str] = {}
    if isinstance(given, dict) and ("values" in given or "value" in given):
        other = str(given.get("other") or "")
        given = given.get("values", given.get("value"))
    if isinstance(given, list):
        values = [str(v) for v in given]
        sub = {str(v): str(rank) for rank, v in enumerate(given, start=1)}
    elif isinstance(given, dict):
        sub = {str(k): str(v) for k, v in given.items()}
    elif given is not None:
        values = ["1" if given is True else "0" if given is False else str(given)]
    count = question.max_choices or (len(question.items) if question.items else 5)
    return {
        "key": question.key,
        "kind": question.kind,
        "text": (english and question.text_en) or question.text,
        "help": (english and question.help_en) or question.help,
        "required": question.required,
        "options": [
            {"value": str(o.get("value")), "label": _in_language(o, english)}
            for o in question.options or []
        ],
        "items": [
            {
                "value": str(i.get("value")),
                "label": _in_language(i, english),
                "a": _in_language(i, english, "a"),
                "b": _in_language(i, english, "b"),
            }
            for i in question.items or []
        ],
        "allow_other": question.allow_other,
        "max_length": question.max_length,
        "min_choices": question.min_choices,
        "max_choices": question.max_choices,
        "nps": [str(n) for n in range(11)],
        "ranks": [str(n) for n in range(1, len(question.items or []) + 1)],
        "lines": [values[n] if n < len(values) else "" for n in range(count)],
        "show_if": json.dumps(question.show_if or {}, ensure_ascii=False),
        "value": values[0] if values else "",
        "values": values,
        "other": other,
        "sub": sub,
    }
