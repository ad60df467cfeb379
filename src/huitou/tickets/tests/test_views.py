import pytest
from django.urls import reverse

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.customers.models import Customer
from huitou.customers.tests.factories import CustomerFactory
from huitou.tickets.models import Message, Ticket
from huitou.tickets.tests.factories import TicketFactory


@pytest.fixture
def agent_client(client, db):
    agent = UserFactory(role="agent", department=DepartmentFactory(name="客服中心"))
    client.force_login(agent)
    client.user = agent
    return client


@pytest.mark.django_db
def test_inbox_requires_login(client):
    response = client.get(reverse("tickets:inbox"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert "登录" in html
    assert 'lang="zh-hans"' in html


@pytest.mark.django_db
def test_agent_sees_the_chinese_inbox(agent_client):
    ticket = TicketFactory(subject="冰箱不制冷")
    html = agent_client.get(reverse("tickets:inbox")).content.decode()
    assert "工单收件箱" in html
    assert "未分配" in html
    assert ticket.number in html


@pytest.mark.django_db
def test_inbox_speaks_english_when_chosen(agent_client):
    response = agent_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("tickets:inbox")}
    )
    assert response.status_code == 302
    html = agent_client.get(reverse("tickets:inbox")).content.decode()
    assert "Inbox" in html
    assert "Unassigned" in html
    assert "工单收件箱" not in html


@pytest.mark.django_db
def test_inbox_filters_and_htmx_partial(agent_client):
    complaint = TicketFactory(type="complaint", subject="投诉送货延迟")
    consultation = TicketFactory(type="consultation", subject="咨询保修")
    response = agent_client.get(
        reverse("tickets:inbox"),
        {"type": "complaint", "view": "all"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<html" not in html  # only the table is swapped in
    assert complaint.number in html
    assert consultation.number not in html


@pytest.mark.django_db
def test_inbox_is_paginated(agent_client):
    TicketFactory.create_batch(30)
    html = agent_client.get(reverse("tickets:inbox"), {"view": "all"}).content.decode()
    assert "page=2" in html
    assert html.count('class="status status-') == 25


@pytest.mark.django_db
def test_handler_inbox_shows_only_their_department(client):
    aftersales = DepartmentFactory(name="售后服务部")
    mine = TicketFactory(department=aftersales)
    other = TicketFactory(department=DepartmentFactory(name="物流部"))
    client.force_login(UserFactory(role="handler", department=aftersales))
    html = client.get(reverse("tickets:inbox"), {"view": "all"}).content.decode()
    assert mine.number in html
    assert other.number not in html
    assert client.get(reverse("tickets:detail", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_phone_ticket_creates_a_new_customer_inline(agent_client):
    response = agent_client.post(
        reverse("tickets:new_phone"),
        {
            "phone": "13711112222",
            "customer_name": "陈建国",
            "customer_kind": "individual",
            "type": "technical",
            "priority": "normal",
            "subject": "洗衣机脱水时异响",
            "description": "客户自述：昨晚开始",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == "phone"
    assert ticket.customer.name == "陈建国"
    assert ticket.customer.phone_digits == "13711112222"
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])


@pytest.mark.django_db
def test_phone_ticket_reuses_the_known_caller(agent_client):
    known = CustomerFactory(phone="13711112222")
    agent_client.post(
        reverse("tickets:new_phone"),
        {
            "phone": "137-1111-2222",
            "customer_kind": "individual",
            "type": "consultation",
            "priority": "normal",
            "subject": "咨询保修",
        },
    )
    assert Ticket.objects.get().customer == known
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_phone_ticket_without_name_for_new_caller_saves_nothing(agent_client):
    response = agent_client.post(
        reverse("tickets:new_phone"),
        {
            "phone": "13711112222",
            "customer_kind": "individual",
            "type": "consultation",
            "priority": "normal",
            "subject": "咨询",
        },
    )
    assert response.status_code == 200
    assert "新客户请填写姓名" in response.content.decode()
    assert Customer.objects.count() == 0
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_caller_lookup_shows_the_known_customer(agent_client):
    known = CustomerFactory(name="刘芳", phone="13711112222")
    html = agent_client.get(reverse("tickets:customer_lookup"), {"phone": "13711112222"}).content
    assert "刘芳" in html.decode()
    assert known.number in html.decode()
    html = agent_client.get(reverse("tickets:customer_lookup"), {"phone": "13700000000"}).content
    assert "未找到" in html.decode()


@pytest.mark.django_db
def test_qa_cannot_open_the_phone_ticket_form(client):
    client.force_login(UserFactory(role="qa"))
    assert client.get(reverse("tickets:new_phone")).status_code == 403


@pytest.mark.django_db
def test_reply_note_and_resolve_from_the_ticket_page(agent_client):
    ticket = TicketFactory()
    url = reverse("tickets:detail", args=[ticket.pk])
    agent_client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "您好", "public": "on"})
    agent_client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "备注", "public": ""})
    assert list(Message.objects.values_list("body", "public")) == [("您好", True), ("备注", False)]
    response = agent_client.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"status": "resolved", "priority": "high", "assignee": agent_client.user.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        "resolved",
        "high",
        agent_client.user,
    )
    html = agent_client.get(url).content.decode()
    assert "已解决" in html
    assert "变更历史" in html


