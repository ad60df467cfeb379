"""Issue 12, point 2: a phone number or address typed on the portal proves nothing. The
ticket stays with a visitor record, at the default tier, its contact marked unverified,
until the customer enters a code sent to that contact."""

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.core.models import AuditEntry
from huitou.customers.tests.factories import CustomerFactory
from huitou.knowledge.models import ContactCode
from huitou.knowledge.portal import do_portal_ticket_create
from huitou.knowledge.verification import (
    do_contact_code_check,
    do_contact_code_send,
    ticket_for_link,
    ticket_link_token,
)
from huitou.sla.clock import policy_for_ticket
from huitou.sla.models import Queue
from huitou.sms import backends as sms
from huitou.sms.services import send_sms
from huitou.tickets.models import Ticket

pytestmark = pytest.mark.django_db

VIP_PHONE = "13800138000"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def vip():
    Queue.objects.get(name="VIP 专席").members.set([UserFactory(role="agent")])
    Queue.objects.get(name="综合队列").members.set([UserFactory(role="agent")])
    return CustomerFactory(tier="A", phone=VIP_PHONE, email="wang@example.com", name="王总")


def stranger_ticket(**contact):
    return do_portal_ticket_create(
        name="陌生人", question="我的订单怎么还没发货", details="请尽快处理", **contact
    )


def last_sms_code() -> str:
    return re.search(r"验证码是 (\d{6})", sms.outbox[-1].text).group(1)


def last_mail_code() -> str:
    return re.search(r"验证码是 (\d{6})", mail.outbox[-1].body).group(1)


def test_a_strangers_ticket_with_a_vip_phone_is_not_filed_under_that_customer(vip):
    ticket = stranger_ticket(phone=VIP_PHONE)
    assert ticket.customer != vip and not vip.tickets.exists()
    assert ticket.customer.tier == "C"  # the default tier: routed and timed as a visitor
    assert ticket.customer.phone == "" and ticket.customer.email == ""
    assert ticket.queue.name == "综合队列"
    assert (ticket.contact_phone, ticket.contact_status) == (VIP_PHONE, "unverified")
    assert ticket.contact_verified_at is None
    assert ticket.sla.policy.tier != "A"


def test_the_same_holds_for_an_email_address(vip):
    ticket = stranger_ticket(email="Wang@Example.com")
    assert ticket.customer != vip and ticket.queue.name == "综合队列"
    assert (ticket.contact_email, ticket.contact_status) == ("wang@example.com", "unverified")


def test_the_right_sms_code_attaches_the_ticket_to_the_customer_and_is_audited(vip):
    ticket = stranger_ticket(phone=VIP_PHONE)
    visitor = ticket.customer
    do_contact_code_send(ticket=ticket, channel="sms")
    assert sms.outbox[-1].to == VIP_PHONE
    code = last_sms_code()
    stored = ContactCode.objects.get(ticket=ticket)
    assert code not in stored.code_hash  # only a keyed hash is kept

    do_contact_code_check(ticket=ticket, code=code)

    ticket.refresh_from_db()
    assert ticket.customer == vip and ticket.contact_status == "verified"
    assert ticket.contact_verified_at is not None
    assert ticket.queue.name == "VIP 专席"  # a proven VIP gets the VIP desk
    assert ticket.sla.policy == policy_for_ticket(ticket)
    history = {
        entry.field: (entry.old_value, entry.new_value)
        for entry in AuditEntry.objects.for_object(ticket).filter(action="changed")
    }
    assert history["contact_status"] == ("unverified", "verified")
    assert history["customer"] == (str(visitor), str(vip))
    stored.refresh_from_db()
    assert stored.used_at is not None


def test_an_email_code_proves_the_address(vip):
    ticket = stranger_ticket(email="wang@example.com")
    do_contact_code_send(ticket=ticket, channel="email")
    assert mail.outbox[-1].to == ["wang@example.com"]
    do_contact_code_check(ticket=ticket, code=last_mail_code())
    ticket.refresh_from_db()
    assert (ticket.customer, ticket.contact_status) == (vip, "verified")


def test_a_proven_number_nobody_has_goes_onto_the_visitor_record(vip):
    ticket = stranger_ticket(phone="13700137000")
    do_contact_code_send(ticket=ticket, channel="sms")
    do_contact_code_check(ticket=ticket, code=last_sms_code())
    ticket.refresh_from_db()
    assert ticket.contact_status == "verified"
    assert ticket.customer.phone == "13700137000" and ticket.customer != vip


