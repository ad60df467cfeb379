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
    check_permission(actor, "tickets.assign_ticket")  # bulk changes: supervisors and admins
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
        report, status = {"error": error.__class__.__name__}, ImportJob.Status.FAILED
    rows = report.get("created", 0) + report.get("updated", 0) + report.get("unchanged", 0)
    rows += len(report.get("errors", []))
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        report=report,
        processed_rows=rows,
        total_rows=rows,
        finished_at=timezone.now(),
    )
