import socket

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .escalation import do_escalation_sweep


@db_periodic_task(crontab(minute="*"))
def escalation_sweep() -> None:
    # No lock_task: several workers may sweep at once; SKIP LOCKED shares the rows out.
    do_escalation_sweep(worker=f"huey@{socket.gethostname()}")
