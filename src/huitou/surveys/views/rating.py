"""The customer's rating page (no login: the link's token is the key; a phone-sized page) and
the supervisors' follow-ups of low ratings. POST to the link answers it, as a form from the
page or as JSON {rating, comment, reason} from any client."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from huitou.core.errors import DomainError
from huitou.core.pagination import paginate_queryset
from huitou.core.ratelimit import rate_limited

from ..answer_form import answer_form_context, answers_from_form
from ..models import FollowUp, InviteState
from ..rating import (
    LinkNotFound,
    access_invitation,
    change_url,
    check_may_follow_up,
    do_follow_up_done,
    do_rating_submit,
    rating_labels,
    rating_settings,
    reason_choices,
)
from ..selectors import follow_up_list

CHANGE_COOKIE = "huitou_rating_change"


def _wants_json(request) -> bool:
    return request.content_type == "application/json"


def _json_error(error: DomainError) -> JsonResponse:
    return JsonResponse({"detail": error.as_detail()}, status=error.status_code)


def _answer_context(invitation, config, *, error=None, values=None, answers=None) -> dict:
    extra = {}
    if invitation.version_id:  # the rule's questionnaire, below the rating
        english = (translation.get_language() or "").startswith("en")
        extra = answer_form_context(
            invitation.version, answers=answers, error=error, english=english
        )
    return {
        **extra,
        "invitation": invitation,
        "ticket": invitation.ticket,
        "labels": rating_labels(config),
        "reasons": reason_choices(config),
        "low_at_most": config.low_at_most,
        "change_days": config.change_days,
        "error": error,
        "values": values or {},
    }


# The link is the credential (no session, no cookie to forge): CSRF protects nothing here.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@rate_limited("survey_answer", api=False)
def rate_view(request, token: str):
    try:
        invitation = access_invitation(token)
    except LinkNotFound as error:
        if _wants_json(request):
            return _json_error(error)
        return render(request, "surveys/rate_gone.html", {"message": error.message}, status=404)
    config = rating_settings()
    change = request.GET.get("change") or request.COOKIES.get(
        f"{CHANGE_COOKIE}_{invitation.pk}", ""
    )
    if request.method == "GET":
        return _rate_page(request, invitation, config, change=change)
    if _wants_json(request):
        return _rate_json(request, token, change)
    values = {key: request.POST.get(key, "") for key in ("rating", "comment", "reason")}
    answers = answers_from_form(invitation.version, request.POST) if invitation.version_id else {}
    try:
        response = do_rating_submit(
            token=token, change=request.POST.get("change", ""), answers=answers, **values
        )
    except DomainError as error:
        if error.status_code in (409, 410):
            return render(
                request,
                "surveys/rate_gone.html",
                {"message": error.message},
                status=error.status_code,
            )
        context = _answer_context(invitation, config, error=error, values=values, answers=answers)
        return render(request, "surveys/rate.html", context, status=error.status_code)
    page = render(
        request,
        "surveys/rate_done.html",
        {
            "response": response,
            "change_url": change_url(invitation, response),
            "change_days": config.change_days,
        },
    )
    key = change_url(invitation, response).rsplit("change=", 1)[1]
    page.set_cookie(
        f"{CHANGE_COOKIE}_{invitation.pk}", key, max_age=config.change_days * 86400,
        httponly=True, samesite="Lax", secure=request.is_secure(),
    )  # fmt: skip
    return page


def _rate_page(request, invitation, config, *, change: str):
    if invitation.state == InviteState.ANSWERED:
        response = invitation.response
        if not change:
            return render(
                request,
                "surveys/rate_gone.html",
                {
                    "message": _("本次服务已经评价过了，感谢您的反馈。"),
                    "answered": response,
                    "answered_label": dict(
                        (item["value"], item["label"]) for item in rating_labels(config)
                    ).get(response.rating, response.rating),
                },
            )
        values = {
            "rating": str(response.rating),
            "comment": response.comment,
            "reason": response.reason,
        }
        context = _answer_context(invitation, config, values=values)
        context["change"] = change
        return render(request, "surveys/rate.html", context)
    if invitation.state in (InviteState.SKIPPED, InviteState.EXPIRED) or invitation.is_expired():
        return render(
            request, "surveys/rate_gone.html", {"message": _("评价链接已过期。")}, status=410
        )
    return render(request, "surveys/rate.html", _answer_context(invitation, config))


def _rate_json(request, token: str, change: str):
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"detail": [{"loc": ["body"], "msg": _("请求体不是有效的 JSON。")}]}, status=400
        )
    if not isinstance(data, dict):
        return JsonResponse(
            {"detail": [{"loc": ["body"], "msg": _("请求体须为 JSON 对象。")}]}, status=400
        )
    try:
        response = do_rating_submit(
            token=token,
            rating=data.get("rating"),
            comment=data.get("comment", ""),
            reason=data.get("reason", ""),
            answers=data.get("answers") if isinstance(data.get("answers"), dict) else {},
            change=data.get("change", "") or change,
        )
    except DomainError as error:
        return _json_error(error)
    invitation = response.invitation
    return JsonResponse(
        {
            "rating": response.rating,
            "comment": response.comment,
            "reason": response.reason,
            "answered_at": response.answered_at.isoformat(),
            "changed_at": response.changed_at.isoformat() if response.changed_at else None,
            "change_url": change_url(invitation, response),
        }
    )


# --- follow-ups --------------------------------------------------------------------------------
@login_required
def follow_ups_view(request):
    check_may_follow_up(request.user)
    state = request.GET.get("state", FollowUp.State.OPEN)
    if state not in (FollowUp.State.OPEN, FollowUp.State.DONE, ""):
        state = FollowUp.State.OPEN
    page = paginate_queryset(request, follow_up_list(user=request.user, state=state))
    labels = {item["value"]: item["label"] for item in rating_labels(rating_settings())}
    reasons = {item["value"]: item["label"] for item in reason_choices(rating_settings())}
    return render(
        request,
        "surveys/follow_ups.html",
        {"page": page, "state": state, "labels": labels, "reasons": reasons},
    )


@login_required
def follow_up_view(request, follow_up_id: int):
    check_may_follow_up(request.user)
    follow_up = follow_up_list(user=request.user, state="").filter(pk=follow_up_id).first()
    if follow_up is None:
        raise Http404
    config = rating_settings()
    labels = {item["value"]: item["label"] for item in rating_labels(config)}
    reasons = {item["value"]: item["label"] for item in reason_choices(config)}
    return render(
        request,
        "surveys/follow_up.html",
        {
            "follow_up": follow_up,
            "response": follow_up.response,
            "labels": labels,
            "reasons": reasons,
        },
    )


@login_required
@require_POST
def follow_up_done_view(request, follow_up_id: int):
    if not follow_up_list(user=request.user, state="").filter(pk=follow_up_id).exists():
        check_may_follow_up(request.user)
        raise Http404
    try:
        do_follow_up_done(
            actor=request.user, follow_up_id=follow_up_id, outcome=request.POST.get("outcome", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("surveys:follow_up", follow_up_id=follow_up_id)
    messages.success(request, _("已记录跟进结果。"))
    return redirect("surveys:follow_ups")
