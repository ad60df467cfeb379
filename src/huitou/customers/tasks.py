from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task, on_startup

from .import_jobs import do_import_job_run, do_import_jobs_recover
from .mining import do_mined_tags_recompute
from .retention import do_retention_run
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


@db_periodic_task(crontab(minute="50", hour="3"))
@lock_task("customers-privacy-retention")
def nightly_privacy_retention() -> None:
    do_retention_run()


@db_task()
def recover_import_jobs() -> None:
    do_import_jobs_recover()


@db_periodic_task(crontab(minute="*"))
def import_jobs_sweep() -> None:
    """Imports a dead or stopped worker left running are run again, or fail visibly."""
    do_import_jobs_recover()


@on_startup()
def import_jobs_on_startup() -> None:
    # A worker (re)starting after a crash: the jobs it left go on as soon as they are stale.
    recover_import_jobs()
    recover_import_jobs.schedule(delay=settings.HUITOU_IMPORT_STALE_SECONDS + 1)
