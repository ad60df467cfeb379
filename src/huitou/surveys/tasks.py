from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .sending import do_invitations_send_due


@db_task()
def send_due_invitations() -> None:
    """Kicked after a resolution whose invitation is due now but goes by text message."""
    do_invitations_send_due()


@db_periodic_task(crontab(minute="*"))
def send_due_every_minute() -> None:
    """Every minute: delayed ratings, questionnaire invitations, reminders, close dates."""
    do_invitations_send_due()
