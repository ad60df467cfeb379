import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthReport:
    database_ok: bool
    database_error: str
    worker_ok: bool
    worker_last_seen: datetime | None

    @property
    def ok(self) -> bool:
        return self.database_ok and self.worker_ok


def health_report() -> HealthReport:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure makes the service unhealthy
        logger.exception("health check: database unreachable")
        return HealthReport(False, "unreachable", False, None)
    last_seen = (
        WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    )
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS
    worker_ok = last_seen is not None and (timezone.now() - last_seen).total_seconds() <= max_age
    return HealthReport(True, "", worker_ok, last_seen)
