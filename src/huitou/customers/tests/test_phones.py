"""Phone numbers are checked in one place (check_customer_fields), against the numbering plan."""

import pytest
from django.urls import reverse

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.customers.importing import do_customers_import
from huitou.customers.models import Customer
from huitou.customers.phones import is_valid_phone
from huitou.customers.services import check_customer_fields
from huitou.customers.tests.factories import CustomerFactory

VALID = ["13512345678", "+86 135 1234 5678", "010-12345678", "0755-8888 8888"]
INVALID = ["1351234", "12345678901"]


@pytest.mark.parametrize("phone", VALID)
def test_chinese_mobile_and_landline_numbers_with_area_code_are_valid(phone):
    assert is_valid_phone(phone)
    assert check_customer_fields({"phone": phone})["phone"] == phone


@pytest.mark.parametrize("phone", INVALID)
def test_short_and_out_of_range_numbers_are_refused_naming_the_phone(phone):
    assert not is_valid_phone(phone)
    with pytest.raises(DomainError) as caught:
        check_customer_fields({"phone": phone})
    assert caught.value.field == "phone"
    assert "区号" in caught.value.message  # says what a valid number looks like


@pytest.mark.django_db
@pytest.mark.parametrize("phone", INVALID)
def test_the_api_refuses_an_invalid_phone(api_as, phone):
    response = api_as(UserFactory(role="agent")).post("customers", {"name": "张三", "phone": phone})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "phone"
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_the_customer_form_refuses_an_invalid_phone_on_the_phone_field(client):
    client.force_login(UserFactory(role="agent"))
    customer = CustomerFactory(phone="13800138000")
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"name": customer.name, "kind": "individual", "phone": "1351234", "tier": "C",
         "stage": "current", "gender": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    customer.refresh_from_db()
    assert customer.phone == "13800138000"


@pytest.mark.django_db
def test_the_import_refuses_an_invalid_phone_naming_the_field(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,phone\n王芳,13512345678\n李雷,1351234\n", encoding="utf-8")
    report = do_customers_import(actor=None, path=path)
    assert [(e.row, e.field, e.field_label) for e in report.errors] == [(3, "phone", "电话")]
    assert not Customer.objects.exists()
