"""The satisfaction analysis page (满意度, the top bar's link), its export and themes, and an
agent's own ratings. The figures come from surveys.figures, the same the API serves."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from huitou.core.errors import DomainError
from huitou.core.pagination import paginate_queryset
from huitou.core.periods import Period, checked_period
from huitou.core.permissions import check_permission
from huitou.customers.exporting import to_csv, to_xlsx
from huitou.knowledge.analytics import cluster_questions
from huitou.tickets.models import Channel, TicketType

from .. import figures
from ..figures import Scope
from ..models import Questionnaire
from ..rating import rating_labels, rating_settings, reason_choices

DIMENSION_LABELS = {
    "agent": gettext_lazy("客服"),
    "department": gettext_lazy("部门"),
    "queue": gettext_lazy("队列"),
    "channel": gettext_lazy("渠道"),
    "tier": gettext_lazy("价值等级"),
    "ticket_type": gettext_lazy("工单类型"),
    "questionnaire": gettext_lazy("问卷"),
}
THEME_TEXTS = 200  # the latest texts clustered on the page (the embedding is per text)


class AnalysisForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("开始日期"), required=False)
    end = forms.DateField(label=gettext_lazy("结束日期"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("渠道"), required=False)
    tier = forms.ChoiceField(
        label=gettext_lazy("价值等级"), required=False,
        choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")],
    )  # fmt: skip
    ticket_type = forms.ChoiceField(label=gettext_lazy("工单类型"), required=False)
    questionnaire = forms.ModelChoiceField(
        label=gettext_lazy("问卷"), required=False, queryset=Questionnaire.objects.order_by("code")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "—"), *Channel.choices]
        self.fields["ticket_type"].choices = [("", "—"), *TicketType.choices]

    def scope(self) -> Scope:
        default = Period.last_days(90)
        if not self.is_valid():
            return Scope(period=default)
        data = self.cleaned_data
        try:
            period = checked_period(data["start"] or default.start, data["end"] or default.end)
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            period = default
        filters = {
            "channel": data["channel"],
            "tier": data["tier"],
            "ticket_type": data["ticket_type"],
            "questionnaire": data["questionnaire"].pk if data["questionnaire"] else None,
        }
        return Scope(period=period, filters={k: v for k, v in filters.items() if v})


def _form_and_scope(request) -> tuple[AnalysisForm, Scope]:
    if not request.GET:
        default = Period.last_days(90)
        form = AnalysisForm(initial={"start": default.start, "end": default.end})
        return form, Scope(period=default)
    form = AnalysisForm(request.GET)
    return form, form.scope()


@login_required
@require_GET
def home_view(request):
    check_permission(request.user, "surveys.view_survey_analysis")
    form, scope = _form_and_scope(request)
    user = request.user
    # One scan of the answer sheets for the breakdowns of few values, the cross-tab and the
    # total (at most a few thousand groups), one for the agents (whose forty-odd values
    # would multiply the groups), and one of the answers for the indicators and SERVQUAL
    # (bench/survey_analysis.py).
    dimensions = ("channel", "tier", "ticket_type", "department", "questionnaire")
    cube = figures.Cube(user=user, scope=scope, dimensions=dimensions)
    by_dimension = {by: cube.breakdown(by) for by in dimensions}
    by_dimension["agent"] = figures.breakdown(user=user, scope=scope, by="agent")
    answers = figures.AnswerGroups(user=user, scope=scope)
    servqual, indicators = answers.servqual(), answers.indicators()
    crosstab = cube.crosstab("channel", "tier")
    summary = {**cube.total(), **figures.response_rate(user=user, scope=scope)}
    span = (scope.period.end - scope.period.start).days
    period = "day" if span <= 31 else "week" if span <= 200 else "month"
    chart = {
        "trend": figures.trend(user=user, scope=scope, period=period),
        "breakdowns": {by: rows[:15] for by, rows in by_dimension.items() if by != "agent"},
        "servqual": servqual,
        "indicators": indicators,
        "labels": {by: str(label) for by, label in DIMENSION_LABELS.items()},
        "names": {
            "csat": _("满意率（CSAT）"),
            "average": _("平均分"),
            "nps": _("净推荐值（NPS）"),
            "expectation": _("期望"),
            "perception": _("感知"),
            "gap": _("差距（感知 − 期望）"),
            "importance": _("重要性"),
            "performance": _("表现"),
            "responses": _("答卷数"),
        },
    }
    return render(
        request,
        "surveys/home.html",
        {
            "form": form,
            "period": scope.period,
            "summary": summary,
            "by_dimension": by_dimension,
            "dimension_labels": DIMENSION_LABELS,
            "servqual": servqual,
            "indicators": indicators,
            "crosstab": crosstab,
            "crosstab_rows": [
                {"label": row["label"], "cells": cells}
                for row, cells in zip(crosstab["rows"], crosstab["cells"], strict=True)
            ],
            "chart": chart,
            "querystring": request.GET.urlencode(),
            "chart_dims": ("channel", "tier", "ticket_type", "department", "questionnaire"),
            "table_dims": ("agent", "department", "channel", "tier"),
        },
    )


@login_required
@require_GET
def themes_view(request):
    """Free-text answers grouped by theme (the bot analytics' clustering); its own request,
    so the page does not wait for the embedding."""
    check_permission(request.user, "surveys.view_survey_analysis")
    _form, scope = _form_and_scope(request)
    texts = list(dict.fromkeys(figures.texts(user=request.user, scope=scope)))[:THEME_TEXTS]
    return render(request, "surveys/_themes.html", {"themes": cluster_questions(texts, limit=12)})


EXPORT_COLUMNS = (
    gettext_lazy("答卷"),
    gettext_lazy("回答时间"),
    gettext_lazy("问卷"),
    gettext_lazy("工单"),
    gettext_lazy("渠道"),
    gettext_lazy("价值等级"),
    gettext_lazy("工单类型"),
    gettext_lazy("部门"),
    gettext_lazy("客服"),
    gettext_lazy("满意度"),
    gettext_lazy("不满意原因"),
    gettext_lazy("推荐意愿（0–10）"),
    gettext_lazy("意见"),
)


@login_required
@require_GET
def export_view(request, fmt: str):
    """The period's answer sheets, one row each, as CSV or XLSX."""
    check_permission(request.user, "surveys.view_survey_analysis")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _form, scope = _form_and_scope(request)
    rows = (
        figures.sheets(user=request.user, scope=scope)
        .select_related("questionnaire", "ticket", "department", "agent")
        .order_by("answered_at", "pk")
    )
    labels = {item["value"]: item["label"] for item in rating_labels(rating_settings())}
    reasons = {item["value"]: item["label"] for item in reason_choices(rating_settings())}
    data = (
        [
            row.pk,
            row.answered_at.strftime("%Y-%m-%d %H:%M"),
            row.questionnaire.code if row.questionnaire_id else _("服务评价"),
            row.ticket.number if row.ticket_id else "",
            row.channel,
            row.tier,
            row.ticket_type,
            row.department.name if row.department_id else "",
            row.agent.display_name if row.agent_id else "",
            labels.get(row.rating, "") if row.rating else "",
            reasons.get(row.reason, row.reason),
            row.nps if row.nps is not None else "",
            row.comment,
        ]
        for row in rows.iterator(chunk_size=2000)
    )
    columns = [str(column) for column in EXPORT_COLUMNS]
    name = f"satisfaction-{scope.period.start:%Y%m%d}-{scope.period.end:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(to_xlsx(columns, data), content_type=content_type)
    else:
        response = HttpResponse(to_csv(columns, data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def mine_view(request):
    """What customers said of my work: my figures and my latest ratings with comments."""
    check_permission(request.user, "tickets.view_ticket")
    default = Period.last_days(90)
    scope = Scope(period=default, filters={"agent": request.user.pk})
    rows = figures.sheets(user=request.user, scope=scope).filter(rating__isnull=False)
    page = paginate_queryset(request, rows.select_related("ticket").order_by("-answered_at", "-pk"))
    config = rating_settings()
    return render(
        request,
        "surveys/mine.html",
        {
            "summary": figures.summary(user=request.user, scope=scope),
            "page": page,
            "period": default,
            "labels": {item["value"]: item["label"] for item in rating_labels(config)},
            "reasons": {item["value"]: item["label"] for item in reason_choices(config)},
        },
    )
