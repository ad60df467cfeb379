from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from .import_jobs import do_import_job_run
from .mining import do_mined_tags_recompute
from .services import do_loss_risk_sweep
from .tagging import do_rfm_recompute, do_rule_tags_apply
from .tiers import do_tier_recompute


@db_periodic_task(crontab(minute="10", hour="2"))
@lock_task("customers-tier-recompute")
def nightly_tier_recompute() -> None:
    do_tier_recompute()


@db_periodic_task(crontab(minute="40", hour="2"))
@lock_task("customers-loss-risk")
def nightly_loss_risk_sweep() -> None:
    do_loss_risk_sweep()


@db_periodic_task(crontab(minute="20", hour="2"))
@lock_task("customers-tags")
def nightly_tag_recompute() -> None:
    # RFM first: rule tags may look at RFM statistics.
    do_rfm_recompute()
    do_mined_tags_recompute()
    do_rule_tags_apply()


@db_task()
def run_import_job(job_id: int) -> None:
    do_import_job_run(job_id=job_id)
