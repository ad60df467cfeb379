"""Issue 12, point 6: an import the worker dies in (or is stopped in) never stays "running":
it is run again, once, then fails visibly; and a failure says what was wrong in words."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.customers import importing
from huitou.customers.import_jobs import (
    do_import_job_create,
    do_import_job_run,
    do_import_jobs_recover,
)
from huitou.customers.models import Customer, ImportJob

pytestmark = pytest.mark.django_db
GOOD = "name,phone\n王芳,13800138000\n李雷,13900000000\n"  # no keys: re-running would duplicate


@pytest.fixture
def supervisor():
    return UserFactory(role="supervisor")


def queue(supervisor, name: str, data: bytes) -> ImportJob:
    return do_import_job_create(
        actor=supervisor, kind="customers", uploaded=SimpleUploadedFile(name, data)
    )


def die_in_the_write(monkeypatch):
    """The worker is killed while writing: SystemExit is no error the job could catch."""

    def killed(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(importing, "_write_customers", killed)


def later(minutes: int = 6):
    return timezone.now() + timedelta(minutes=minutes)


def test_a_job_whose_worker_died_runs_again_and_imports_once(
    supervisor, monkeypatch, django_capture_on_commit_callbacks
):
    job = queue(supervisor, "客户.csv", GOOD.encode())
    real_write = importing._write_customers
    die_in_the_write(monkeypatch)
    with pytest.raises(SystemExit):
        do_import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "running" and Customer.objects.count() == 0
    assert do_import_jobs_recover(now=timezone.now()) == {
        "requeued": 0,
        "failed": 0,
        "queued_again": 0,
    }  # the heartbeat is fresh: it may still be running somewhere

    monkeypatch.setattr(importing, "_write_customers", real_write)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_import_jobs_recover(now=later())["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.report["created"]) == ("done", 2, 2)
    assert Customer.objects.count() == 2


def test_a_job_interrupted_twice_fails_with_a_message_and_the_page_stops_polling(
    supervisor, monkeypatch, client
):
    job = queue(supervisor, "客户.csv", GOOD.encode())
    die_in_the_write(monkeypatch)
    with pytest.raises(SystemExit):
        do_import_job_run(job_id=job.pk)
    assert do_import_jobs_recover(now=later())["requeued"] == 1
    assert ImportJob.objects.get(pk=job.pk).status == "queued"
    with pytest.raises(SystemExit):
        do_import_job_run(job_id=job.pk)  # the same again
    assert do_import_jobs_recover(now=later())["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert "导入因后台进程重启而中断" in job.report["error"]
    client.force_login(supervisor)
    page = client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert "导入因后台进程重启而中断" in page and "hx-trigger" not in page
    assert Customer.objects.count() == 0


def test_a_run_taken_for_dead_writes_nothing(supervisor, monkeypatch):
    """The sweep re-queues a job whose heartbeat it judged stale while the old run was
    still at work: the old run's write is rolled back, so the new run imports once."""
    job = queue(supervisor, "客户.csv", GOOD.encode())
    real_check = importing.check_header

    def slow_check(*args, **kwargs):
        do_import_jobs_recover(now=later())  # meanwhile, the sweep gives up on this run
        return real_check(*args, **kwargs)

    monkeypatch.setattr(importing, "check_header", slow_check)
    do_import_job_run(job_id=job.pk)
    assert Customer.objects.count() == 0
    assert ImportJob.objects.get(pk=job.pk).status == "queued"
    monkeypatch.setattr(importing, "check_header", real_check)
    do_import_job_run(job_id=job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == "done"
    assert Customer.objects.count() == 2


def test_a_queued_job_whose_task_was_lost_is_queued_again(
    supervisor, django_capture_on_commit_callbacks
):
    job = queue(supervisor, "客户.csv", GOOD.encode())  # the task never ran (queue lost)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_import_jobs_recover(now=later())["queued_again"] == 1
    assert ImportJob.objects.get(pk=job.pk).status == "done"


def xlsx_with_broken_sheet() -> bytes:
    import zipfile

    from openpyxl import Workbook

    good = BytesIO()
    Workbook().save(good)
    broken = BytesIO()
    with zipfile.ZipFile(BytesIO(good.getvalue())) as source, zipfile.ZipFile(broken, "w") as out:
        for name in source.namelist():
            out.writestr(name, b"<broken" if "sheet1" in name else source.read(name))
    return broken.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "客户.csv",
            b"name,phone\n" + b'"' + b"a" * 200_000 + b'",1\n',
            "CSV 文件格式有误",
        ),
        ("客户.xlsx", xlsx_with_broken_sheet(), "无法打开 XLSX 文件"),
        ("客户.csv", "name,phone\n王芳,1\n".encode("utf-16"), "CSV 文件须为 UTF-8 或 GB18030"),
        ("客户.csv", b"phone\n13800138000\n", "文件缺少列：名称（name）"),
    ],
)
def test_a_failed_job_says_what_was_wrong_in_words(supervisor, name, data, message):
    job = queue(supervisor, name, data)
    do_import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert message in job.report["error"]
    assert "exception" not in job.report  # no bare exception name


def test_a_file_gone_from_the_server_is_said_in_words(supervisor):
    from pathlib import Path

    job = queue(supervisor, "客户.csv", GOOD.encode())
    Path(job.stored_path).unlink()
    do_import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "文件已不在服务器上" in job.report["error"]


def test_a_gbk_csv_from_chinese_excel_imports(supervisor):
    job = queue(supervisor, "客户.csv", GOOD.encode("gbk"))
    do_import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.report["encoding"] == "gb18030"
    assert set(Customer.objects.values_list("name", flat=True)) == {"王芳", "李雷"}
