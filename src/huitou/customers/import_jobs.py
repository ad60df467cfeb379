"""Imports as background jobs: upload → queued → the worker runs it → report, with progress."""

import logging
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huitou.core.errors import DomainError
from huitou.core.permissions import check_permission

from .importing import do_customers_import, do_transactions_import, parse_mapping
from .models import ImportJob
from .selectors import check_archive_cleansing

logger = logging.getLogger(__name__)
ALLOWED_SUFFIXES = {".csv", ".xlsx"}
MAX_RUNS = 2  # a job interrupted this many times fails instead of starting again
INTERRUPTED_MESSAGE = gettext_lazy(
    "导入因后台进程重启而中断，未导入任何数据，请重新导入。文件很大时，可拆分成几个文件分批导入。"
)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def do_import_job_create(
    *,
    actor,
    kind: str,
    uploaded,
    dry_run: bool = False,
    skip_bad: bool = False,
    mapping: str = "",
) -> ImportJob:
    """Store the upload and queue the job; the worker starts once this transaction commits."""
    check_permission(actor, "customers.add_customer")
    check_archive_cleansing(actor)  # bulk changes: supervisors and admins
    if kind not in ImportJob.Kind.values:
        raise DomainError(_("导入类型不正确。"), field="kind")
    columns = parse_mapping(mapping)
    suffix = Path(uploaded.name or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise DomainError(_("只支持 CSV 和 XLSX 文件。"), field="file")
    if uploaded.size > MAX_UPLOAD_BYTES:
        raise DomainError(_("文件不能超过 50 MB。"), field="file")
    stored = import_dir() / f"{uuid.uuid4().hex}{suffix}"
    with stored.open("wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    job = ImportJob.objects.create(
        kind=kind,
        file_name=Path(uploaded.name).name[:200],
        stored_path=str(stored),
        mapping=columns,
        dry_run=dry_run,
        skip_bad=skip_bad,
        created_by=actor,
    )
    # Imported here: customers.tasks imports this module (its task runs the job).
    from .tasks import run_import_job

    transaction.on_commit(lambda: run_import_job(job.pk))
    return job


def do_import_job_run(*, job_id: int) -> None:
    """Run a queued job once: claiming it (queued → running) makes a repeated task a no-op.

    While it runs, a heartbeat thread touches the job; the import writes in one transaction
    together with the job's "done", so a worker that dies leaves nothing written and a
    running job whose heartbeat goes stale (see do_import_jobs_recover)."""
    now = timezone.now()
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1
    ):
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    # This run only: a run taken for dead (its job queued again) must not record anything.
    running = ImportJob.objects.filter(
        pk=job_id, status=ImportJob.Status.RUNNING, attempts=job.attempts
    )

    def progress(done: int, total: int) -> None:
        running.update(processed_rows=done, total_rows=total, heartbeat_at=timezone.now())

    def finish(status: str, report: dict) -> int:
        finished = {"status": status, "report": report, "finished_at": timezone.now()}
        if status == ImportJob.Status.DONE:
            # Every row of the file was checked: progress counts rows, whatever became of them.
            finished["processed_rows"] = finished["total_rows"] = report["rows"]
        return running.update(**finished)

    def written(report) -> None:
        # In the write's transaction: no longer ours, the write is rolled back with this.
        if not finish(ImportJob.Status.DONE, report.as_dict()):
            raise DomainError(str(INTERRUPTED_MESSAGE))

    run = do_customers_import if job.kind == ImportJob.Kind.CUSTOMERS else do_transactions_import
    with _Heartbeat(running):
        try:
            report = run(
                actor=job.created_by,
                path=Path(job.stored_path),
                dry_run=job.dry_run,
                skip_bad=job.skip_bad,
                progress=progress,
                mapping=job.mapping,
                on_written=written,
            ).as_dict()
            status = ImportJob.Status.DONE
        except DomainError as error:
            report, status = {"error": error.message}, ImportJob.Status.FAILED
        except Exception as error:  # the job must end visibly, whatever broke
            logger.exception("import job %s failed", job_id)
            report, status = _error_report(error), ImportJob.Status.FAILED
    finish(status, report)  # a no-op when the write already recorded it


def _error_report(error: Exception) -> dict:
    name = error.__class__.__name__
    if isinstance(error, DatabaseError):
        message = _("保存时数据库出错，未导入任何数据。请稍后重新导入。")
    else:
        message = _("导入时出错（%(error)s），未导入任何数据。请联系管理员。") % {"error": name}
    return {"error": message, "exception": name}


def stale_after() -> timedelta:
    return timedelta(seconds=settings.HUITOU_IMPORT_STALE_SECONDS)


class _Heartbeat:
    """Touch the job every few seconds from a thread of its own, however long a step of
    the import (reading a large workbook, the write) takes."""

    def __init__(self, running):
        self.running = running
        self.stop = threading.Event()
        self.interval = max(1.0, settings.HUITOU_IMPORT_STALE_SECONDS / 10)
        self.thread = threading.Thread(target=self._beat, daemon=True, name="import-heartbeat")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stop.wait(self.interval):
                try:
                    self.running.update(heartbeat_at=timezone.now())
                except DatabaseError:  # e.g. SQLite busy with the import's own write
                    logger.warning("import job heartbeat not written", exc_info=True)
        finally:
            connection.close()


def do_import_jobs_recover(*, now: datetime | None = None) -> dict[str, int]:
    """After a worker died or was stopped mid-import: a running job whose heartbeat is
    stale wrote nothing (the write and the job's "done" commit together), so it is queued
    again, once; interrupted again, it fails with a message saying so. A queued job whose
    task was lost is queued again (claiming it twice is harmless)."""
    # Imported here: customers.tasks imports this module (its task runs the job).
    from .tasks import run_import_job

    now = now or timezone.now()
    cutoff = now - stale_after()
    stale = ImportJob.objects.filter(status=ImportJob.Status.RUNNING, heartbeat_at__lt=cutoff)
    failed = stale.filter(attempts__gte=MAX_RUNS).update(
        status=ImportJob.Status.FAILED,
        finished_at=now,
        report={"error": str(INTERRUPTED_MESSAGE), "interrupted": True},
    )
    requeue = list(stale.values_list("pk", flat=True))
    ImportJob.objects.filter(pk__in=requeue, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.QUEUED, heartbeat_at=None, processed_rows=0
    )
    lost = list(
        ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=cutoff)
        .exclude(pk__in=requeue)
        .values_list("pk", flat=True)
    )
    for job_id in [*requeue, *lost]:
        transaction.on_commit(lambda job_id=job_id: run_import_job(job_id))
    return {"requeued": len(requeue), "failed": failed, "queued_again": len(lost)}
