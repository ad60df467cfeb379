"""Questionnaire pages. Staff (surveys.manage_surveys): the list, the builder (header and
body; survey_builder.js edits the body, which travels as JSON in the form's `body` field),
a preview, the versions. Customers (no login, phone-sized, in the visitor's language): the
answer page of an invitation's link (/s/q/<token>/) and of a distribution's public link
(/s/o/<token>/); survey_answer.js runs the skip logic, the server checks everything again."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from huitou.core.errors import DomainError
from huitou.core.pagination import paginate_queryset
from huitou.core.ratelimit import rate_limited

from ..answer_form import answer_form_context, answers_from_form, display_question, form_sections
from ..answers import (
    LinkUnknown,
    access_open_distribution,
    access_survey_invitation,
    check_distribution_open,
    check_invitation_open,
    do_response_submit,
)
from ..models import (
    Dimension,
    Indicator,
    Purpose,
    Question,
    QuestionKind,
    QuestionnaireVersion,
    Section,
    Side,
)
from ..questionnaires import (
    HEADER_FIELDS,
    QuestionnaireNotFound,
    access_questionnaire,
    check_body,
    check_may_manage,
    do_questionnaire_archive,
    do_questionnaire_create,
    do_questionnaire_update,
    questionnaire_list,
    version_body,
)

GONE_STATUS = {404: 404, 409: 409, 410: 410}


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


# --- staff -------------------------------------------------------------------------------------
@login_required
def questionnaires_view(request):
    archived = request.GET.get("archived") == "1"
    page = paginate_queryset(request, questionnaire_list(user=request.user, archived=archived))
    return render(request, "surveys/questionnaire_list.html", {"page": page, "archived": archived})


def _header_from_form(post) -> dict:
    data = {name: post.get(name, "") for name in HEADER_FIELDS if name != "anonymous"}
    data["anonymous"] = post.get("anonymous") in ("on", "1", "true")
    return data


def _body_from_form(post):
    raw = post.get("body", "").strip()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise DomainError(_("问卷主体不是有效的 JSON。"), field="body") from None


def _builder_context(questionnaire, *, values: dict, body, error=None) -> dict:
    return {
        "questionnaire": questionnaire,
        "values": values,
        "body_json": json.dumps(body, ensure_ascii=False, indent=1),
        "error": error,
        "purposes": Purpose.choices,
        "kinds": QuestionKind.choices,
        "indicators": Indicator.choices,
        "dimensions": Dimension.choices,
        "sides": [choice for choice in Side.choices if choice[0]],
        "show_ops": [
            ("in", _("等于其中之一")),
            ("not_in", _("不等于其中任何一个")),
            ("answered", pgettext("show_if", "已回答")),
            ("gte", _("不低于")),
            ("lte", _("不高于")),
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_new_view(request):
    check_may_manage(request.user)
    if request.method == "GET":
        values = {"purpose": Purpose.SAMPLE}
        return render(
            request,
            "surveys/questionnaire_builder.html",
            _builder_context(None, values=values, body={"note": "", "sections": []}),
        )
    values = _header_from_form(request.POST)
    body = request.POST.get("body", "")
    try:
        data = {**values, "body": _body_from_form(request.POST)}
        questionnaire = do_questionnaire_create(actor=request.user, data=data)
    except DomainError as error:
        context = _builder_context(None, values=values, body=_raw(body), error=error)
        return render(request, "surveys/questionnaire_builder.html", context, status=422)
    messages.success(request, _("问卷已创建。"))
    return redirect("surveys:questionnaire", questionnaire_id=questionnaire.pk)


def _raw(body: str):
    try:
        return json.loads(body)
    except ValueError:
        return body


def _found(request, questionnaire_id: int):
    try:
        return access_questionnaire(user=request.user, questionnaire_id=questionnaire_id)
    except QuestionnaireNotFound:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_view(request, questionnaire_id: int):
    """The builder: the header fields and the body; 保存 publishes a new version when the
    questions changed; 预览 shows the posted body without saving."""
    questionnaire = _found(request, questionnaire_id)
    if request.method == "GET":
        values = {name: getattr(questionnaire, name) for name in HEADER_FIELDS}
        body = version_body(questionnaire.current_version)
        context = _builder_context(questionnaire, values=values, body=body)
        return render(request, "surveys/questionnaire_builder.html", context)
    values = _header_from_form(request.POST)
    body = request.POST.get("body", "")
    try:
        data = {**values, "body": _body_from_form(request.POST)}
        before = questionnaire.current_version_id
        questionnaire = do_questionnaire_update(
            actor=request.user, questionnaire_id=questionnaire.pk, data=data
        )
    except DomainError as error:
        context = _builder_context(questionnaire, values=values, body=_raw(body), error=error)
        return render(request, "surveys/questionnaire_builder.html", context, status=422)
    if questionnaire.current_version_id != before:
        messages.success(
            request,
            _("已发布第 %(n)s 版。") % {"n": questionnaire.current_version.number},
        )
    else:
        messages.success(request, _("已保存。"))
    return redirect("surveys:questionnaire", questionnaire_id=questionnaire.pk)


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_preview_view(request, questionnaire_id: int):
    """A version as the customer sees it (?version=N, else the current one); POST: the
    builder's unsaved body."""
    questionnaire = _found(request, questionnaire_id)
    error = None
    if request.method == "POST":
        try:
            body = check_body(_body_from_form(request.POST))
        except DomainError as caught:
            body, error = {"sections": []}, caught
        sections = _preview_sections(body)
        version = None
    else:
        number = request.GET.get("version", "")
        versions = questionnaire.versions
        version = (
            versions.filter(number=int(number)).first()
            if number.isdigit()
            else questionnaire.current_version
        )
        sections = form_sections(version, english=_english()) if version else []
    context = {"form_sections": sections, "form_error_general": error.message if error else ""}
    return render(
        request,
        "surveys/questionnaire_preview.html",
        {
            "questionnaire": questionnaire,
            "version": version,
            **context,
            "preview": True,
        },
    )


