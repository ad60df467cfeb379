"""GET /api/v1/tickets/{id}/messages: each message's kind, its attachments with a download URL
that the same token opens, and the delivery another app (mail) registers; in a fixed number of
queries however long the thread."""

import pytest
from django.test import Client

from huitou.accounts.services import do_token_create
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.tickets import selectors
from huitou.tickets.attachments import build_attachment
from huitou.tickets.selectors import MessageExtra
from huitou.tickets.services import do_customer_message_add, do_message_add
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

# Every field the endpoint answered with before attachments came; clients rely on them.
EXISTING_FIELDS = {
    "id",
    "ticket",
    "body",
    "public",
    "sender",
    "author",
    "author_name",
    "created_at",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agent():
    return UserFactory(role="agent", department=DepartmentFactory(name="客服中心"))


def _thread(ticket, agent):
    do_customer_message_add(
        ticket=ticket,
        body="冰箱不制冷",
        original_body="冰箱不制冷\n\n> 原邮件",
        attachments=[
            build_attachment(name="故障照片.jpg", content_type="image/jpeg", payload=b"\xff\xd8"),
            build_attachment(name="发票.pdf", content_type="", payload=b"%PDF-1.7"),
        ],
    )
    do_message_add(actor=agent, ticket=ticket, body="您好，已安排师傅上门。", public=True)
    do_message_add(actor=agent, ticket=ticket, body="客户情绪平稳", public=False)


def test_messages_carry_their_kind_and_keep_every_earlier_field(api_as, agent):
    ticket = TicketFactory()
    _thread(ticket, agent)
    response = api_as(agent).get(f"tickets/{ticket.pk}/messages")
    assert response.status_code == 200, response.content
    items = response.json()
    assert [item["kind"] for item in items] == ["customer", "public", "internal"]
    for item in items:
        assert set(item) >= EXISTING_FIELDS
    customer, reply, note = items
    assert (customer["sender"], customer["author"], customer["public"]) == ("customer", None, True)
    assert customer["original_body"] == "冰箱不制冷\n\n> 原邮件"
    assert reply["original_body"] == "" and reply["author_name"] == agent.display_name
    assert note["public"] is False
    assert [item["delivery"] for item in items] == [None, None, None]  # nothing was e-mailed


def test_attachments_are_listed_with_a_url_the_token_downloads(agent):
    ticket = TicketFactory()
    _thread(ticket, agent)
    _token, raw = do_token_create(user=agent)
    headers = {"Authorization": f"Bearer {raw}"}
    client = Client()
    items = client.get(f"/api/v1/tickets/{ticket.pk}/messages", headers=headers).json()
    photo, invoice = items[0]["attachments"]
    assert {key: photo[key] for key in ("name", "size", "content_type", "inline")} == {
        "name": "故障照片.jpg",
        "size": 2,
        "content_type": "image/jpeg",
        "inline": False,
    }
    assert (invoice["name"], invoice["content_type"]) == ("发票.pdf", "application/pdf")
    assert invoice["url"] == f"http://testserver/tickets/attachments/{invoice['id']}/"
    download = client.get(invoice["url"], headers=headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.7"
    assert items[1]["attachments"] == [] and items[2]["attachments"] == []


def test_delivery_comes_from_the_registered_extra_in_one_call(api_as, agent, monkeypatch):
    ticket = TicketFactory()
    _thread(ticket, agent)
    calls = []

    def delivery(messages):
        calls.append([m.pk for m in messages])
        return {
            m.pk: {"state": "failed", "error": "550 mailbox unavailable"}
            for m in messages
            if m.public and m.sender == "staff"
        }

    monkeypatch.setitem(
        selectors._MESSAGE_EXTRAS, "delivery", MessageExtra(key="delivery", fn=delivery)
    )
    items = api_as(agent).get(f"tickets/{ticket.pk}/messages").json()
    assert len(calls) == 1 and len(calls[0]) == 3
    assert [item["delivery"] for item in items] == [
        None,
        {"state": "failed", "error": "550 mailbox unavailable"},
        None,
    ]


def test_a_posted_reply_answers_with_its_kind_attachments_and_delivery(api_as, agent, monkeypatch):
    ticket = TicketFactory()
    monkeypatch.setitem(
        selectors._MESSAGE_EXTRAS,
        "delivery",
        MessageExtra(
            key="delivery", fn=lambda messages: {m.pk: {"state": "queued"} for m in messages}
        ),
    )
    response = api_as(agent).post(
        f"tickets/{ticket.pk}/messages", {"body": "您好，已为您登记。", "public": True}
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert (item["kind"], item["attachments"]) == ("public", [])
    assert item["delivery"] == {"state": "queued", "error": ""}


def test_the_thread_is_read_in_a_fixed_number_of_queries(
    api_as, agent, django_assert_max_num_queries
):
    ticket = TicketFactory()
    client = api_as(agent)
    for n in range(20):
        do_customer_message_add(
            ticket=ticket,
            body=f"第 {n} 封邮件",
            attachments=[
                build_attachment(name=f"{n}.png", content_type="image/png", payload=b"png"),
                build_attachment(name=f"{n}.pdf", content_type="", payload=b"pdf"),
            ],
        )
    # The lockout check, the token and its use, the permissions (2), the ticket, the
    # messages, their attachments, and one per registered extra (mail's delivery): never
    # one per message or file.
    budget = 8 + len(selectors._MESSAGE_EXTRAS)
    with django_assert_max_num_queries(budget):
        response = client.get(f"tickets/{ticket.pk}/messages")
    items = response.json()
    assert len(items) == 20 and all(len(item["attachments"]) == 2 for item in items)


def test_a_ticket_out_of_scope_has_no_messages_to_show(api_as):
    handler = UserFactory(role="handler", department=DepartmentFactory(name="销售部"))
    ticket = TicketFactory(department=DepartmentFactory(name="售后服务部"))
    assert api_as(handler).get(f"tickets/{ticket.pk}/messages").status_code == 404
