from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.core.pagination import paginate_queryset, querystring_without_page
from huitou.core.periods import Period
from huitou.tickets.views import render_ticket_page

from . import services
from .analysis import analysis_csv, complaint_analysis
from .crisis import do_crisis_alert_acknowledge
from .forms import (
    AcceptForm,
    CallbackForm,
    ClassificationForm,
    ComplaintFilterForm,
    DispatchForm,
    PeriodForm,
    RecoveryForm,
    ReopenForm,
    ReplyBodyForm,
    ResultForm,
    ScoreForm,
)
from .models import DISPATCH_RUBRIC, Complaint
from .qa import (
    do_dispatch_score,
    forbidden_phrase_counts,
    score_rollup_by_agent,
    score_rollup_by_department,
)
from .selectors import (
    access_complaint,
    access_crisis_alert,
    callback_tasks,
    complaint_list,
    crisis_alerts,
)


@dataclass(frozen=True)
class Action:
    form: type
    run: Callable
    done: str


def _classify(user, complaint, data):
    original = Complaint.objects.get(pk=complaint.pk)
    changes = {name: value for name, value in data.items() if value != getattr(original, name)}
    services.do_complaint_classify(actor=user, complaint=complaint, changes=changes)


def _score(user, complaint, data):
    comment = data.pop("comment", "")
    do_dispatch_score(actor=user, complaint=complaint, scores=data, comment=comment)


