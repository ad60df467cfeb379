import re

import pytest

from huitou.accounts.models import User
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.core.models import AuditEntry
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Message, Ticket
from huitou.tickets.tests.factories import TicketFactory


@pytest.fixture
def agent(db):
    return UserFactory(role="agent")


@pytest.fixture
def aftersales(db):
    return DepartmentFactory(name="售后服务部")


def _ticket_payload(for_customer, **overrides):
    return {
        "customer": for_customer.pk,
        "channel": "phone",
        "type": "complaint",
        "subject": "空调安装后漏水",
        "description": "师傅三天未上门",
        "priority": "high",
        **overrides,
    }


@pytest.mark.django_db
def test_customer_ticket_reply_and_read_back(api_as, agent, aftersales):
    api = api_as(agent)
    customer = api.post("customers", {"name": "赵敏", "phone": "13912345678"}).json()
    response = api.post(
        "tickets",
        {
            "customer": customer["id"],
            "channel": "phone",
            "type": "technical",  # complaints answer through their flow (complaints tests)
            "subject": "空调安装后漏水",
            "description": "师傅三天未上门",
            "priority": "high",
            "department": aftersales.pk,
            "assignee": None,
        },
    )
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert re.fullmatch(r"T\d{4}\d{6}", ticket["number"])
    assert ticket["status"] == "new"
    assert ticket["customer"] == customer["id"]
    assert ticket["department"] == aftersales.pk

    reply = api.post(
        f"tickets/{ticket['id']}/messages", {"body": "您好，已安排师傅", "public": True}
    )
    assert reply.status_code == 201
    note = api.post(f"tickets/{ticket['id']}/messages", {"body": "催促售后", "public": False})
    assert note.status_code == 201

    thread = api.get(f"tickets/{ticket['id']}/messages").json()
    assert [(m["body"], m["public"]) for m in thread] == [
        ("您好，已安排师傅", True),
        ("催促售后", False),
    ]
    read_back = api.get(f"tickets/{ticket['id']}").json()
    assert read_back["status"] == "open"  # the first public reply opens the ticket
    assert read_back["first_response_at"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"type": "gossip"}, "type"),
        ({"priority": "asap"}, "priority"),
        ({"subject": "   "}, "subject"),
        ({"department": 424242}, "department"),
        ({"assignee": 424242}, "assignee"),
        ({"customer": 424242}, "customer"),
    ],
)
def test_bad_ticket_input_is_422_naming_the_field_and_writes_nothing(
    api_as, agent, overrides, field
):
    customer = CustomerFactory()
    response = api_as(agent).post("tickets", _ticket_payload(customer, **overrides))
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == field
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_missing_fields_are_all_named(api_as, agent):
    response = api_as(agent).post("tickets", {})
    assert response.status_code == 422
    named = {error["loc"][-1] for error in response.json()["detail"]}
    assert {"customer", "channel", "type", "subject"} <= named


@pytest.mark.django_db
def test_no_token_is_401_and_bad_token_is_401(api_as, client):
    ticket = TicketFactory()
    assert client.get(f"/api/v1/tickets/{ticket.pk}").status_code == 401
    bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer ht_nope"})
    assert bad.status_code == 401
    assert api_as(None).post("tickets", {}).status_code == 401


@pytest.mark.django_db
def test_handler_gets_404_for_another_departments_ticket(api_as, aftersales):
    logistics = DepartmentFactory(name="物流部")
    mine = TicketFactory(department=aftersales)
    other = TicketFactory(department=logistics)
    api = api_as(UserFactory(role="handler", department=aftersales))
    assert api.get(f"tickets/{mine.pk}").status_code == 200
    assert api.get(f"tickets/{other.pk}").status_code == 404
    assert api.patch(f"tickets/{other.pk}", {"status": "resolved"}).status_code == 404
    assert api.post(f"tickets/{other.pk}/messages", {"body": "x"}).status_code == 404
    assert api.get(f"tickets/{other.pk}/messages").status_code == 404
    assert [t["id"] for t in api.get("tickets").json()["items"]] == [mine.pk]


