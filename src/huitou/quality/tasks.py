from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .sampling import do_sampling_run


@db_periodic_task(crontab(minute="15"))
def draw_quality_samples() -> None:
    """Every hour: the sampling plans top up the inspectors' queues (idempotent)."""
    do_sampling_run()
