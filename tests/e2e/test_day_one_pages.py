"""Day-one page defects, in a browser: the inbox tabs, the phone form's known caller, date
pickers in Chinese, the ticket page's title and phrase buttons, the favicon."""

import re
from datetime import date

from playwright.sync_api import expect

from huitou.accounts.services import do_user_create
from huitou.complaints.models import Complaint
from huitou.customers.models import Customer
from huitou.customers.services import do_customer_create
from huitou.tickets.models import StandardPhrase, Ticket
from huitou.tickets.services import do_ticket_create

PASSWORD = "day-one-password-123"


def log_in(page, username: str, role: str, **fields):
    user = do_user_create(username=username, password=PASSWORD, role=role, **fields)
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()
    return user


def test_the_mine_tab_alone_is_highlighted_once_chosen(page):
    log_in(page, "agent-tabs", "agent", full_name="李娜")
    tabs = page.locator("#inbox-filters .tabs label.tab")
    expect(page.locator("#inbox-filters .tabs label.tab.active")).to_have_text("全部")
    page.locator("#inbox-filters .tabs").get_by_text("我的").click()
    expect(page).to_have_url(re.compile(r"view=mine"))
    expect(page.locator("#inbox-filters .tabs label.tab.active")).to_have_count(1)
    expect(page.locator("#inbox-filters .tabs label.tab.active")).to_have_text("我的")
    backgrounds = tabs.evaluate_all(
        "labels => labels.map(label =>"
        " [label.textContent.trim(), getComputedStyle(label).backgroundColor])"
    )
    colours = dict(backgrounds)
    assert colours["全部"] != colours["我的"], backgrounds
    assert colours["全部"] == colours["未分配"] == colours["本部门"], backgrounds


def test_a_known_caller_is_not_asked_who_they_are_and_earlier_tickets_link(page, broken_static):
    agent = log_in(page, "agent-phone", "agent", full_name="李娜")
    known = do_customer_create(actor=agent, name="刘芳", phone="13711112222", kind="organization")
    earlier = do_ticket_create(
        actor=agent, customer=known, channel="phone", type="consultation", subject="冰箱不制冷"
    )
    page.goto("/tickets/new/phone/")
    page.wait_for_load_state("load")
    assert not broken_static, broken_static
    expect(page.get_by_label("客户姓名")).to_be_visible()
    page.get_by_label("来电号码").press_sequentially("137 1111 2222")
    expect(page.locator("#caller")).to_contain_text("已建档客户")
    link = page.locator("#caller ul.recent a", has_text=earlier.number)
    expect(link).to_have_attribute("href", f"/tickets/{earlier.pk}/")
    expect(page.get_by_label("客户姓名")).to_be_hidden()
    expect(page.get_by_label("客户类型")).to_be_hidden()
    page.get_by_label("主题").fill("咨询保修期")
    page.get_by_role("button", name="创建工单").click()
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    assert ticket.customer == known
    assert Customer.objects.count() == 1

    # A number nobody has brings the questions back.
    page.goto("/tickets/new/phone/")
    page.get_by_label("来电号码").press_sequentially("137 1111 2222")
    expect(page.get_by_label("客户姓名")).to_be_hidden()
    page.get_by_label("来电号码").fill("")
    page.get_by_label("来电号码").press_sequentially("136 0000 9999")
    expect(page.locator("#caller")).to_contain_text("未找到该号码的客户")
    expect(page.get_by_label("客户姓名")).to_be_visible()
    expect(page.get_by_label("客户姓名")).to_be_enabled()


def test_date_pickers_show_their_dates_in_chinese(page):
    supervisor = log_in(page, "supervisor-dates", "supervisor", full_name="王磊")
    for path in ("/sla/", "/complaints/analysis/", "/complaints/qa/"):
        page.goto(path)
        expect(page.locator('input[name="start"]')).to_have_value(
            re.compile(r"^\d{4}-\d{2}-\d{2}$")
        )
        expect(page.locator('input[name="end"]')).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))

    customer = do_customer_create(actor=supervisor, name="周建国", phone="13800138000")
    ticket = do_ticket_create(
        actor=supervisor, customer=customer, channel="phone", type="complaint", subject="漏水"
    )
    Complaint.objects.filter(pk=ticket.pk).update(
        reply_mode="deferred", promised_date=date(2026, 12, 4), severity="general"
    )
    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("#classification summary").click()
    expect(page.locator('input[name="promised_date"]')).to_have_value("2026-12-04")


def test_the_ticket_title_is_its_number_and_phrase_buttons_insert_text(page, broken_static):
    agent = log_in(page, "agent-title", "agent", full_name="李娜")
    StandardPhrase.objects.create(
        category="greeting", title="开场问候", body="您好，请问有什么可以帮您？"
    )
    customer = do_customer_create(actor=agent, name="周建国", phone="13800138000")
    ticket = do_ticket_create(
        actor=agent, customer=customer, channel="phone", type="consultation", subject="咨询"
    )
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page).to_have_title(f"{ticket.number} · 回头客服")
    page.wait_for_load_state("load")
    assert not broken_static, broken_static
    page.locator("#phrase-picker summary").click()
    page.get_by_role("button", name="开场问候").click()
    expect(page.get_by_label("回复或备注")).to_have_value("您好，请问有什么可以帮您？")


def test_favicon_is_served(page):
    response = page.goto("/favicon.ico")
    assert response.ok
    assert response.url.endswith("/static/huitou/favicon.svg")
    assert "svg" in response.headers["content-type"]