@pytest.mark.django_db
def test_handler_without_department_sees_nothing(api_as, aftersales):
    TicketFactory()
    TicketFactory(department=None)
    handler = UserFactory(role="handler", department=aftersales)
    User.objects.filter(pk=handler.pk).update(department=None)  # e.g. moved out by an admin
    api = api_as(User.objects.get(pk=handler.pk))
    assert api.get("tickets").json()["count"] == 0
    assert api.get("tickets", view="department").json()["count"] == 0
    assert api.get("customers").json()["count"] == 0


@pytest.mark.django_db
def test_handler_works_on_own_department_ticket_but_cannot_redispatch(api_as, aftersales):
    ticket = TicketFactory(department=aftersales)
    api = api_as(UserFactory(role="handler", department=aftersales))
    assert api.patch(f"tickets/{ticket.pk}", {"status": "open"}).status_code == 200
    other = DepartmentFactory(name="质量部")
    assert api.patch(f"tickets/{ticket.pk}", {"department": other.pk}).status_code == 403
    assert api.post("tickets", _ticket_payload(ticket.customer)).status_code == 403


@pytest.mark.django_db
def test_qa_reads_and_notes_but_cannot_change_or_reply_publicly(api_as):
    ticket = TicketFactory()
    api = api_as(UserFactory(role="qa"))
    assert api.get(f"tickets/{ticket.pk}").status_code == 200
    assert api.patch(f"tickets/{ticket.pk}", {"priority": "urgent"}).status_code == 403
    assert (
        api.post(f"tickets/{ticket.pk}/messages", {"body": "质检意见", "public": True}).status_code
        == 403
    )
    assert (
        api.post(f"tickets/{ticket.pk}/messages", {"body": "质检意见", "public": False}).status_code
        == 201
    )


