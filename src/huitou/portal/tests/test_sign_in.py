"""Signing in to the portal without a password: a code or a one-time link sent to the
customer's own contact, the same answer for anyone, rate-limited."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.core.models import OutboxMessage
from huitou.customers.retention import do_customer_erase_on_request, personal_data_export
from huitou.customers.tests.factories import CustomerFactory
from huitou.portal.models import SignInCode
from huitou.portal.selectors import SESSION_KEY
from huitou.sms import backends as sms

from .conftest import EMAIL, last_code, last_link, sign_in

pytestmark = pytest.mark.django_db


def test_a_customer_signs_in_with_the_code_from_their_mail(client, wang):
    response = client.post("/help/account/", {"contact": "Wang@Example.com"})
    assert response.status_code == 200 and 'id="portal-code"' in response.content.decode()
    mail = OutboxMessage.objects.get(kind="portal_sign_in")
    assert mail.to == [EMAIL] and "/help/account/link/" in mail.body
    assert client.post("/help/account/code/", {"code": last_code()}).status_code == 302
    assert client.session[SESSION_KEY]["customer"] == wang.pk
    assert "_auth_user_id" not in client.session  # not a staff login
    assert client.get("/help/my/").status_code == 200


def test_the_link_signs_in_once_and_only_on_a_click(client, wang):
    client.post("/help/account/", {"contact": EMAIL})
    link = last_link()
    assert client.get(link).status_code == 200  # a mail scanner opening it signs nobody in
    assert SESSION_KEY not in client.session
    assert client.post(link).status_code == 302
    assert client.session[SESSION_KEY]["customer"] == wang.pk
    client.post("/help/account/logout/")
    assert SESSION_KEY not in client.session
    assert client.post(link).status_code == 422  # used


def test_a_wrong_code_counts_and_an_expired_code_fails(client, wang):
    client.post("/help/account/", {"contact": EMAIL})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/help/account/code/", {"code": wrong}).status_code == 422
    assert SignInCode.objects.get().attempts == 1
    SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/help/account/code/", {"code": code})
    assert response.status_code == 422 and "验证码已失效" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_too_many_wrong_codes_lock_the_code(client, wang, settings):
    settings.CONTACT_CODE_MAX_ATTEMPTS = 2
    client.post("/help/account/", {"contact": EMAIL})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        client.post("/help/account/code/", {"code": wrong})
    assert client.post("/help/account/code/", {"code": code}).status_code == 422


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, wang):
    known = client.post("/help/account/", {"contact": EMAIL})
    unknown = client.post("/help/account/", {"contact": "nobody@example.com"})
    assert unknown.status_code == known.status_code == 200

    def card(response):  # the page without the masked address and the CSRF token
        page = response.content.decode().split('id="portal-code"')[1]
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        return page.replace("n***@", "w***@")

    assert card(known) == card(unknown)
    assert OutboxMessage.objects.filter(to=["nobody@example.com"]).count() == 0


def test_a_phone_signs_in_by_sms(client, wang):
    client.post("/help/account/", {"contact": "138-0013-8000"})
    assert sms.outbox[-1].to == "13800138000"
    code = sms.outbox[-1].text.split("验证码是 ")[1][:6]
    assert client.post("/help/account/code/", {"code": code}).status_code == 302
    assert client.session[SESSION_KEY]["customer"] == wang.pk


def test_sign_in_is_rate_limited_per_client_and_per_address(client, wang, settings):
    settings.HUITOU_RATE_LIMITS = {"portal_code": ("2/m", "100/h")}
    for _ in range(2):
        assert client.post("/help/account/", {"contact": EMAIL}).status_code == 200
    assert client.post("/help/account/", {"contact": EMAIL}).status_code == 429
    settings.HUITOU_RATE_LIMITS = {"portal_code": ("100/m", "100/h")}
    settings.CONTACT_CODE_DESTINATION_RATE = "3/h"
    assert client.post("/help/account/", {"contact": EMAIL}).status_code == 200
    assert client.post("/help/account/", {"contact": EMAIL}).status_code == 429  # 4th to it


def test_duplicates_sign_in_as_the_oldest_record(client, wang):
    CustomerFactory(name="重复档案", email=EMAIL)
    sign_in(client)
    assert client.session[SESSION_KEY]["customer"] == wang.pk


def test_a_new_code_replaces_the_last(client, wang):
    client.post("/help/account/", {"contact": EMAIL})
    first = last_code()
    client.post("/help/account/", {"contact": EMAIL})
    second = last_code()
    if first != second:
        assert client.post("/help/account/code/", {"code": first}).status_code == 422
    assert client.post("/help/account/code/", {"code": second}).status_code == 302


def test_erasing_the_customer_deletes_their_sign_in_codes_and_exports_list_them(client, wang):
    client.post("/help/account/", {"contact": EMAIL})
    assert SignInCode.objects.filter(customer=wang).exists()
    exported = json.loads(personal_data_export(actor=None, customer=wang, channel="cli"))
    assert [row["destination"] for row in exported["portal_sign_in"]] == [EMAIL]
    summary = do_customer_erase_on_request(
        actor=None, customer=wang, reason="客户来电要求删除", channel="cli"
    )
    assert not SignInCode.objects.filter(customer=wang).exists()
    assert summary["tickets"] == 0  # the count of tickets, not of every record cleared
