import socket

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from .services import do_worker_heartbeat


def worker_name() -> str:
    return f"worker@{socket.gethostname()}"


@on_startup()
def heartbeat_on_startup() -> None:
    from django.db import close_old_connections

    close_old_connections()
    do_worker_heartbeat(name=worker_name())


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    do_worker_heartbeat(name=worker_name())


@db_task(retries=3, retry_delay=60)
def send_notification_emails(notification_ids: list[int]) -> None:
    from .notifications import do_notification_emails_send

    do_notification_emails_send(notification_ids=notification_ids)
