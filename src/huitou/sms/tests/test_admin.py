"""The admin: templates are edited there; the send history is read-only and masks numbers."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.sms.models import Purpose, SmsTemplate
from huitou.sms.services import send_sms

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role="admin"))
    return client


def test_the_send_history_lists_masked_numbers_and_cannot_be_edited(admin_client):
    row = send_sms(to="13800138000", text="您的工单已受理", purpose=Purpose.NOTIFICATION)
    page = admin_client.get("/admin/sms/smssend/")
    assert page.status_code == 200 and "138****8000" in page.content.decode()
    assert admin_client.get("/admin/sms/smssend/add/").status_code == 403
    change = admin_client.post(f"/admin/sms/smssend/{row.pk}/change/", {"status": "delivered"})
    assert change.status_code == 403


def test_an_admin_enters_a_providers_template_id(admin_client):
    template = SmsTemplate.objects.get(code="sign_in_code")
    answer = admin_client.post(
        f"/admin/sms/smstemplate/{template.pk}/change/",
        {
            "code": template.code,
            "purpose": template.purpose,
            "text": template.text,
            "aliyun_template_code": "SMS_465000001",
            "tencent_template_id": "",
        },
    )
    assert answer.status_code == 302
    template.refresh_from_db()
    assert template.aliyun_template_code == "SMS_465000001"