def _preview_sections(body: dict) -> list[dict]:
    """An unsaved body rendered like a version: built in memory, never saved."""
    english = _english()
    sections = []
    for position, part in enumerate(body["sections"], start=1):
        section = Section(position=position, **{k: v for k, v in part.items() if k != "questions"})
        version = QuestionnaireVersion(number=0)
        questions = [
            Question(version=version, section=section, position=n, **spec)
            for n, spec in enumerate(part["questions"], start=1)
        ]
        sections.append(
            {
                "title": (english and section.title_en) or section.title,
                "description": (english and section.description_en) or section.description,
                "questions": [display_question(q, None, english) for q in questions],
            }
        )
    return sections


@login_required
def questionnaire_versions_view(request, questionnaire_id: int):
    questionnaire = _found(request, questionnaire_id)
    versions = questionnaire.versions.annotate(
        response_count=Count("responses"), question_count=Count("questions", distinct=True)
    ).order_by("-number")
    return render(
        request,
        "surveys/questionnaire_versions.html",
        {"questionnaire": questionnaire, "versions": versions},
    )


@login_required
@require_POST
def questionnaire_archive_view(request, questionnaire_id: int):
    questionnaire = _found(request, questionnaire_id)
    archived = request.POST.get("archived", "1") == "1"
    do_questionnaire_archive(
        actor=request.user, questionnaire_id=questionnaire.pk, archived=archived
    )
    messages.success(request, _("问卷已归档。") if archived else _("问卷已恢复。"))
    return redirect("surveys:questionnaires")


# --- customers ---------------------------------------------------------------------------------
def _gone(request, error: DomainError):
    return render(
        request,
        "surveys/answer_gone.html",
        {"message": error.message},
        status=GONE_STATUS.get(error.status_code, 410),
    )


def _answer_page(request, *, version, submit, check_open):
    """GET: the form (or why the link is closed); POST: store the answers, thank; a bad
    answer shows the form again with the error next to its question."""
    english = _english()
    if request.method == "GET":
        try:
            check_open()
        except DomainError as error:
            return _gone(request, error)
        context = {
            "questionnaire": version.questionnaire,
            "english": english,
            **answer_form_context(version, english=english),
        }
        return render(request, "surveys/answer.html", context)
    answers = answers_from_form(version, request.POST)
    try:
        response = submit(answers)
    except DomainError as error:
        if error.status_code in GONE_STATUS:
            return _gone(request, error)
        context = {
            "questionnaire": version.questionnaire,
            "english": english,
            **answer_form_context(version, answers=answers, error=error, english=english),
        }
        return render(request, "surveys/answer.html", context, status=error.status_code)
    return render(
        request,
        "surveys/answer_done.html",
        {"questionnaire": version.questionnaire, "response": response, "english": english},
    )


# The link is the credential (no session to ride): CSRF protects nothing here.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("survey_answer", api=False)
def answer_view(request, token: str):
    try:
        invitation, version = access_survey_invitation(token)
    except LinkUnknown as error:
        return _gone(request, error)
    return _answer_page(
        request,
        version=version,
        submit=lambda answers: do_response_submit(
            version=version, answers=answers, invitation=invitation
        ),
        check_open=lambda: check_invitation_open(invitation, now=timezone.now()),
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("survey_answer", api=False)
def open_answer_view(request, token: str):
    try:
        distribution, version = access_open_distribution(token)
    except LinkUnknown as error:
        return _gone(request, error)
    return _answer_page(
        request,
        version=version,
        submit=lambda answers: do_response_submit(
            version=version, answers=answers, distribution=distribution
        ),
        check_open=lambda: check_distribution_open(distribution, now=timezone.now()),
    )
