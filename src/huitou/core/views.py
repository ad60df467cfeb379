from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
