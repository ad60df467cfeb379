"""Staff and customer pages: distribution. The staff list (response rates), the form, open
and close, the invitees; the print page with the QR code of an open link; the phone survey
where an agent keys in the customer's answers; the open link (/s/o/<token>/) anyone may
answer without giving a name; and the surveys section of the customer portal."""

import io
import json

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huitou.core.errors import DomainError
from huitou.core.forms import DateTimeField, add_domain_error
from huitou.core.pagination import paginate_queryset
from huitou.customers.models import Stage, Tag, Tier
from huitou.portal.sections import register_section

from ..answer_form import answer_form_context, answers_from_form
from ..answers import do_response_submit
from ..distribution import (
    access_distribution,
    access_phone_distribution,
    access_phone_invitation,
    answer_url,
    check_may_enter,
    check_may_manage,
    distribution_list,
    do_distribution_close,
    do_distribution_create,
    do_distribution_open,
    do_distribution_update,
    invitee_list,
    open_url,
    phone_distributions,
    portal_surveys,
    response_rate,
)
from ..distribution_checks import OPEN_FIELDS, PRESETS
from ..models import Distribution, InviteState, Questionnaire

CHANNEL_LABELS = {"email": gettext_lazy("电子邮件"), "sms": gettext_lazy("短信"),
                  "link": gettext_lazy("链接 / 二维码")}  # fmt: skip


class DistributionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=200)
    questionnaire = forms.ModelChoiceField(
        label=gettext_lazy("问卷"),
        queryset=Questionnaire.objects.filter(archived=False, current_version__isnull=False),
    )
    audience = forms.ChoiceField(label=gettext_lazy("对象"), choices=Distribution.Audience.choices)
    tier = forms.MultipleChoiceField(
        label=gettext_lazy("价值等级"), choices=Tier.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    stage = forms.MultipleChoiceField(
        label=gettext_lazy("生命周期阶段"), choices=Stage.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    tag = forms.ModelMultipleChoiceField(
        label=gettext_lazy("标签"), queryset=Tag.objects.all(), to_field_name="name",
        required=False,
    )  # fmt: skip
    contact_min = forms.IntegerField(
        label=gettext_lazy("距最近联系至少（天）"), required=False, min_value=0
    )
    contact_max = forms.IntegerField(
        label=gettext_lazy("距最近联系至多（天）"), required=False, min_value=0
    )
    sample_percent = forms.IntegerField(label=gettext_lazy("抽样比例 %"), initial=100)
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("发放渠道"), choices=list(CHANNEL_LABELS.items()), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    quota = forms.IntegerField(label=gettext_lazy("配额（够数即止）"), required=False)
    opens_at = DateTimeField(label=gettext_lazy("开始时间"), required=False)
    closes_at = DateTimeField(label=gettext_lazy("截止时间"), required=False)
    remind_after_days = forms.IntegerField(label=gettext_lazy("几天后提醒"), required=False)
    max_reminders = forms.IntegerField(label=gettext_lazy("最多提醒次数"), initial=1)
    in_portal = forms.BooleanField(label=gettext_lazy("在客户门户展示"), required=False)

    FIELD_MAP = {"segment.tier": "tier", "segment.stage": "stage", "segment.tag": "tag",
                 "segment.last_contact_days": "contact_min"}  # fmt: skip

    def data_for_service(self, *, only=None) -> dict:
        """The service's fields from the cleaned form."""
        cleaned = self.cleaned_data
        days = {
            key: cleaned[name]
            for key, name in (("min", "contact_min"), ("max", "contact_max"))
            if cleaned.get(name) is not None
        }
        segment = {
            "tier": cleaned["tier"],
            "stage": cleaned["stage"],
            "tag": [tag.name for tag in cleaned["tag"]],
            "last_contact_days": days,
        }
        data = {
            "name": cleaned["name"],
            "questionnaire": cleaned["questionnaire"].pk,
            "audience": cleaned["audience"],
            "segment": segment,
            "sample_percent": cleaned["sample_percent"],
            "channels": cleaned["channels"],
            "quota": cleaned["quota"],
            "opens_at": cleaned["opens_at"],
            "closes_at": cleaned["closes_at"],
            "remind_after_days": cleaned["remind_after_days"],
            "max_reminders": cleaned["max_reminders"],
            "in_portal": cleaned["in_portal"],
        }
        return {key: value for key, value in data.items() if only is None or key in only}


def _initial(distribution: Distribution) -> dict:
    segment = distribution.segment or {}
    days = segment.get("last_contact_days") or {}
    return {
        "name": distribution.name,
        "questionnaire": distribution.questionnaire_id,
        "audience": distribution.audience,
        "tier": segment.get("tier", []),
        "stage": segment.get("stage", []),
        "tag": segment.get("tag", []),
        "contact_min": days.get("min"),
        "contact_max": days.get("max"),
        "sample_percent": distribution.sample_percent,
        "channels": distribution.channels,
        "quota": distribution.quota,
        "opens_at": distribution.opens_at,
        "closes_at": distribution.closes_at,
        "remind_after_days": distribution.remind_after_days,
        "max_reminders": distribution.max_reminders,
        "in_portal": distribution.in_portal,
    }


def _preset_initial(preset: str) -> dict:
    template = PRESETS.get(preset)
    if template is None:
        return {"sample_percent": 100, "max_reminders": 1}
    segment = template.get("segment", {})
    days = segment.get("last_contact_days") or {}
    return {
        "name": str(template["name"]),
        "audience": template["audience"],
        "tier": segment.get("tier", []),
        "stage": segment.get("stage", []),
        "contact_min": days.get("min"),
        "contact_max": days.get("max"),
        "channels": template.get("channels", []),
        "in_portal": template.get("in_portal", False),
        "sample_percent": 100,
        "max_reminders": 1,
    }


def _found(request, distribution_id: int) -> Distribution:
    try:
        return access_distribution(user=request.user, distribution_id=distribution_id)
    except DomainError:
        raise Http404 from None


# --- staff pages -------------------------------------------------------------------------------
@login_required
@require_GET
def distributions_view(request):
    check_may_manage(request.user)
    state = request.GET.get("state", "")
    if state not in ("", *Distribution.State.values):
        state = ""
    page = paginate_queryset(request, distribution_list(user=request.user, state=state))
    for row in page:
        row.rate = response_rate(row)
    presets = [(key, str(value["name"])) for key, value in PRESETS.items()]
    return render(
        request,
        "surveys/distribution_list.html",
        {"page": page, "state": state, "states": Distribution.State.choices, "presets": presets},
    )


@login_required
@require_http_methods(["GET", "POST"])
def distribution_new_view(request):
    check_may_manage(request.user)
    if request.method != "POST":
        form = DistributionForm(initial=_preset_initial(request.GET.get("preset", "")))
        return render(request, "surveys/distribution_form.html", {"form": form})
    form = DistributionForm(request.POST)
    if form.is_valid():
        try:
            made = do_distribution_create(actor=request.user, data=form.data_for_service())
        except DomainError as error:
            add_domain_error(form, error, field_map=DistributionForm.FIELD_MAP)
        else:
            messages.success(request, _("已保存调查发放（草稿）。"))
            return redirect("surveys:distribution", distribution_id=made.pk)
    return render(request, "surveys/distribution_form.html", {"form": form}, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def distribution_edit_view(request, distribution_id: int):
    distribution = _found(request, distribution_id)
    context = {"distribution": distribution}
    if request.method != "POST":
        context["form"] = DistributionForm(initial=_initial(distribution))
        return render(request, "surveys/distribution_form.html", context)
    form = DistributionForm(request.POST)
    context["form"] = form
    if form.is_valid():
        only = OPEN_FIELDS if distribution.state == Distribution.State.OPEN else None
        try:
            do_distribution_update(
                actor=request.user,
                distribution_id=distribution.pk,
                data=form.data_for_service(only=only),
            )
        except DomainError as error:
            add_domain_error(form, error, field_map=DistributionForm.FIELD_MAP)
        else:
            messages.success(request, _("已保存。"))
            return redirect("surveys:distribution", distribution_id=distribution.pk)
    return render(request, "surveys/distribution_form.html", context, status=422)


@login_required
@require_GET
def distribution_view(request, distribution_id: int):
    distribution = _found(request, distribution_id)
    state = request.GET.get("state", "")
    if state not in ("", *InviteState.values):
        state = ""
    page = paginate_queryset(request, invitee_list(distribution, state=state))
    for row in page:
        row.url = answer_url(row)
    return render(
        request,
        "surveys/distribution_detail.html",
        {
            "distribution": distribution,
            "rate": response_rate(distribution),
            "page": page,
            "state": state,
            "states": InviteState.choices,
            "public_url": open_url(distribution)
            if distribution.audience == Distribution.Audience.OPEN
            else "",
            "channel_labels": CHANNEL_LABELS,
            "segment": _segment_lines(distribution.segment or {}),
        },
    )


def _segment_lines(segment: dict) -> list[tuple[str, str]]:
    """The segment in words: (what, which) pairs such as (价值等级, A、B)."""
    stages = dict(Stage.choices)
    lines = []
    if segment.get("tier"):
        lines.append((_("价值等级"), "、".join(segment["tier"])))
    if segment.get("stage"):
        lines.append(
            (_("生命周期阶段"), "、".join(str(stages.get(v, v)) for v in segment["stage"]))
        )
    if segment.get("tag"):
        lines.append((_("标签"), "、".join(segment["tag"])))
    days = segment.get("last_contact_days") or {}
    if days:
        lines.append(
            (
                _("距上次联系（天）"),
                f"{days.get('min', 0)}–{days['max']}" if "max" in days else f"≥ {days['min']}",
            )
        )
    return lines


def _act(request, distribution_id: int, action, done: str):
    _found(request, distribution_id)
    try:
        action(actor=request.user, distribution_id=distribution_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("surveys:distribution", distribution_id=distribution_id)


@login_required
@require_POST
def distribution_open_view(request, distribution_id: int):
    return _act(request, distribution_id, do_distribution_open, _("调查已开始。"))


@login_required
@require_POST
def distribution_close_view(request, distribution_id: int):
    return _act(request, distribution_id, do_distribution_close, _("调查已结束。"))


def _open_audience(request, distribution_id: int) -> Distribution:
    distribution = _found(request, distribution_id)
    if distribution.audience != Distribution.Audience.OPEN:
        raise Http404
    return distribution


@login_required
@require_GET
def distribution_qr_view(request, distribution_id: int):
    """The open link as an SVG QR code (no Pillow: qrcode's own SVG writer)."""
    distribution = _open_audience(request, distribution_id)
    image = qrcode.make(open_url(distribution), image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def distribution_print_view(request, distribution_id: int):
    distribution = _open_audience(request, distribution_id)
    return render(
        request,
        "surveys/distribution_print.html",
        {"distribution": distribution, "public_url": open_url(distribution)},
    )


# --- the phone survey ------------------------------------------------------------------------
@login_required
@require_GET
def phone_surveys_view(request):
    check_may_enter(request.user)
    return render(
        request,
        "surveys/distribution_phone_list.html",
        {"distributions": phone_distributions(user=request.user)},
    )


@login_required
@require_GET
def phone_invitees_view(request, distribution_id: int):
    check_may_enter(request.user)
    try:
        distribution = access_phone_distribution(user=request.user, distribution_id=distribution_id)
    except DomainError:
        raise Http404 from None
    page = paginate_queryset(request, invitee_list(distribution))
    return render(
        request,
        "surveys/distribution_phone_invitees.html",
        {"distribution": distribution, "page": page},
    )


def _posted_answers(request, version) -> dict:
    """The answers of a JSON body {answers} or of the answer form."""
    if request.content_type != "application/json":
        return answers_from_form(version, request.POST)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise DomainError(_("请求体不是有效的 JSON。"), field="answers") from None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        raise DomainError(_("答案须为以题号为键的对象。"), field="answers")
    return answers


@login_required
@require_http_methods(["GET", "POST"])
def phone_entry_view(request, distribution_id: int, invitation_id: int):
    check_may_enter(request.user)
    try:
        invitation = access_phone_invitation(
            user=request.user, distribution_id=distribution_id, invitation_id=invitation_id
        )
    except DomainError:
        raise Http404 from None
    version = invitation.version
    context = {
        "invitation": invitation,
        "distribution": invitation.distribution,
        "questionnaire": version.questionnaire,
    }
    if request.method == "POST":
        answers = {}
        try:
            answers = _posted_answers(request, version)
            do_response_submit(
                version=version, answers=answers, invitation=invitation, entered_by=request.user
            )
        except DomainError as error:
            if request.content_type == "application/json":
                return JsonResponse({"detail": error.as_detail()}, status=error.status_code)
            context.update(answer_form_context(version, answers=answers, error=error))
            return render(
                request, "surveys/distribution_phone_entry.html", context, status=error.status_code
            )
        if request.content_type == "application/json":
            return JsonResponse({"ok": True}, status=201)
        messages.success(request, _("已录入答卷。"))
        return redirect("surveys:phone_invitees", distribution_id=distribution_id)
    context.update(answer_form_context(version))
    return render(request, "surveys/distribution_phone_entry.html", context)


# --- the customer portal -----------------------------------------------------------------------
def portal_section_context(request, scope) -> dict | None:
    if not scope.customer_ids:
        return None
    surveys = portal_surveys(customer_ids=scope.customer_ids)
    return {"surveys": surveys} if surveys else None


def register_portal_section() -> None:
    register_section(
        name="surveys",
        template="surveys/distribution_portal_section.html",
        context=portal_section_context,
    )
