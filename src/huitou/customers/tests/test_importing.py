import io
import json

import pytest
from django.core.management import CommandError, call_command

from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import AuditEntry
from huitou.customers.importing import do_customers_import, do_transactions_import
from huitou.customers.models import Customer, Transaction
from huitou.customers.tests.factories import CustomerFactory

CUSTOMERS_CSV = """number,external_id,name,phone,email,kind,stage
,ERP-001,王芳,138 0013 8000,wf@example.com,individual,current
,ERP-002,杭州恒达物业公司,0571-88886666,,组织,潜在客户
,ERP-003,李雷,,lilei@example.com,individual,target
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


@pytest.mark.django_db
def test_import_customers_then_reimport_changes_nothing(tmp_path):
    admin = UserFactory(role="admin")
    path = write(tmp_path, "customers.csv", CUSTOMERS_CSV)
    first = do_customers_import(actor=admin, path=path)
    assert (first.created, first.updated, first.errors) == (3, 0, [])
    wang = Customer.objects.get(external_id="ERP-001")
    assert wang.number.startswith("C") and wang.phone_digits == "13800138000"
    assert Customer.objects.get(external_id="ERP-002").kind == "organization"
    snapshot = list(Customer.objects.order_by("pk").values())
    audit_count = AuditEntry.objects.count()

    again = do_customers_import(actor=admin, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Customer.objects.order_by("pk").values()) == snapshot
    assert AuditEntry.objects.count() == audit_count


@pytest.mark.django_db
def test_import_updates_by_number_and_records_history(tmp_path):
    customer = CustomerFactory(name="旧名", city="")
    path = write(
        tmp_path,
        "update.csv",
        f"number,external_id,name,phone,email,kind,stage,city\n"
        f"{customer.number},,新名,{customer.phone},,individual,current,南京\n",
    )
    report = do_customers_import(actor=None, path=path)
    assert (report.created, report.updated) == (0, 1)
    customer.refresh_from_db()
    assert (customer.name, customer.city) == ("新名", "南京")
    assert AuditEntry.objects.for_object(customer).filter(field="city").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_bad_rows_are_each_reported_and_nothing_is_imported(tmp_path, dry_run):
    path = write(
        tmp_path,
        "bad.csv",
        "number,external_id,name,phone,email,kind,stage\n"
        ",E1,好客户,13800138000,,individual,current\n"
        ",E2,,13800138001,,individual,current\n"
        ",E3,坏邮箱,13800138002,not-mail,individual,current\n"
        "C2099999999,,不存在,,,individual,current\n"
        ",E5,流失无原因,,,individual,lost\n"
        ",E1,重复,,,individual,current\n",
    )
    report = do_customers_import(actor=None, path=path, dry_run=dry_run)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "name"),
        (4, "email"),
        (5, "number"),
        (6, "loss_reason"),
        (7, "external_id"),
    ]
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_skip_bad_imports_the_good_rows(tmp_path):
    path = write(
        tmp_path,
        "mixed.csv",
        "name,phone,email,kind,stage\n好客户,13800138000,,individual,current\n,,,individual,current\n",
    )
    report = do_customers_import(actor=None, path=path, skip_bad=True)
    assert (report.created, report.skipped) == (1, 1)


@pytest.mark.django_db
def test_import_customers_from_xlsx(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["number", "external_id", "name", "phone", "email", "kind", "stage"])
    sheet.append([None, "X-1", "赵敏", 13912345678, None, "individual", "current"])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    report = do_customers_import(actor=None, path=path)
    assert report.created == 1
    assert Customer.objects.get(external_id="X-1").phone == "13912345678"


@pytest.mark.django_db
def test_import_transactions_is_idempotent_and_makes_buyers_current(tmp_path):
    buyer = CustomerFactory(stage="potential", external_id="ERP-9")
    path = write(
        tmp_path,
        "tx.csv",
        "customer,time,product,quantity,amount,profit,channel,state\n"
        f"{buyer.number},2026-03-01 14:30,空调 KFR-35GW,1,3299,620,门店,completed\n"
        "ERP-9,2026-04-02,滤网,2,98.00,30,网店,已完成\n",
    )
    first = do_transactions_import(actor=None, path=path)
    assert (first.created, first.errors) == (2, [])
    buyer.refresh_from_db()
    assert buyer.stage == "current"
    again = do_transactions_import(actor=None, path=path)
    assert (again.created, again.unchanged) == (0, 2)
    assert Transaction.objects.count() == 2


@pytest.mark.django_db
def test_bad_transaction_rows_are_reported(tmp_path):
    CustomerFactory(external_id="ERP-9")
    path = write(
        tmp_path,
        "tx.csv",
        "customer,time,product,quantity,amount,profit,channel,state\n"
        "NOPE,2026-03-01,空调,1,3299,620,,completed\n"
        "ERP-9,yesterday,空调,1,3299,620,,completed\n"
        "ERP-9,2026-03-01,空调,1,很多,620,,completed\n",
    )
    report = do_transactions_import(actor=None, path=path, dry_run=True)
    assert [(e.row, e.field) for e in report.errors] == [
        (2, "customer"),
        (3, "time"),
        (4, "amount"),
    ]


@pytest.mark.django_db
def test_import_command_exits_non_zero_on_bad_rows(tmp_path):
    good = write(tmp_path, "good.csv", CUSTOMERS_CSV)
    out = io.StringIO()
    call_command("import", "customers", str(good), "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["created"] == 3
    assert Customer.objects.count() == 0
    bad = write(tmp_path, "bad.csv", "name,phone\n,138\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "customers", str(bad), stdout=io.StringIO(), stderr=err)
    assert "row 2" in err.getvalue()


@pytest.mark.django_db
def test_export_respects_filters_and_imports_back_unchanged(tmp_path, client):
    from openpyxl import load_workbook

    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    a = CustomerFactory(tier="A", name="甲")
    CustomerFactory(tier="C", name="丙")
    response = client.get("/customers/export.csv", {"tier": "A"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert a.number in text and "丙" not in text
    path = tmp_path / "back.csv"
    path.write_text(text, encoding="utf-8")
    report = do_customers_import(actor=supervisor, path=path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)

    xlsx = client.get("/customers/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3  # header + two customers


@pytest.mark.django_db
def test_agents_cannot_export(client):
    client.force_login(UserFactory(role="agent"))
    assert client.get("/customers/export.csv").status_code == 403
    assert client.get("/customers/export.pdf").status_code == 404


@pytest.mark.django_db
def test_chinese_headers_and_an_explicit_column_mapping(tmp_path):
    from huitou.customers.importing import parse_mapping

    path = write(
        tmp_path,
        "中文表头.csv",
        "姓名,手机号码,邮箱,客户类型,阶段,外部编号\n孙丽,13700001111,sl@example.com,个人,现实客户,K-1\n",
    )
    report = do_customers_import(actor=None, path=path, mapping=parse_mapping("手机号码=phone"))
    assert (report.created, report.errors) == (1, [])
    customer = Customer.objects.get(external_id="K-1")
    assert (customer.name, customer.phone, customer.stage) == ("孙丽", "13700001111", "current")


def test_bad_mapping_is_rejected():
    from huitou.core.errors import DomainError
    from huitou.customers.importing import parse_mapping

    with pytest.raises(DomainError) as error:
        parse_mapping("手机号码")
    assert error.value.field == "mapping"
