"""Import files as people make them: CSV encodings, progress by rows, fields by their names."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.customers import importing
from huitou.customers.importing import do_customers_import, do_transactions_import
from huitou.customers.models import Customer, ImportJob

TEXT = "姓名,手机,城市\n王芳,13512345678,深圳\n李雷,010-12345678,北京\n韩梅梅,,广州\n"


@pytest.fixture
def supervisor_client(client, db):
    client.force_login(UserFactory(role="supervisor"))
    return client


def upload(client, data: bytes, name="客户.csv", **options):
    return client.post(
        reverse("customers:imports"),
        {"kind": "customers", "file": SimpleUploadedFile(name, data), **options},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("gb18030"), "gb18030"),  # what Chinese Excel saves as "CSV"
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),  # Excel's "CSV UTF-8"
        (TEXT.encode("utf-8"), "utf-8"),
    ],
    ids=["gb18030", "gbk", "utf-8-bom", "utf-8"],
)
def test_csv_in_utf8_with_or_without_bom_or_gb18030_imports(tmp_path, data, encoding):
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    report = do_customers_import(actor=None, path=path)
    assert (report.created, report.errors, report.encoding) == (3, [], encoding)
    assert sorted(Customer.objects.values_list("name", "city")) == sorted(
        [("王芳", "深圳"), ("李雷", "北京"), ("韩梅梅", "广州")]
    )
    assert report.as_dict()["encoding"] == encoding


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-16"),  # Excel's "Unicode text"
        b"name\n\xff\xfe\xfd\n",  # neither UTF-8 nor GB18030
        "name\n王芳\n".encode("utf-8-sig") + b"\xa0\xa1\n",  # a BOM, then not UTF-8
    ],
    ids=["utf-16", "bytes", "bom-then-not-utf-8"],
)
def test_other_encodings_are_a_clear_error_on_the_file(tmp_path, data):
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    with pytest.raises(DomainError) as caught:
        do_customers_import(actor=None, path=path)
    assert caught.value.field == "file"
    assert "UTF-8" in caught.value.message and "GB18030" in caught.value.message
    with pytest.raises(DomainError):
        do_transactions_import(actor=None, path=path)


@pytest.mark.django_db
def test_a_gb18030_upload_says_which_encoding_was_used(
    supervisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(supervisor_client, TEXT.encode("gb18030"))
    job = ImportJob.objects.get()
    assert (job.status, job.report["created"], job.report["encoding"]) == ("done", 3, "gb18030")
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "文件编码：GB18030（GBK）" in page
    assert "UnicodeDecodeError" not in page


@pytest.mark.django_db
def test_an_undecodable_upload_fails_with_the_reason_not_an_exception_name(
    supervisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(supervisor_client, TEXT.encode("utf-16"))
    job = ImportJob.objects.get()
    assert job.status == "failed"
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "无法识别文件的编码" in page and "UnicodeDecodeError" not in page


@pytest.mark.django_db
def test_the_api_and_the_command_name_the_encoding(tmp_path, django_capture_on_commit_callbacks):
    from huitou.accounts.services import do_token_create

    _token, raw = do_token_create(user=UserFactory(role="supervisor"))
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/customers/imports",
            {"kind": "customers", "file": SimpleUploadedFile("c.csv", TEXT.encode("gb18030"))},
        )
    job = api.get(f"/api/v1/customers/imports/{created.json()['id']}").json()
    assert job["report"]["encoding"] == "gb18030"
    assert job["report"]["encoding_label"] == "GB18030（GBK）"

    path = tmp_path / "again.csv"
    path.write_bytes(TEXT.replace("王芳", "王小芳").encode("gb18030"))
    out = io.StringIO()
    call_command("import", "customers", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    assert (result["encoding"], result["encoding_label"]) == ("gb18030", "GB18030（GBK）")


BAD_THREE = "name,phone,email\n王芳,13512345678,\n,13512345679,\n李雷,,not-mail\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "skip_bad"),
    [
        (TEXT, False),
        (BAD_THREE, False),  # two bad rows, nothing imported: still three rows checked
        (BAD_THREE, True),
    ],
    ids=["good", "bad-rows", "bad-rows-skipped"],
)
def test_progress_counts_the_files_rows(
    supervisor_client, django_capture_on_commit_callbacks, text, skip_bad
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            supervisor_client, text.encode("utf-8"), **({"skip_bad": "on"} if skip_bad else {})
        )
    job = ImportJob.objects.get()
    assert (job.status, job.processed_rows, job.total_rows) == ("done", 3, 3)
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "3 / 3" in page


@pytest.mark.django_db
def test_progress_reports_rows_checked_out_of_the_files_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    path = tmp_path / "c.csv"
    path.write_text("name\n" + "".join(f"客户{n}\n" for n in range(5)), encoding="utf-8")
    calls = []
    report = do_customers_import(
        actor=None, path=path, dry_run=True, progress=lambda *a: calls.append(a)
    )
    assert report.rows == 5
    assert calls == [(0, 5), (2, 5), (4, 5)]


@pytest.mark.django_db
def test_row_errors_name_the_field_as_a_person_knows_it(
    supervisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(supervisor_client, BAD_THREE.encode("utf-8"))
    job = ImportJob.objects.get()
    # The stored report keeps the codes for programs, with the labels beside them.
    assert [(e["row"], e["field"], e["field_label"]) for e in job.report["errors"]] == [
        (3, "name", "名称"),
        (4, "email", "电子邮件"),
    ]
    page = supervisor_client.get(response["Location"]).content.decode()
    assert ">电子邮件</td>" in page and ">名称</td>" in page
    assert "<td>email</td>" not in page and "<td>name</td>" not in page


@pytest.mark.django_db
def test_a_missing_column_is_named_as_a_person_knows_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer,product\nC1,空调\n", encoding="utf-8")
    with pytest.raises(DomainError) as caught:
        do_transactions_import(actor=None, path=path)
    assert "交易时间（time）" in caught.value.message and "金额（amount）" in caught.value.message


@pytest.mark.django_db
def test_the_command_names_bad_fields_by_label(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(BAD_THREE, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "customers", str(path), stdout=io.StringIO(), stderr=err)
    assert "row 4: 电子邮件 (email):" in err.getvalue()


@pytest.mark.django_db
def test_a_broken_xlsx_is_a_clear_error_on_the_file(tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(DomainError) as caught:
        do_customers_import(actor=None, path=path)
    assert caught.value.field == "file" and "XLSX" in caught.value.message


@pytest.mark.django_db
def test_an_unexpected_failure_is_told_in_words_with_its_code_beside(
    supervisor_client, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise LookupError

    monkeypatch.setattr("huitou.customers.import_jobs.do_customers_import", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(supervisor_client, TEXT.encode("utf-8"))
    job = ImportJob.objects.get()
    assert (job.status, job.report["exception"]) == ("failed", "LookupError")
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "导入时出错（LookupError），未导入任何数据" in page
