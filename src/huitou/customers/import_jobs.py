"""Imports as background jobs: upload → queued → the worker runs it → report, with progress."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.core.errors import DomainError
from huitou.core.permissions import check_permission

from .importing import do_customers_import, do_transactions_import, parse_mapping
from .models import ImportJob
from .selectors import check_archive_cleansing

ALLOWED_SUFFIXES = {".csv", ".xlsx"}
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
    from .tasks import run_import_job

    transaction.on_commit(lambda: run_import_job(job.pk))
    return job


def do_import_job_run(*, job_id: int) -> None:
    """Run a queued job once: claiming it (queued → running) makes a repeated task a no-op."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    ):
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    run = do_customers_import if job.kind == ImportJob.Kind.CUSTOMERS else do_transactions_import
    try:
        report = run(
            actor=job.created_by,
            path=Path(job.stored_path),
            dry_run=job.dry_run,
            skip_bad=job.skip_bad,
            progress=progress,
            mapping=job.mapping,
        ).as_dict()
        status = ImportJob.Status.DONE
    except DomainError as error:
        report, status = {"error": error.message}, ImportJob.Status.FAILED
    except Exception as error:  # the job must end visibly, whatever broke
        name = error.__class__.__name__
        message = _("导入时出错（%(error)s），未导入任何数据。请联系管理员。") % {"error": name}
        report, status = {"error": message, "exception": name}, ImportJob.Status.FAILED
    finished = {"status": status, "report": report, "finished_at": timezone.now()}
    if status == ImportJob.Status.DONE:
        # Every row of the file was checked: progress counts rows, whatever became of them.
        finished["processed_rows"] = finished["total_rows"] = report["rows"]
    ImportJob.objects.filter(pk=job_id).update(**finished)