@pytest.mark.django_db
def test_illegal_transition_on_the_page_shows_an_error(agent_client):
    ticket = TicketFactory(status="closed")
    response = agent_client.post(
        reverse("tickets:update", args=[ticket.pk]), {"status": "pending", "priority": "normal"}
    )
    assert response.status_code == 422
    assert "不能从" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"


@pytest.mark.django_db
def test_redispatch_on_the_page_releases_the_old_departments_handler(agent_client):
    aftersales = DepartmentFactory(name="售后服务部")
    logistics = DepartmentFactory(name="物流部")
    handler = UserFactory(role="handler", department=aftersales)
    ticket = TicketFactory(department=aftersales, assignee=handler, status="open")
    response = agent_client.post(
        reverse("tickets:update", args=[ticket.pk]),
        {
            "status": "open",
            "priority": "normal",
            "assignee": handler.pk,  # the form posts the unchanged assignee too
            "department": logistics.pk,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (logistics, None)


@pytest.mark.django_db
def test_status_change_keeps_an_assignee_missing_from_the_choices(client):
    admin = UserFactory(role="admin")
    ticket = TicketFactory(assignee=admin, status="open")
    supervisor = UserFactory(role="supervisor")
    client.force_login(supervisor)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f'value="{admin.pk}" selected' in page
    response = client.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"status": "pending", "priority": "normal", "assignee": admin.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("pending", admin)


@pytest.mark.django_db
def test_agent_form_offers_only_themselves_and_refusals_are_form_errors(agent_client):
    colleague = UserFactory(role="agent")
    ticket = TicketFactory(assignee=colleague)
    page = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert UserFactory(role="agent").display_name not in page.split('id="update-form"')[1]
    response = agent_client.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"status": "new", "priority": "normal", "assignee": agent_client.user.pk},
    )
    assert response.status_code == 403  # as in the API, with the reason in the form
    assert "请联系主管改派" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == colleague


@pytest.mark.django_db
def test_handler_form_has_no_department_choice(client):
    aftersales = DepartmentFactory(name="售后服务部")
    handler = UserFactory(role="handler", department=aftersales)
    ticket = TicketFactory(department=aftersales)
    client.force_login(handler)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'name="department"' not in page.split('id="update-form"')[1]


@pytest.mark.django_db
def test_handler_cannot_reach_another_departments_ticket_through_any_view(client):
    aftersales = DepartmentFactory(name="售后服务部")
    other = TicketFactory(department=DepartmentFactory(name="物流部"), subject="别人的工单")
    client.force_login(UserFactory(role="handler", department=aftersales))
    assert client.post(reverse("tickets:reply", args=[other.pk]), {"body": "x"}).status_code == 404
    update = client.post(reverse("tickets:update", args=[other.pk]), {"status": "closed"})
    assert update.status_code == 404
    customer_page = client.get(reverse("customers:detail", args=[other.customer_id]))
    assert customer_page.status_code == 404
    lookup = client.get(reverse("tickets:customer_lookup"), {"phone": other.customer.phone})
    assert other.customer.name not in lookup.content.decode()
    other.refresh_from_db()
    assert other.status == "new" and not other.messages.exists()
