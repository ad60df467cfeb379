import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.import_jobs import do_import_job_run
from huitou.customers.models import Customer, ImportJob

GOOD = (
    "name,phone,email,kind,stage,external_id\n"
    "王芳,13800138000,,individual,current,E1\n"
    "李雷,13900000000,,individual,potential,E2\n"
)
BAD = "name,phone,email,kind,stage\n王芳,13800138000,,individual,current\n,,,individual,current\n"


@pytest.fixture
def supervisor_client(client, db):
    client.force_login(UserFactory(role="supervisor"))
    return client


def upload(client, text, **options):
    return client.post(
        reverse("customers:imports"),
        {
            "kind": "customers",
            "file": SimpleUploadedFile("客户.csv", text.encode("utf-8")),
            **options,
        },
    )


@pytest.mark.django_db
def test_upload_runs_in_the_worker_and_reports(
    supervisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(supervisor_client, GOOD)
    assert len(callbacks) == 1  # the task is queued only after the upload committed
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("customers:import_job", args=[job.pk])
    assert (job.status, job.report["created"], job.percent) == ("done", 2, 100)
    assert Customer.objects.count() == 2
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "新建 2" in page and "hx-trigger" not in page  # finished: polling stops


@pytest.mark.django_db
def test_a_running_job_is_polled_and_a_repeated_task_does_nothing(supervisor_client):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda callback: None)
        upload(supervisor_client, GOOD)
    job = ImportJob.objects.get()
    page = supervisor_client.get(reverse("customers:import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    do_import_job_run(job_id=job.pk)
    do_import_job_run(job_id=job.pk)  # a retried task: already claimed
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_bad_rows_are_listed_and_nothing_is_imported(
    supervisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(supervisor_client, BAD)
    page = supervisor_client.get(response["Location"]).content.decode()
    assert 'id="row-errors"' in page and "<td>3</td>" in page
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_wrong_file_type_is_a_form_error(supervisor_client):
    response = supervisor_client.post(
        reverse("customers:imports"),
        {"kind": "customers", "file": SimpleUploadedFile("a.pdf", b"%PDF")},
    )
    assert response.status_code == 200
    assert "只支持 CSV 和 XLSX" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_agents_cannot_import(client):
    client.force_login(UserFactory(role="agent"))
    assert client.get(reverse("customers:imports")).status_code == 403


@pytest.mark.django_db
def test_import_through_the_api(api_as, django_capture_on_commit_callbacks):
    from huitou.accounts.services import do_token_create

    supervisor = UserFactory(role="supervisor")
    _token, raw = do_token_create(user=supervisor)
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {raw}"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/customers/imports",
            {"kind": "customers", "file": SimpleUploadedFile("c.csv", GOOD.encode())},
        )
    assert response.status_code == 201, response.content
    job = client.get(f"/api/v1/customers/imports/{response.json()['id']}").json()
    assert (job["status"], job["report"]["created"], job["percent"]) == ("done", 2, 100)
    distribution = client.get("/api/v1/customers/tiers/distribution").json()
    assert sum(distribution.values()) == 2
    agent_api = api_as(UserFactory(role="agent"))
    assert agent_api.get(f"customers/imports/{job['id']}").status_code == 403
