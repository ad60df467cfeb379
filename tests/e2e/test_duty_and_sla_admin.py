"""The duty switch keeps the agent on their page; an admin configures the SLA in the admin
(issue 11)."""

from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.customers.services import do_customer_create
from huitou.sla.defaults import ensure_sla_defaults
from huitou.sla.models import AgentStatus
from huitou.tickets.services import do_ticket_create

PASSWORD = "e2e-password-123"


def login(page, username: str, heading: str = "工单收件箱") -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def test_the_duty_switch_stays_on_the_ticket_page(page, artifacts_dir):
    ensure_sla_defaults()  # live-server tests flush the database
    centre = do_department_create(name="客服中心", kind="service_centre")
    agent = do_user_create(
        username="agent1", password=PASSWORD, role="agent", department=centre, full_name="陈静"
    )
    customer = do_customer_create(actor=agent, name="王建国", phone="13800138000")
    ticket = do_ticket_create(
        actor=agent, customer=customer, channel="phone", type="order", subject="查询订单物流"
    )
    login(page, "agent1")
    page.goto(f"/tickets/{ticket.pk}/")
    toggle = page.locator("#duty-toggle")
    expect(toggle).to_have_text("在岗")
    toggle.click()
    expect(page.locator("#duty-toggle")).to_have_text("离岗")
    assert page.url.endswith(f"/tickets/{ticket.pk}/")
    expect(page.get_by_text("在岗状态已更新。")).to_be_visible()
    expect(page.get_by_text("查询订单物流").first).to_be_visible()
    assert AgentStatus.objects.get(user=agent).on_duty is False
    page.screenshot(path=artifacts_dir / "duty-switch-on-ticket.png", full_page=True)


def test_an_admin_sets_up_a_calendar_in_the_admin(page, artifacts_dir):
    ensure_sla_defaults()
    do_user_create(username="admin1", password=PASSWORD, role="admin", full_name="周建华")
    login(page, "admin1")
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_have_text("回头 Huitou 管理后台")
    page.goto("/admin/sla/businesscalendar/add/")
    page.get_by_label("名称").fill("华南热线")
    page.get_by_label("周一").fill("08:30-12:00, 13:00-17:30")
    page.get_by_label("周六").fill("09:00-12:00")
    page.locator("#id_days-0-date").fill("2027-01-01")
    page.locator("#id_days-0-kind").select_option("holiday")
    page.locator("#id_days-0-name").fill("元旦")
    page.screenshot(path=artifacts_dir / "sla-admin-calendar-add.png", full_page=True)
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("华南热线")
    row = page.locator("#result_list tr", has_text="华南热线")
    expect(row).to_contain_text("周一 08:30-12:00, 13:00-17:30")
    page.goto("/admin/sla/slapolicy/")
    expect(page.locator("#result_list")).to_contain_text("A 类客户投诉")
    page.screenshot(path=artifacts_dir / "sla-admin-policies.png", full_page=True)
