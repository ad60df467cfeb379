from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .services import do_sms_deliver, has_due_sms


@db_task()
def deliver_sms_notifications() -> None:
    """Send the due text-message notifications (kicked after each commit that adds some)."""
    do_sms_deliver()


@db_periodic_task(crontab(minute="*"))
def sms_notifications_sweep() -> None:
    """Every minute: retries whose back-off is over, and texts a dead worker held."""
    if has_due_sms():
        do_sms_deliver()
