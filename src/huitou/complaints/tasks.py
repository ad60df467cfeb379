from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from .crisis import do_crisis_evaluate
from .overdue import do_dispatch_overdue_sweep


@db_task(retries=2, retry_delay=30)
def evaluate_crisis(complaint_id: int) -> None:
    do_crisis_evaluate(complaint_id=complaint_id)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("complaints-overdue-sweep")
def dispatch_overdue_sweep() -> None:
    do_dispatch_overdue_sweep()