def assert_unchanged(ticket, visitor):
    ticket.refresh_from_db()
    assert (ticket.customer, ticket.contact_status, ticket.contact_verified_at) == (
        visitor, "unverified", None,
    )  # fmt: skip
    assert ticket.queue.name == "综合队列"
    assert not AuditEntry.objects.for_object(ticket).filter(field="customer").exists()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_wrong_code_is_refused_and_changes_nothing_but_the_count_of_tries(vip):
    ticket = stranger_ticket(phone=VIP_PHONE)
    do_contact_code_send(ticket=ticket, channel="sms")
    with pytest.raises(DomainError) as refused:
        do_contact_code_check(ticket=ticket, code=wrong(last_sms_code()))
    assert (refused.value.field, refused.value.code) == ("code", "wrong_code")
    assert ContactCode.objects.get(ticket=ticket).attempts == 1
    assert_unchanged(ticket, ticket.customer)


def test_too_many_wrong_tries_lock_the_code_even_against_the_right_one(vip, settings):
    settings.CONTACT_CODE_MAX_ATTEMPTS = 3
    ticket = stranger_ticket(phone=VIP_PHONE)
    do_contact_code_send(ticket=ticket, channel="sms")
    code = last_sms_code()
    for _ in range(3):
        with pytest.raises(DomainError):
            do_contact_code_check(ticket=ticket, code=wrong(code))
    with pytest.raises(DomainError) as refused:
        do_contact_code_check(ticket=ticket, code=code)
    assert refused.value.code == "too_many_attempts"
    assert_unchanged(ticket, ticket.customer)


def test_an_expired_code_is_refused(vip):
    ticket = stranger_ticket(phone=VIP_PHONE)
    do_contact_code_send(ticket=ticket, channel="sms")
    ContactCode.objects.filter(ticket=ticket).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(DomainError) as refused:
        do_contact_code_check(ticket=ticket, code=last_sms_code())
    assert refused.value.code == "expired"
    assert_unchanged(ticket, ticket.customer)


def test_a_code_works_once_and_a_new_code_replaces_the_last(vip, monkeypatch):
    codes = iter([111111, 222222])
    monkeypatch.setattr("huitou.knowledge.verification.secrets.randbelow", lambda _n: next(codes))
    ticket = stranger_ticket(phone=VIP_PHONE)
    do_contact_code_send(ticket=ticket, channel="sms")
    do_contact_code_send(ticket=ticket, channel="sms")
    with pytest.raises(DomainError) as replaced:
        do_contact_code_check(ticket=ticket, code="111111")
    assert replaced.value.field == "code"  # only the newest code counts
    assert_unchanged(ticket, ticket.customer)
    do_contact_code_check(ticket=ticket, code="222222")
    with pytest.raises(DomainError) as reused:
        do_contact_code_check(ticket=ticket, code="222222")
    assert reused.value.code == "verified"
    assert ContactCode.objects.filter(used_at__isnull=False).count() == 1


def test_a_code_goes_only_to_the_contact_on_the_ticket():
    ticket = stranger_ticket(phone="010-12345678")  # a landline takes no SMS
    with pytest.raises(DomainError) as refused:
        do_contact_code_send(ticket=ticket, channel="sms")
    assert refused.value.field == "channel"
    with pytest.raises(DomainError):
        do_contact_code_send(ticket=ticket, channel="email")  # no address on the ticket
    assert not ContactCode.objects.exists()


# --- the SMS gateway over HTTP -------------------------------------------------------------


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "json": json.loads(body),
            }
        )
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    Gateway.received, Gateway.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "huitou.sms.backends.HttpBackend"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/v1/sms"
    settings.SMS_HTTP_API_KEY = "test-key"
    settings.SMS_SENDER = "回头"
    yield Gateway
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_http_backend_posts_json_with_the_api_key(gateway):
    send_sms(to=VIP_PHONE, text="您的验证码是 123456")
    (request,) = gateway.received
    assert request["path"] == "/v1/sms" and request["auth"] == "Bearer test-key"
    assert request["type"].startswith("application/json")
    assert request["json"] == {"to": VIP_PHONE, "text": "您的验证码是 123456", "sender": "回头"}


