"""The callers through a real provider: the portal's sign-in code (Aliyun), a portal ticket's
contact code (Tencent) and a progress notification (Tencent), each by its template."""

import json

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.portal import do_portal_ticket_create
from huitou.knowledge.verification import do_contact_code_check, do_contact_code_send
from huitou.notify.models import Notification
from huitou.notify.services import do_sms_deliver
from huitou.portal.services import do_sign_in_code_check, do_sign_in_request
from huitou.sms.models import SmsSend
from huitou.tickets.services import do_ticket_create

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


def test_the_portal_sign_in_code_goes_by_the_aliyun_template(aliyun):
    customer = CustomerFactory(name="王女士", phone=PHONE)
    do_sign_in_request(contact="138 0013 8000", link_base="https://desk.example.com/help/a/")
    (request,) = aliyun.received
    assert request["params"]["TemplateCode"] == "SMS_1001"
    params = json.loads(request["params"]["TemplateParam"])
    assert set(params) == {"code", "minutes"}  # no link: the approved wording has none
    assert do_sign_in_code_check(destination=PHONE, code=params["code"]).customer == customer
    row = SmsSend.objects.get()
    assert row.purpose == "sign_in" and params["code"] not in row.text + json.dumps(row.params)


def test_the_contact_code_goes_by_the_tencent_template(tencent):
    CustomerFactory(name="王总", phone=PHONE)
    ticket = do_portal_ticket_create(name="陌生人", question="订单没发货", details="", phone=PHONE)
    do_contact_code_send(ticket=ticket, channel="sms")
    (request,) = tencent.received
    assert request["params"]["TemplateId"] == "449740"
    code, minutes, number = request["params"]["TemplateParamSet"]
    assert (minutes, number) == ("10", ticket.number)
    do_contact_code_check(ticket=ticket, code=code)
    ticket.refresh_from_db()
    assert ticket.contact_status == "verified"


def test_a_queued_notification_is_sent_by_its_template(tencent, settings):
    settings.HUITOU_NOTIFY_SMS = True
    note = _queued_sms_notification()
    assert do_sms_deliver() == 1
    (request,) = tencent.received
    assert request["params"]["TemplateId"] == "449741"
    assert request["params"]["TemplateParamSet"] == [note.ticket.number]
    note.refresh_from_db()
    assert note.status == "sent"


def test_a_notification_over_the_daily_limit_is_not_retried(tencent, settings):
    settings.HUITOU_NOTIFY_SMS = True
    settings.HUITOU_SMS_DAILY_LIMIT = 1
    first, second = _queued_sms_notification(), _queued_sms_notification()
    assert do_sms_deliver() == 1
    second.refresh_from_db()
    # Refused for the day: failed at once (no back-off until tomorrow), the number masked.
    assert second.status == "failed" and second.attempts == 1
    assert second.next_attempt_at is None and "135****5678" in second.last_error
    assert SmsSend.objects.filter(status=SmsSend.Status.REFUSED_LIMIT).count() == 1
    assert first.recipient == second.recipient


def _queued_sms_notification() -> Notification:
    ticket = do_ticket_create(
        actor=UserFactory(role="agent"),
        customer=CustomerFactory(name="周建国", email=""),
        channel="phone",
        type="consultation",
        subject="冰箱不制冷",
        contact_name="周先生",
        contact_phone="13512345678",
    )
    return Notification.objects.get(ticket=ticket, event="received", channel="sms")