@pytest.mark.django_db
def test_update_is_recorded_in_history(api_as, agent):
    supervisor = UserFactory(role="supervisor")
    ticket = TicketFactory()
    response = api_as(supervisor).patch(
        f"tickets/{ticket.pk}", {"priority": "urgent", "assignee": agent.pk, "status": "open"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == agent.pk
    # The update's entries: filing already recorded the queue the ticket was routed to.
    entries = AuditEntry.objects.for_object(ticket).filter(action="changed", actor=supervisor)
    assert {(e.field, e.old_value, e.new_value, e.actor_id) for e in entries} == {
        ("priority", "normal", "urgent", supervisor.pk),
        ("assignee", "", agent.display_name, supervisor.pk),
        ("status", "new", "open", supervisor.pk),
    }


@pytest.mark.django_db
def test_agent_may_take_a_ticket_but_not_assign_it_to_others(api_as, agent):
    ticket = TicketFactory()
    colleague = UserFactory(role="agent")
    api = api_as(agent)
    assert api.patch(f"tickets/{ticket.pk}", {"assignee": colleague.pk}).status_code == 403
    assert api.patch(f"tickets/{ticket.pk}", {"assignee": agent.pk}).status_code == 200
    assert api.patch(f"tickets/{ticket.pk}", {"assignee": None}).status_code == 200


@pytest.mark.django_db
def test_qa_user_cannot_be_assignee(api_as):
    ticket = TicketFactory()
    qa = UserFactory(role="qa")
    response = api_as(UserFactory(role="supervisor")).patch(
        f"tickets/{ticket.pk}", {"assignee": qa.pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "assignee"


@pytest.mark.django_db
def test_illegal_status_transition_is_refused(api_as, agent):
    ticket = TicketFactory(status="closed")
    response = api_as(agent).patch(f"tickets/{ticket.pk}", {"status": "pending"})
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"][-1] == "status"
    ticket.refresh_from_db()
    assert ticket.status == "closed"


@pytest.mark.django_db
def test_resolve_close_and_reopen_stamp_times(api_as, agent):
    ticket = TicketFactory(status="open")
    api = api_as(agent)
    resolved = api.patch(f"tickets/{ticket.pk}", {"status": "resolved"}).json()
    assert resolved["resolved_at"] is not None
    closed = api.patch(f"tickets/{ticket.pk}", {"status": "closed"}).json()
    assert closed["closed_at"] is not None
    reopened = api.patch(f"tickets/{ticket.pk}", {"status": "open"}).json()
    assert reopened["resolved_at"] is None and reopened["closed_at"] is None
    assert AuditEntry.objects.for_object(ticket).filter(action="reopened").count() == 1


@pytest.mark.django_db
def test_failed_update_writes_nothing(api_as, agent):
    ticket = TicketFactory(priority="normal")
    filed = AuditEntry.objects.for_object(ticket).count()  # created, routed to a queue
    response = api_as(agent).patch(f"tickets/{ticket.pk}", {"priority": "urgent", "subject": ""})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert AuditEntry.objects.for_object(ticket).count() == filed


@pytest.mark.django_db
def test_empty_message_is_422_and_closed_ticket_refuses_messages(api_as, agent):
    api = api_as(agent)
    ticket = TicketFactory()
    response = api.post(f"tickets/{ticket.pk}/messages", {"body": "  "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "body"
    closed = TicketFactory(status="closed")
    assert api.post(f"tickets/{closed.pk}/messages", {"body": "hi"}).status_code == 409
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_list_filters_and_search(api_as, agent):
    wang = CustomerFactory(name="王秀英", phone="13800138000", tier="A")
    # Filed with a responsible department: dispatched at once, so the ticket is open.
    complaint = TicketFactory(
        customer=wang, type="complaint", priority="high", department=DepartmentFactory()
    )
    TicketFactory(type="consultation", status="new")
    api = api_as(agent)

    def ids(**params):
        return [t["id"] for t in api.get("tickets", **params).json()["items"]]

    assert ids(type="complaint") == [complaint.pk]
    assert ids(priority="high") == [complaint.pk]
    assert ids(status="open") == [complaint.pk]
    assert ids(tier="A") == [complaint.pk]
    assert ids(q="王秀英") == [complaint.pk]
    assert ids(q="13800138000") == [complaint.pk]
    assert ids(q=complaint.number) == [complaint.pk]
    assert ids(q=complaint.subject) == [complaint.pk]
    assert api.get("tickets", status="bogus").status_code == 422


@pytest.mark.django_db
def test_inbox_views_mine_and_unassigned(api_as, agent):
    mine = TicketFactory(assignee=agent)
    unassigned = TicketFactory()
    api = api_as(agent)
    assert [t["id"] for t in api.get("tickets", view="mine").json()["items"]] == [mine.pk]
    assert [t["id"] for t in api.get("tickets", view="unassigned").json()["items"]] == [
        unassigned.pk
    ]


@pytest.mark.django_db
def test_ticket_list_query_count_does_not_grow(
    api_as, agent, aftersales, django_assert_max_num_queries
):
    api = api_as(agent)
    TicketFactory.create_batch(2, assignee=agent, department=aftersales)
    with django_assert_max_num_queries(10) as small:
        api.get("tickets")
    baseline = len(small.captured_queries)  # before later requests reset the log
    TicketFactory.create_batch(25, assignee=agent, department=aftersales)
    with django_assert_max_num_queries(baseline):
        assert api.get("tickets", limit=50).json()["count"] == 27


@pytest.mark.django_db
def test_message_list_query_count_does_not_grow(api_as, agent, django_assert_max_num_queries):
    api = api_as(agent)
    ticket = TicketFactory()
    api.post(f"tickets/{ticket.pk}/messages", {"body": "1", "public": False})
    with django_assert_max_num_queries(10) as small:
        api.get(f"tickets/{ticket.pk}/messages")
    baseline = len(small.captured_queries)  # before later requests reset the log
    for n in range(20):
        api.post(f"tickets/{ticket.pk}/messages", {"body": str(n), "public": False})
    with django_assert_max_num_queries(baseline):
        assert len(api.get(f"tickets/{ticket.pk}/messages").json()) == 21


@pytest.mark.django_db
def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in schema["paths"]
    assert "/api/v1/tickets/{ticket_id}/messages" in schema["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()  # works offline


@pytest.mark.django_db
def test_redispatch_releases_the_old_departments_handler(api_as, aftersales):
    handler = UserFactory(role="handler", department=aftersales)
    ticket = TicketFactory(department=aftersales, assignee=handler)
    quality = DepartmentFactory(name="质量部")
    response = api_as(UserFactory(role="agent")).patch(
        f"tickets/{ticket.pk}", {"department": quality.pk}
    )
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert AuditEntry.objects.for_object(ticket).filter(field="assignee").exists()


@pytest.mark.django_db
def test_handler_cannot_own_a_ticket_without_their_department(api_as, aftersales):
    handler = UserFactory(role="handler", department=aftersales)
    ticket = TicketFactory(department=None)
    response = api_as(UserFactory(role="supervisor")).patch(
        f"tickets/{ticket.pk}", {"assignee": handler.pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "assignee"


@pytest.mark.django_db
def test_history_shows_labels_not_codes(client, agent):
    ticket = TicketFactory(status="new")
    client.force_login(agent)
    api_as_agent = client
    api_as_agent.post(f"/tickets/{ticket.pk}/update/", {"status": "open", "priority": "normal"})
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    history = html.split('id="history"')[1]
    assert "新建 → 处理中" in history
    assert "修改" in history and "状态" in history


@pytest.mark.django_db
def test_agent_cannot_take_a_colleagues_ticket_but_the_department_handler_can(api_as, aftersales):
    colleague = UserFactory(role="agent")
    ticket = TicketFactory(assignee=colleague, department=aftersales)
    agent = UserFactory(role="agent")
    assert api_as(agent).patch(f"tickets/{ticket.pk}", {"assignee": agent.pk}).status_code == 403
    handler = UserFactory(role="handler", department=aftersales)
    response = api_as(handler).patch(f"tickets/{ticket.pk}", {"assignee": handler.pk})
    assert response.status_code == 200  # dispatched to their department: 接单


@pytest.mark.django_db
def test_qa_may_note_on_a_closed_ticket(api_as):
    ticket = TicketFactory(status="closed")
    api = api_as(UserFactory(role="qa"))
    assert (
        api.post(f"tickets/{ticket.pk}/messages", {"body": "质检", "public": False}).status_code
        == 201
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "tickets?customer=9223372036854775808", None),
        ("get", "tickets?offset=9223372036854775808", None),
        ("get", "customers?limit=100000", None),
        (
            "post",
            "tickets",
            {
                "customer": 9223372036854775808,
                "channel": "phone",
                "type": "complaint",
                "subject": "x",
            },
        ),
    ],
)
def test_out_of_range_numbers_are_422_not_500(api_as, agent, method, path, payload):
    api = api_as(agent)
    response = api.get(path) if method == "get" else api.post(path, payload)
    assert response.status_code == 422, response.content


@pytest.mark.django_db
def test_too_long_or_nul_text_is_422(api_as, agent):
    api = api_as(agent)
    response = api.post("customers", {"name": "张三", "city": "城" * 51})
    assert response.json()["detail"][0]["loc"][-1] == "city"
    response = api.post("customers", {"name": "张\x00三"})
    assert response.json()["detail"][0]["loc"][-1] == "name"
    customer = CustomerFactory()
    response = api.post("tickets", _ticket_payload(customer, subject="主" * 201))
    assert response.json()["detail"][0]["loc"][-1] == "subject"
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(api_as, agent):
    response = api_as(agent).get("no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.django_db
def test_handler_creating_a_ticket_is_403_even_for_unknown_customers(api_as, aftersales):
    api = api_as(UserFactory(role="handler", department=aftersales))
    assert api.post("tickets", _ticket_payload(CustomerFactory())).status_code == 403
