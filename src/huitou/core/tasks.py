import socket

from django.conf import settings
from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from .notifications import do_notification_emails_queue
from .outbox import do_outbox_deliver, has_due
from .services import do_worker_heartbeat


def worker_name() -> str:
    return f"worker@{socket.gethostname()}"


@on_startup()
def heartbeat_on_startup() -> None:
    close_old_connections()
    do_worker_heartbeat(name=worker_name())


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    do_worker_heartbeat(name=worker_name())


# A run sends for at most this long, then hands over to a new run: a graceful stop waits
# for the message in hand, not for the whole queue.
DELIVERY_BUDGET_SECONDS = 15


def _deliver() -> None:
    do_outbox_deliver(budget_seconds=DELIVERY_BUDGET_SECONDS)
    if has_due():
        deliver_outbox()


@db_task()
def deliver_outbox() -> None:
    """Send every due e-mail of the outbox (kicked after each commit that adds some)."""
    _deliver()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> None:
    """Every minute: retries whose back-off is over, and messages a dead worker held."""
    _deliver()


@on_startup()
def outbox_on_startup() -> None:
    """A worker that starts after a crash sends what was queued at once, and what the dead
    worker held as soon as its lease runs out, without waiting for the minute's sweep."""
    deliver_outbox()
    deliver_outbox.schedule(delay=settings.HUITOU_OUTBOX_LEASE_SECONDS + 1)


@db_task(retries=3, retry_delay=60)
def send_notification_emails(notification_ids: list[int]) -> None:
    """Tasks queued before the outbox existed (an upgrade): their e-mails join the outbox."""
    do_notification_emails_queue(notification_ids=notification_ids)
