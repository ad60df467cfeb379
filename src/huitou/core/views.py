from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .notifications import do_notification_read, user_notifications
from .pagination import paginate_queryset
from .selectors import health_report


@never_cache
@require_GET
def healthz(request):
    report = health_report()
    last_seen = report.worker_last_seen
    body = {
        "status": "ok" if report.ok else "fail",
        "database": "ok" if report.database_ok else f"fail: {report.database_error}",
        "worker": "ok" if report.worker_ok else ("stale" if last_seen else "missing"),
        "worker_last_seen": last_seen.isoformat() if last_seen else None,
    }
    return JsonResponse(body, status=200 if report.ok else 503)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon."""
    return redirect(static("huitou/favicon.svg"))  # not 301: the hashed name changes


@login_required
def notifications_view(request):
    """The notification centre: newest first; POST marks one (or all) read."""
    if request.method == "POST":
        notification_id = request.POST.get("notification")
        do_notification_read(
            user=request.user,
            notification_id=int(notification_id) if (notification_id or "").isdigit() else None,
        )
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("notifications")
    page = paginate_queryset(request, user_notifications(user=request.user))
    return render(request, "core/notifications.html", {"page": page, "querystring": ""})
