"""Aliyun and Tencent Cloud SMS through their SDKs, against the loopback stand-in."""

import json

import pytest

from huitou.sms.errors import SmsError
from huitou.sms.models import Purpose, SmsSend, SmsTemplate
from huitou.sms.services import do_sms_send

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


def send_code(**extra) -> SmsSend:
    return do_sms_send(
        to=PHONE,
        purpose=Purpose.VERIFICATION,
        template="contact_code",
        params={"code": "123456", "minutes": 10, "number": "T2026000001"},
        **extra,
    )


# --- Aliyun -------------------------------------------------------------------------------------
def test_aliyun_gets_a_signed_sendsms_with_the_template_and_its_params(aliyun):
    row = send_code()
    (request,) = aliyun.received  # the stand-in checked the ACS3-HMAC-SHA256 signature
    assert request["action"] == "SendSms" and request["version"] == "2017-05-25"
    params = request["params"]
    assert params["PhoneNumbers"] == PHONE
    assert params["SignName"] == "回头科技"
    assert params["TemplateCode"] == "SMS_1002"
    assert json.loads(params["TemplateParam"]) == {
        "code": "123456",
        "minutes": "10",
        "number": "T2026000001",
    }
    row.refresh_from_db()
    assert row.status == SmsSend.Status.SENT and row.provider == "aliyun"
    assert row.provider_id.endswith("^0")  # the BizId the receipts will name


def test_a_wrong_aliyun_secret_is_refused_by_the_signature_check(aliyun, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsError, match="SignatureDoesNotMatch"):
        send_code()
    assert aliyun.received == []
    assert SmsSend.objects.get().status == SmsSend.Status.FAILED


def test_an_aliyun_error_code_is_an_sms_error_naming_it(aliyun):
    aliyun.answer_aliyun = (
        200,
        {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控", "RequestId": "r"},
    )
    with pytest.raises(SmsError, match=r"isv\.BUSINESS_LIMIT_CONTROL: 触发分钟级流控"):
        send_code()
    row = SmsSend.objects.get()
    assert row.status == SmsSend.Status.FAILED and "BUSINESS_LIMIT_CONTROL" in row.error


def test_an_aliyun_http_error_is_an_sms_error(aliyun):
    aliyun.answer_aliyun = (
        400,
        {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r"},
    )
    with pytest.raises(SmsError, match="MOBILE_NUMBER_ILLEGAL"):
        send_code()


def test_an_unreachable_provider_is_an_sms_error(aliyun, settings):
    aliyun.__exit__()  # nothing listens on the port any more
    with pytest.raises(SmsError):
        send_code()


# --- Tencent Cloud ------------------------------------------------------------------------------
def test_tencent_gets_a_tc3_signed_sendsms_with_params_in_template_order(tencent):
    row = send_code()
    (request,) = tencent.received  # the stand-in checked the TC3-HMAC-SHA256 signature
    assert request["action"] == "SendSms" and request["version"] == "2021-01-11"
    assert request["region"] == "ap-guangzhou" and request["service"] == "sms"
    assert request["params"] == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "回头科技",
        "TemplateId": "449740",
        # The template reads "… {code}，{minutes} 分钟内有效，用于确认工单 {number} …".
        "TemplateParamSet": ["123456", "10", "T2026000001"],
    }
    row.refresh_from_db()
    assert row.status == SmsSend.Status.SENT and row.provider == "tencent"
    assert row.provider_id.startswith("5000:")  # the SerialNo


def test_a_wrong_tencent_key_is_refused_by_the_signature_check(tencent, settings):
    settings.SMS_TENCENT_SECRET_KEY = "not-the-key"
    with pytest.raises(SmsError, match=r"AuthFailure\.SignatureFailure"):
        send_code()
    assert tencent.received == []


def test_a_tencent_send_status_other_than_ok_is_an_sms_error(tencent):
    tencent.answer_tencent = {
        "SendStatusSet": [
            {
                "SerialNo": "",
                "PhoneNumber": "+8613800138000",
                "Fee": 0,
                "Code": "LimitExceeded.PhoneNumberDailyLimit",
                "Message": "the number of sms messages sent from a single mobile number "
                "every day exceeds the upper limit",
            }
        ]
    }
    with pytest.raises(SmsError, match=r"LimitExceeded\.PhoneNumberDailyLimit"):
        send_code()
    assert SmsSend.objects.get().status == SmsSend.Status.FAILED


def test_an_international_number_goes_in_e164(tencent):
    SmsTemplate.objects.filter(code="contact_code").update(tencent_template_id="449740")
    do_sms_send(
        to="+852 6123 4567",
        purpose=Purpose.VERIFICATION,
        template="contact_code",
        params={"code": "1", "minutes": "1", "number": "T1"},
    )
    assert tencent.received[0]["params"]["PhoneNumberSet"] == ["+85261234567"]


# --- templates ----------------------------------------------------------------------------------
def test_a_template_without_the_providers_id_is_a_clear_sms_error(tencent):
    SmsTemplate.objects.filter(code="contact_code").update(tencent_template_id="")
    with pytest.raises(SmsError, match="'contact_code' has no tencent_template_id"):
        send_code()
    assert tencent.received == []
    assert SmsSend.objects.get().status == SmsSend.Status.FAILED


def test_free_text_without_a_template_cannot_go_through_a_provider(aliyun):
    with pytest.raises(SmsError, match="approved templates only"):
        do_sms_send(to=PHONE, purpose=Purpose.NOTIFICATION, template="", params={}, text="hi")
    assert aliyun.received == []


def test_a_missing_template_param_is_an_sms_error(aliyun):
    with pytest.raises(SmsError, match="needs number"):
        do_sms_send(
            to=PHONE,
            purpose=Purpose.VERIFICATION,
            template="contact_code",
            params={"code": "1", "minutes": "1"},
        )


def test_the_default_templates_cover_every_caller():
    codes = set(SmsTemplate.objects.values_list("code", flat=True))
    events = {"received", "public_reply", "dispatched", "resolved", "reopened"}
    assert {"sign_in_code", "contact_code", *(f"notify_{event}" for event in events)} <= codes
