"""The quality-evaluation rounds [000]: the list, a round's page that walks its six stages
(surveys.manage_surveys), and the printable report (surveys.view_survey_analysis)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huitou.core.errors import DomainError
from huitou.core.pagination import paginate_queryset

from ..evaluation import (
    EDITABLE,
    EvaluationNotFound,
    access_evaluation,
    check_may_run,
    collect_figures,
    distribution_choices,
    do_evaluation_advance,
    do_evaluation_analyse,
    do_evaluation_create,
    do_evaluation_issue,
    do_evaluation_update,
    evaluation_list,
    process_summary,
    questionnaire_choices,
)
from ..evaluation_report import report_rows, stage_steps
from ..models import EvaluationRound

FORM_FIELDS = (
    "name", "aims", "scope", "respondents", "plan", "period_start", "period_end",
    "questionnaire", "distribution", "findings", "actions",
)  # fmt: skip


PLAN_FIELDS = ("name", "aims", "scope", "respondents", "plan", "period_start", "period_end")


def _plan_values(source) -> dict:
    """The plan form's values: from a round, or from what was posted (`source` a dict)."""
    get = source.get if isinstance(source, dict) else lambda field, default: getattr(source, field)
    values = {field: get(field, "") for field in PLAN_FIELDS}
    for field in ("period_start", "period_end"):
        # A date for the template's ISO filter (a browser's date input sends only ISO).
        if isinstance(values[field], str):
            try:
                values[field] = parse_date(values[field])
            except ValueError:  # well formed but not a date, such as 2026-02-30
                values[field] = None
    values["inputs"] = list(get("inputs", []))
    return values


def _round(request, round_id: int, *, run: bool) -> EvaluationRound:
    try:
        return access_evaluation(user=request.user, round_id=round_id, run=run)
    except EvaluationNotFound:
        raise Http404 from None


def _form_data(request, fields) -> dict:
    data = {field: request.POST[field] for field in FORM_FIELDS if field in request.POST}
    if "inputs" in fields and "name" in request.POST:  # the plan form (its checkboxes)
        data["inputs"] = request.POST.getlist("inputs")
    return {field: value for field, value in data.items() if field in fields}


@login_required
def evaluations_view(request):
    page = paginate_queryset(request, evaluation_list(user=request.user))
    return render(
        request,
        "surveys/evaluation_list.html",
        {"page": page, "may_run": request.user.has_perm("surveys.manage_surveys")},
    )


@login_required
def evaluation_new_view(request):
    check_may_run(request.user)
    error, values = None, _plan_values({"inputs": [EvaluationRound.Input.SATISFACTION]})
    if request.method == "POST":
        data = _form_data(request, EDITABLE[EvaluationRound.Stage.PLAN])
        values = _plan_values(data)
        try:
            made = do_evaluation_create(actor=request.user, data=data)
        except DomainError as caught:
            error = caught
        else:
            messages.success(request, _("已创建测评，请完善测评计划。"))
            return redirect("surveys:evaluation", round_id=made.pk)
    return render(
        request,
        "surveys/evaluation_new.html",
        {"error": error, "values": values, "inputs": EvaluationRound.Input.choices},
        status=error.status_code if error else 200,
    )


@login_required
def evaluation_view(request, round_id: int):
    round_ = _round(request, round_id, run=True)
    context = {
        "round": round_,
        "values": _plan_values(round_),
        "steps": stage_steps(round_),
        "editable": EDITABLE[round_.stage] if round_.reported_at is None else set(),
        "inputs": EvaluationRound.Input.choices,
        "questionnaires": questionnaire_choices(),
        "distributions": distribution_choices(round_),
        "collect": collect_figures(round_),
    }
    if round_.stage in ("process", "analyse", "report"):
        context["process"] = process_summary(round_)
    if round_.analysed_at is not None:
        context["report"] = report_rows(round_.results)
    return render(request, "surveys/evaluation_round.html", context)


def _act(request, round_id: int, action, success: str):
    _round(request, round_id, run=True)
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("surveys:evaluation", round_id=round_id)


@login_required
@require_POST
def evaluation_save_view(request, round_id: int):
    round_ = _round(request, round_id, run=True)
    data = _form_data(request, EDITABLE[round_.stage])
    return _act(
        request,
        round_id,
        lambda: do_evaluation_update(actor=request.user, round_id=round_id, data=data),
        _("已保存。"),
    )


@login_required
@require_POST
def evaluation_advance_view(request, round_id: int):
    to = request.POST.get("to", "")
    return _act(
        request,
        round_id,
        lambda: do_evaluation_advance(actor=request.user, round_id=round_id, to=to),
        _("已进入下一阶段。") if not to else _("已切换阶段。"),
    )


@login_required
@require_POST
def evaluation_analyse_view(request, round_id: int):
    return _act(
        request,
        round_id,
        lambda: do_evaluation_analyse(actor=request.user, round_id=round_id),
        _("已完成分析。"),
    )


@login_required
@require_POST
def evaluation_issue_view(request, round_id: int):
    return _act(
        request,
        round_id,
        lambda: do_evaluation_issue(actor=request.user, round_id=round_id),
        _("报告已发布。"),
    )


@login_required
def evaluation_report_view(request, round_id: int):
    round_ = _round(request, round_id, run=False)
    if round_.analysed_at is None:
        raise Http404
    return render(
        request,
        "surveys/evaluation_report.html",
        {
            "round": round_,
            "report": report_rows(round_.results),
            "inputs": dict(EvaluationRound.Input.choices),
            "may_run": request.user.has_perm("surveys.manage_surveys"),
        },
    )