def test_a_gateway_error_is_an_sms_error_and_keeps_no_code(gateway, vip):
    gateway.status = 503
    with pytest.raises(sms.SmsError):
        send_sms(to=VIP_PHONE, text="x")
    ticket = stranger_ticket(phone=VIP_PHONE)
    with pytest.raises(DomainError) as refused:
        do_contact_code_send(ticket=ticket, channel="sms")
    assert refused.value.code == "not_sent"
    assert not ContactCode.objects.exists()


def test_an_unreachable_gateway_is_an_sms_error(settings):
    settings.SMS_BACKEND = "huitou.sms.backends.HttpBackend"
    settings.SMS_HTTP_URL = ""
    with pytest.raises(sms.SmsError):
        send_sms(to=VIP_PHONE, text="x")


# --- the portal pages --------------------------------------------------------------------


def test_the_portal_flow_from_ticket_to_proven_contact(client, vip):
    done = client.post(
        "/help/ticket/",
        {"name": "王总", "phone": VIP_PHONE, "question": "发票怎么开", "details": ""},
    )
    ticket = Ticket.objects.get(subject="发票怎么开")
    page = done.content.decode()
    assert ticket.customer != vip and 'id="verify-link"' in page
    link = re.search(r'href="(/help/ticket/verify/[^"]+/)" id="verify-link"', page).group(1)
    # The token is signed with a timestamp: compare what it names, not its text, which
    # changes when the second does.
    token = link.removeprefix("/help/ticket/verify/").rstrip("/")
    assert ticket_for_link(token) == ticket

    shown = client.get(link).content.decode()
    assert "138****8000" in shown and VIP_PHONE not in shown

    sent = client.post(f"{link}send/", {"channel": "sms"})
    assert sent.status_code == 200 and 'id="code-sent"' in sent.content.decode()
    code = last_sms_code()

    refused = client.post(link, {"code": wrong(code)})
    assert refused.status_code == 422 and "验证码不正确" in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.customer != vip

    proven = client.post(link, {"code": code})
    assert 'id="verify-done"' in proven.content.decode()
    ticket.refresh_from_db()
    assert (ticket.customer, ticket.contact_status) == (vip, "verified")


def test_a_forged_or_staff_link_finds_nothing(client, vip):
    ticket = stranger_ticket(phone=VIP_PHONE)
    token = ticket_link_token(ticket)
    assert client.get(f"/help/ticket/verify/{token}x/").status_code == 404
    assert (
        client.post(f"/help/ticket/verify/{token[:-2]}/send/", {"channel": "sms"}).status_code
        == 404
    )
    from huitou.tickets.tests.factories import TicketFactory

    staff_ticket = TicketFactory()
    assert client.get(f"/help/ticket/verify/{ticket_link_token(staff_ticket)}/").status_code == 404


def test_codes_to_one_number_are_rate_limited_whoever_asks(client, vip, settings):
    settings.CONTACT_CODE_DESTINATION_RATE = "2/h"
    link = f"/help/ticket/verify/{ticket_link_token(stranger_ticket(phone=VIP_PHONE))}/send/"
    other = f"/help/ticket/verify/{ticket_link_token(stranger_ticket(phone=VIP_PHONE))}/send/"
    assert client.post(link, {"channel": "sms"}, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.post(other, {"channel": "sms"}, REMOTE_ADDR="10.0.0.2").status_code == 200
    limited = client.post(link, {"channel": "sms"}, REMOTE_ADDR="10.0.0.3")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert len(sms.outbox) == 2


def test_codes_from_one_client_are_rate_limited(client, vip, settings):
    settings.HUITOU_RATE_LIMITS = {**settings.HUITOU_RATE_LIMITS, "portal_code": ("2/m", "300/h")}
    links = [
        f"/help/ticket/verify/{ticket_link_token(stranger_ticket(phone=f'1370013700{n}'))}/send/"
        for n in range(3)
    ]
    answers = [client.post(link, {"channel": "sms"}).status_code for link in links]
    assert answers == [200, 200, 429] and len(sms.outbox) == 2


def test_a_bot_hand_off_never_attaches_to_a_customer_by_a_number_in_the_chat(vip):
    from huitou.knowledge.bot import do_bot_ask

    talk = do_bot_ask(question=f"我的手机号是 {VIP_PHONE}，订单一直没发货")
    do_bot_ask(question="人工", conversation=talk["conversation"])
    ticket = Ticket.objects.get(channel="chat")
    assert ticket.customer != vip and ticket.customer.tier == "C"
    assert ticket.queue.name == "综合队列" and not vip.tickets.exists()
