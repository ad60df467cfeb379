"""我的工单 and the ticket page: only the signed-in customer's tickets, only the public
thread, replies with files, resolve and reopen; a guest's link opens its ticket alone."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from huitou.accounts.models import Department
from huitou.accounts.tests.factories import UserFactory
from huitou.complaints.models import Complaint
from huitou.complaints.services import do_complaint_dispatch
from huitou.core.models import OutboxMessage
from huitou.customers.models import Customer
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.attachments import build_attachment
from huitou.tickets.models import Ticket
from huitou.tickets.services import do_message_add
from huitou.tickets.tests.factories import TicketFactory

from .conftest import EMAIL, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(role="agent")


def note(agent, ticket, body, *, public, files=()):
    return do_message_add(actor=agent, ticket=ticket, body=body, public=public, attachments=files)


def pdf(name="说明.pdf"):
    return build_attachment(name=name, content_type="application/pdf", payload=b"%PDF-1.4")


def test_my_tickets_lists_only_the_customers_own(client, wang):
    mine = TicketFactory(customer=wang, subject="冰箱不制冷")
    old = CustomerFactory(name="旧档案", phone="13900000001")
    merged = TicketFactory(customer=old, subject="旧档案的工单")
    Customer.objects.filter(pk=old.pk).update(merged_into=wang)
    other = TicketFactory(customer=CustomerFactory(name="别人"), subject="别人的工单")
    page = sign_in(client).get("/help/my/").content.decode()
    assert mine.number in page and merged.number in page and other.number not in page
    assert "处理中" in page or "已受理" in page  # status in the customer's words
    assert "承诺处理时间" in page  # the SLA's resolution due time
    assert client.get(f"/help/my/{other.pk}/").status_code == 404


def test_the_ticket_page_shows_the_public_thread_only(client, wang, agent):
    ticket = TicketFactory(customer=wang, subject="冰箱不制冷")
    note(agent, ticket, "内部：这位客户上次也投诉过", public=False, files=[pdf("内部.pdf")])
    note(agent, ticket, "您好，师傅明天上门。", public=True, files=[pdf("上门单.pdf")])
    page = sign_in(client).get(f"/help/my/{ticket.pk}/").content.decode()
    assert "您好，师傅明天上门。" in page and "上门单.pdf" in page
    assert "这位客户上次也投诉过" not in page and "内部.pdf" not in page
    public_file = ticket.attachments.get(name="上门单.pdf")
    internal_file = ticket.attachments.get(name="内部.pdf")
    response = client.get(f"/help/my/{ticket.pk}/files/{public_file.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4"
    assert client.get(f"/help/my/{ticket.pk}/files/{internal_file.pk}/").status_code == 404
    other = TicketFactory(customer=CustomerFactory(name="别人"))
    assert client.get(f"/help/my/{other.pk}/files/{public_file.pk}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, wang):
    ticket = TicketFactory(customer=wang)
    assert client.get(f"/help/my/{ticket.pk}/")["Location"] == "/help/account/"
    assert client.post(f"/help/my/{ticket.pk}/resolve/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status != "resolved"


def test_a_reply_with_a_file_reopens_a_resolved_ticket(client, wang):
    ticket = TicketFactory(customer=wang, status="resolved")
    upload = SimpleUploadedFile("照片.png", b"\x89PNG\r\n", content_type="image/png")
    response = sign_in(client).post(
        f"/help/my/{ticket.pk}/reply/", {"body": "还是不制冷", "attachments": [upload]}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    message = ticket.messages.get(body="还是不制冷")
    assert ticket.status == "open" and message.sender == "customer"
    assert list(message.attachments.values_list("name", flat=True)) == ["照片.png"]


def test_the_customer_resolves_and_reopens(client, wang):
    ticket = TicketFactory(customer=wang)
    sign_in(client)
    assert client.post(f"/help/my/{ticket.pk}/resolve/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert "已解决" in client.get(f"/help/my/{ticket.pk}/").content.decode()
    assert client.post(f"/help/my/{ticket.pk}/reopen/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_a_closed_ticket_takes_a_reply_by_reopening(client, wang):
    ticket = TicketFactory(customer=wang, status="closed")
    sign_in(client).post(f"/help/my/{ticket.pk}/reply/", {"body": "又坏了"})
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.messages.filter(body="又坏了").exists()


def test_a_complaint_is_not_closed_by_the_customer_but_takes_replies(client, wang):
    ticket = TicketFactory(customer=wang, type="complaint", subject="安装后漏水")
    sign_in(client)
    page = client.get(f"/help/my/{ticket.pk}/").content.decode()
    assert "问题已解决" not in page
    assert client.post(f"/help/my/{ticket.pk}/resolve/").status_code == 409
    assert client.post(f"/help/my/{ticket.pk}/reply/", {"body": "请尽快"}).status_code == 302


def test_a_ticket_whose_contact_the_customer_proved_is_listed(client, wang):
    visitor = CustomerFactory(name="访客", phone="")
    proven = TicketFactory(customer=visitor, contact_email=EMAIL, contact_status="verified")
    unproven = TicketFactory(customer=visitor, contact_email=EMAIL, contact_status="unverified")
    page = sign_in(client).get("/help/my/").content.decode()
    assert proven.number in page and unproven.number not in page


def test_a_guest_gets_a_private_link_for_their_ticket_alone(client, wang):
    response = client.post(
        "/help/ticket/", {"name": "李先生", "email": "li@example.com", "question": "发票怎么开"}
    )
    ticket = Ticket.objects.get(subject="发票怎么开")
    link = re.search(r'id="guest-link".*?href="http://testserver(/help/t/[^"]+/)"',
                     response.content.decode(), re.S).group(1)  # fmt: skip
    mail = OutboxMessage.objects.get(kind="portal_guest_link")
    assert mail.to == ["li@example.com"] and link in mail.body
    page = client.get(link).content.decode()
    assert ticket.number in page and "返回我的工单" not in page
    assert client.post(f"{link}reply/", {"body": "抬头是某某公司"}).status_code == 302
    assert ticket.messages.filter(body="抬头是某某公司", sender="customer").exists()
    other = TicketFactory(customer=wang)
    assert client.get(f"/help/my/{other.pk}/").status_code == 302  # not signed in
    assert client.get(link[:-3] + "xx/").status_code == 404  # a tampered token
    assert client.get(f"{link}files/1/").status_code == 404


def test_an_agents_summary_of_a_phone_ticket_is_not_shown(client, wang):
    ticket = TicketFactory(customer=wang, channel="phone", description="客户语气很冲，注意安抚")
    page = sign_in(client).get(f"/help/my/{ticket.pk}/").content.decode()
    assert ticket.subject in page and "注意安抚" not in page


def test_a_dispatched_complaint_shows_its_promised_date(client, wang, agent):
    ticket = TicketFactory(customer=wang, type="complaint", subject="安装后漏水")
    department, _ = Department.objects.get_or_create(name="售后服务部")
    complaint = Complaint.objects.get(pk=ticket.pk)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=department, note="请处理")
    complaint.refresh_from_db()
    page = sign_in(client).get(f"/help/my/{ticket.pk}/").content.decode()
    assert complaint.promised_date.strftime("%Y-%m-%d") in page