ACTIONS: dict[str, Action] = {
    "answer": Action(
        ReplyBodyForm,
        lambda user, complaint, data: services.do_complaint_answer(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("已当即答复并结案（首次接触解决）。"),
    ),
    "dispatch": Action(
        DispatchForm,
        lambda user, complaint, data: services.do_complaint_dispatch(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("已派单。"),
    ),
    "accept": Action(
        AcceptForm,
        lambda user, complaint, data: services.do_complaint_accept(actor=user, complaint=complaint),
        gettext_lazy("已接单。"),
    ),
    "result": Action(
        ResultForm,
        lambda user, complaint, data: services.do_complaint_result(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("处理结果已反馈给客服中心。"),
    ),
    "reply": Action(
        ReplyBodyForm,
        lambda user, complaint, data: services.do_complaint_reply(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("已答复客户，回访任务已创建。"),
    ),
    "callback": Action(
        CallbackForm,
        lambda user, complaint, data: services.do_complaint_callback(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("回访已记录。"),
    ),
    "reopen": Action(
        ReopenForm,
        lambda user, complaint, data: services.do_complaint_reopen(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("投诉已重新打开。"),
    ),
    "classify": Action(ClassificationForm, _classify, gettext_lazy("投诉信息已保存。")),
    "recovery": Action(
        RecoveryForm,
        lambda user, complaint, data: services.do_recovery_add(
            actor=user, complaint=complaint, **data
        ),
        gettext_lazy("已登记服务补救。"),
    ),
    "score": Action(ScoreForm, _score, gettext_lazy("派单质量评分已保存。")),
}


def action_form(name: str, complaint: Complaint, data=None):
    """The form of a step; the classification and a given score start from what is saved."""
    if name == "classify":
        return ClassificationForm(data, instance=Complaint.objects.get(pk=complaint.pk))
    if name == "score" and data is None and hasattr(complaint, "dispatch_score"):
        score = complaint.dispatch_score
        initial = {key: getattr(score, key) for key in (*DISPATCH_RUBRIC, "comment")}
        return ScoreForm(initial=initial)
    return ACTIONS[name].form(data)


def _draft_key(ticket_id: int) -> str:
    return f"complaints.draft.{ticket_id}"


def _keep_draft(request, ticket_id: int, action: str, error: DomainError | None) -> None:
    """A refused step's input and reason, for the page the browser is sent back to."""
    data = {
        name: [value[:20000] for value in request.POST.getlist(name)]
        for name in request.POST
        if name != "csrfmiddlewaretoken"
    }
    request.session[_draft_key(ticket_id)] = {
        "action": action,
        "data": data,
        "error": error and {"field": error.field, "message": error.message, "code": error.code},
    }


def complaint_draft_forms(request, complaint: Complaint) -> dict:
    """The refused step's form, bound again with its errors, shown once (Post/Redirect/Get)."""
    draft = request.session.pop(_draft_key(complaint.pk), None)
    if not draft or draft.get("action") not in ACTIONS:
        return {}
    data = QueryDict(mutable=True)
    for name, values in draft["data"].items():
        data.setlist(name, values)
    form = action_form(draft["action"], complaint, data)
    if form.is_valid() and draft["error"]:
        add_domain_error(form, DomainError(**draft["error"]))
    return {draft["action"]: form}


@login_required
@require_POST
def complaint_action_view(request, ticket_id: int, action: str):
    """Post/Redirect/Get: a refused step goes back to the ticket page with its input and the
    reason, so reloading the page never posts it twice."""
    if action not in ACTIONS:
        raise Http404
    complaint = access_complaint(user=request.user, ticket_id=ticket_id)
    form = action_form(action, complaint, request.POST)
    if form.is_valid():
        try:
            ACTIONS[action].run(request.user, complaint, dict(form.cleaned_data))
        except DomainError as error:
            _keep_draft(request, ticket_id, action, error)
        except PermissionDenied as denied:
            # The page again with the reason in the form, answering 403 as the API does.
            form.add_error(None, str(denied) or _("您没有执行此操作的权限。"))
            bound = {"complaint_flow": {action: form}}
            return render_ticket_page(request, complaint.ticket, panel_bound=bound, status=403)
        else:
            messages.success(request, str(ACTIONS[action].done))
            return redirect("tickets:detail", ticket_id=ticket_id)
    else:
        _keep_draft(request, ticket_id, action, None)
    return redirect(reverse("tickets:detail", args=[ticket_id]) + "#complaint-panel")


@login_required
@require_GET
def complaint_list_view(request):
    form = ComplaintFilterForm(request.GET or None)
    filters = {"state": "active"}
    if request.GET and form.is_valid():
        data = form.cleaned_data
        filters = {
            "state": data["state"],
            "q": data["q"],
            "major": True if data["major"] else None,
            "overdue": data["overdue"] or None,
        }
    elif not request.GET:
        form = ComplaintFilterForm(initial=filters)
    page = paginate_queryset(request, complaint_list(user=request.user, **filters))
    return render(
        request,
        "complaints/complaint_list.html",
        {"form": form, "page": page, "querystring": querystring_without_page(request)},
    )


@login_required
@require_GET
def callback_list_view(request):
    due_only = request.GET.get("due") == "1"
    page = paginate_queryset(request, callback_tasks(user=request.user, due_only=due_only))
    return render(
        request,
        "complaints/callback_list.html",
        {"page": page, "due_only": due_only, "querystring": querystring_without_page(request)},
    )


@login_required
def alert_list_view(request):
    if request.method == "POST":
        alert_id = request.POST.get("alert", "")
        if not alert_id.isdigit() or len(alert_id) > 18:
            raise Http404
        alert = access_crisis_alert(user=request.user, alert_id=int(alert_id))
        try:
            do_crisis_alert_acknowledge(
                actor=request.user, alert=alert, note=request.POST.get("note", "")
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("预警已确认。"))
        return redirect("complaints:alerts")
    page = paginate_queryset(request, crisis_alerts(user=request.user))
    return render(request, "complaints/alert_list.html", {"page": page})


def _period(request) -> tuple[PeriodForm, Period]:
    """The period of the filter form; the last 90 days when none (or an invalid one) is given."""
    default = Period.last_days(90)
    if not request.GET:
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(request.GET)
    return form, form.period() or default


@login_required
@require_GET
def analysis_view(request):
    form, period = _period(request)
    analysis = complaint_analysis(user=request.user, period=period)
    if request.GET.get("format") == "csv":
        response = HttpResponse(analysis_csv(analysis), content_type="text/csv; charset=utf-8")
        name = f"complaint-analysis-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    chart = {
        key: [{"name": row["label"], "value": row["count"]} for row in analysis[key]]
        for key in ("by_cause", "by_product", "by_department", "by_severity", "by_behaviour")
    }
    chart["trend"] = analysis["trend"]
    return render(
        request,
        "complaints/analysis.html",
        {
            "form": form,
            "analysis": analysis,
            "chart": chart,
            "querystring": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def qa_view(request):
    if not request.user.has_perm("complaints.view_complaint_analysis"):
        raise PermissionDenied
    form, period = _period(request)
    window = {"start": period.start_at, "end": period.end_at}
    to_score = (
        complaint_list(user=request.user)
        .filter(first_dispatched_at__isnull=False, dispatch_score__isnull=True)
        .exclude(state__in=["dispatched", "accepted"])[:20]
    )
    return render(
        request,
        "complaints/qa.html",
        {
            "form": form,
            "rubric": DISPATCH_RUBRIC,
            "by_agent": score_rollup_by_agent(user=request.user, **window),
            "by_department": score_rollup_by_department(user=request.user, **window),
            "forbidden": forbidden_phrase_counts(user=request.user, **window),
            "to_score": to_score,
        },
    )
