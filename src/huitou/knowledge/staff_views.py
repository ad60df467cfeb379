from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from huitou.core.errors import DomainError
from huitou.core.periods import Period, checked_period

from .analytics import bot_analytics

REASON_LABELS = {
    "customer_request": gettext_lazy("客户要求人工"),
    "no_answer": gettext_lazy("无法回答"),
    "angry": gettext_lazy("客户情绪激动"),
}


@login_required
def bot_analytics_view(request):
    if not request.user.has_perm("core.view_reports"):
        raise PermissionDenied
    period = Period.last_days(30)
    error = ""
    if request.GET.get("start") or request.GET.get("end"):
        try:
            period = checked_period(
                date.fromisoformat(request.GET["start"]) if request.GET.get("start") else None,
                date.fromisoformat(request.GET["end"]) if request.GET.get("end") else None,
            )
        except (ValueError, DomainError) as problem:
            error = getattr(problem, "message", str(problem))
    data = bot_analytics(user=request.user, start=period.start_at, end=period.end_at)
    data["reasons"] = [
        (str(REASON_LABELS.get(code, code or "—")), count)
        for code, count in data["handoff_reasons"].items()
    ]
    return render(
        request, "knowledge/analytics.html", {"data": data, "period": period, "error": error}
    )
