from django.utils import timezone

from .models import WorkerHeartbeat


def do_worker_heartbeat(*, name: str = "worker") -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now()}
    )
    return heartbeat
