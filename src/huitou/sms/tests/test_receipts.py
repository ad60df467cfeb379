"""Delivery receipts pushed by Aliyun (SmsReport) and Tencent Cloud (状态回调), end to end:
a send through the stand-in, then the provider's report of it."""

import json
from datetime import datetime

import pytest
from django.test import Client
from django.utils import timezone

from huitou.sms.models import Purpose, SmsSend
from huitou.sms.receipts import PROVIDER_TIME_ZONE
from huitou.sms.services import do_sms_send

pytestmark = pytest.mark.django_db
PHONE = "13800138000"
TOKEN = "receipt-token-123"
Status = SmsSend.Status


@pytest.fixture(autouse=True)
def _token(settings):
    settings.HUITOU_SMS_RECEIPT_TOKEN = TOKEN


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # the providers send no CSRF token


def sent() -> SmsSend:
    return do_sms_send(
        to=PHONE, purpose=Purpose.NOTIFICATION, template="notify_received", params={"number": "T1"}
    )


def post(client, provider: str, body, token: str = TOKEN):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        f"/sms/receipts/{provider}/?token={token}", data=data, content_type="application/json"
    )


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=PROVIDER_TIME_ZONE)


def test_an_aliyun_report_marks_the_send_delivered(client, aliyun):
    row = sent()
    answer = post(
        client,
        "aliyun",
        [
            {
                "phone_number": PHONE,
                "send_time": "2026-12-03 10:00:00",
                "report_time": "2026-12-03 10:00:05",
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": row.provider_id,
                "out_id": "",
            },
            {"phone_number": PHONE, "success": True, "biz_id": "999^0"},  # not ours: ignored
        ],
    )
    assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "成功"}
    row.refresh_from_db()
    assert row.status == Status.DELIVERED
    assert row.delivered_at == beijing(2026, 12, 3, 10, 0, 5)


def test_an_aliyun_failure_report_keeps_the_error(client, aliyun):
    row = sent()
    report = {
        "phone_number": PHONE,
        "report_time": "2026-12-03 10:00:05",
        "success": False,
        "err_code": "MK:0001",
        "err_msg": "用户停机",
        "biz_id": row.provider_id,
    }
    assert post(client, "aliyun", [report]).status_code == 200
    row.refresh_from_db()
    assert row.status == Status.FAILED and "MK:0001" in row.error


def test_a_tencent_report_marks_the_send_delivered_or_failed(client, tencent):
    good, bad = sent(), sent()
    answer = post(
        client,
        "tencent",
        [
            {
                "user_receive_time": "2026-12-03 10:00:07",
                "nationcode": "86",
                "mobile": PHONE,
                "report_status": "SUCCESS",
                "errmsg": "DELIVRD",
                "description": "用户短信送达成功",
                "sid": good.provider_id,
            },
            {
                "user_receive_time": "2026-12-03 10:00:08",
                "nationcode": "86",
                "mobile": PHONE,
                "report_status": "FAIL",
                "errmsg": "MK:0001",
                "description": "用户停机",
                "sid": bad.provider_id,
            },
        ],
    )
    assert answer.status_code == 200 and answer.json() == {"result": 0, "errmsg": "OK"}
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == Status.DELIVERED
    assert good.delivered_at == beijing(2026, 12, 3, 10, 0, 7)
    assert bad.status == Status.FAILED and "用户停机" in bad.error


def test_a_report_without_a_time_takes_the_arrival_time(client, tencent):
    row = sent()
    before = timezone.now()
    post(client, "tencent", [{"report_status": "SUCCESS", "sid": row.provider_id}])
    row.refresh_from_db()
    assert row.status == Status.DELIVERED and row.delivered_at >= before


def test_an_id_of_the_other_provider_is_not_matched(client, aliyun):
    row = sent()
    post(client, "tencent", [{"report_status": "FAIL", "sid": row.provider_id}])
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_wrong_token_is_refused(client, aliyun):
    row = sent()
    report = [{"success": False, "biz_id": row.provider_id}]
    assert post(client, "aliyun", report, token="guess").status_code == 403
    assert client.post("/sms/receipts/aliyun/", data="[]", content_type="x").status_code == 403
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_receipts_are_off_without_a_token(client, settings):
    settings.HUITOU_SMS_RECEIPT_TOKEN = ""
    assert post(client, "aliyun", [], token="").status_code == 404
    assert post(client, "tencent", [], token="").status_code == 404


def test_an_unknown_provider_is_not_found(client):
    assert post(client, "huawei", []).status_code == 404


def test_bad_json_is_a_400_naming_the_problem(client):
    answer = post(client, "aliyun", b"{not json")
    assert answer.status_code == 400 and "not JSON" in answer.json()["msg"]
    answer = post(client, "tencent", [{"sid": "1"}])
    assert answer.status_code == 400
    assert "report 0" in answer.json()["errmsg"] and "report_status" in answer.json()["errmsg"]
    answer = post(client, "aliyun", "a string")
    assert answer.status_code == 400 and "JSON list" in answer.json()["msg"]


def test_receipts_accept_only_post(client):
    assert client.get(f"/sms/receipts/aliyun/?token={TOKEN}").status_code == 405
