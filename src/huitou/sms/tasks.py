from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import do_sms_send_due


@db_periodic_task(crontab(minute="*"))
def send_deferred_sms() -> None:
    """Every minute: marketing texts held back by the quiet hours, once they are over."""
    do_sms_send_due()
