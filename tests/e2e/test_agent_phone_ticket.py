"""An agent takes a call from a new customer, answers them and resolves the ticket, in a browser."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.customers.models import Customer
from huitou.tickets.models import Channel, Message, Status, Ticket

PASSWORD = "agent-password-123"
PHONE = "139 1234 5678"
PHONE_DIGITS = "13912345678"
CUSTOMER_NAME = "王小明"
SUBJECT = "冰箱不制冷"
DESCRIPTION = "客户王先生来电：上周购买的冰箱今天早上开始不制冷，希望尽快上门检修。"
REPLY = "王先生您好，已为您安排明天上午的上门检修，请保持电话畅通。"


def test_agent_logs_a_call_from_a_new_customer_replies_and_resolves(
    page, artifacts_dir, broken_static
):
    department = do_department_create(name="售后服务部")
    agent = do_user_create(
        username="agent1",
        password=PASSWORD,
        role="agent",
        department=department,
        full_name="李娜",
    )

    # Log in.
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()
    expect(page.locator(".topbar .who")).to_contain_text("客服坐席 · 售后服务部")

    # Open the phone-ticket form and type the caller's number: htmx says who is calling.
    page.locator("main").get_by_role("link", name="新建电话工单").click()
    expect(page.get_by_role("heading", name="新建电话工单")).to_be_visible()
    page.wait_for_load_state("load")
    # Without them the page is unstyled and the htmx phone lookup is dead.
    assert not broken_static, (
        f"static files failed to load: {broken_static}; have you run `make assets`, "
        "and can the staticfiles finders see src/huitou/static?"
    )
    page.get_by_label("来电号码").press_sequentially(PHONE)
    expect(page.locator("#caller")).to_contain_text("未找到该号码的客户")

    page.get_by_label("客户姓名").fill(CUSTOMER_NAME)
    page.get_by_label("客户类型").select_option(label="个人")
    page.get_by_label("工单类型").select_option(label="技术支持")
    page.get_by_label("优先级").select_option(label="高")
    page.get_by_label("主题").fill(SUBJECT)
    page.get_by_label("来电记录（5W1H）").fill(DESCRIPTION)
    page.get_by_label("责任部门").select_option(label="售后服务部")
    page.get_by_role("button", name="创建工单").click()

    # The ticket page.
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"已创建工单 T\d{10}。"))
    expect(page.locator("h1")).to_contain_text(SUBJECT)
    expect(page.locator("#ticket-status")).to_have_text("新建")

    # A public reply to the customer.
    page.get_by_label("回复或备注").fill(REPLY)
    page.locator("#reply-form").get_by_role("button", name="公开回复").click()
    expect(page.get_by_role("status")).to_have_text("已发送。")
    reply = page.locator("#thread li.message.public").filter(has_text=REPLY)
    expect(reply).to_have_count(1)
    expect(reply.locator(".meta")).to_contain_text("公开回复")
    expect(page.locator("#ticket-status")).to_have_text("处理中")

    # Resolve it with the 处理 form.
    update_form = page.locator("#update-form")
    expect(update_form.get_by_label("状态", exact=True)).to_have_value("open")
    update_form.get_by_label("状态", exact=True).select_option(label="已解决")
    update_form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_have_text("工单已更新。")
    expect(page.locator("#ticket-status")).to_have_text("已解决")
    expect(page.locator("#ticket-status")).to_have_class(re.compile(r"\bstatus-resolved\b"))
    expect(page.locator("#thread li.message.public").filter(has_text=REPLY)).to_have_count(1)
    # The ticket's facts (the SLA card beside it is a .facts list too) show when it was solved.
    expect(page.locator("dl.facts", has_text="解决时间").first).to_be_visible()
    page.screenshot(path=artifacts_dir / "agent-phone-ticket.png", full_page=True)

    # The database agrees.
    customer = Customer.objects.get()
    assert re.fullmatch(rf"C{timezone.localdate().year}\d{{6}}", customer.number)
    assert (customer.name, customer.phone_digits, customer.kind) == (
        CUSTOMER_NAME,
        PHONE_DIGITS,
        "individual",
    )
    assert customer.created_by == agent
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert ticket.channel == Channel.PHONE
    assert (ticket.type, ticket.priority, ticket.subject) == ("technical", "high", SUBJECT)
    assert ticket.description == DESCRIPTION
    assert ticket.department == department
    assert ticket.created_by == agent
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None
    message = Message.objects.get(ticket=ticket)
    assert (message.public, message.author, message.body) == (True, agent, REPLY)
    assert ticket.first_response_at == message.created_at
    assert page.url.endswith(f"/tickets/{ticket.pk}/")
