from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import do_loss_risk_sweep
from .tiers import do_tier_recompute


@db_periodic_task(crontab(minute="10", hour="2"))
@lock_task("customers-tier-recompute")
def nightly_tier_recompute() -> None:
    do_tier_recompute()


@db_periodic_task(crontab(minute="40", hour="2"))
@lock_task("customers-loss-risk")
def nightly_loss_risk_sweep() -> None:
    do_loss_risk_sweep()
