"""The evaluation loop in the browser: a resolved ticket's customer rates it 差 with a reason
on a phone, the supervisor finds the follow-up, an inspector scores the conversation with a
critical item failed, and the agent appeals."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.customers.services import do_customer_create
from huitou.quality.models import Appeal, Inspection
from huitou.surveys.models import FollowUp, Invitation
from huitou.tickets.services import do_message_add, do_ticket_create, do_ticket_update

from .conftest import TIMEOUT_MS

PASSWORD = "e2e-password-123"


def login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()


def make_people():
    centre = do_department_create(name="客服中心")
    people = {
        "agent": do_user_create(
            username="agent1", password=PASSWORD, role="agent", department=centre, full_name="陈静"
        ),
        "supervisor": do_user_create(
            username="lead1", password=PASSWORD, role="supervisor", department=centre,
            full_name="刘主管",
        ),
        "qa": do_user_create(
            username="qa1", password=PASSWORD, role="qa", department=centre, full_name="孙质检"
        ),
    }  # fmt: skip
    return people


def resolved_ticket(agent):
    customer = do_customer_create(
        actor=agent, name="王建国", phone="13800138000", email="wang@example.com"
    )
    ticket = do_ticket_create(
        actor=agent,
        customer=customer,
        channel="email",
        type="technical",
        subject="洗衣机不脱水",
        description="洗衣机显示E3，不脱水。",
        assignee=agent,
        contact_email="wang@example.com",
    )
    do_message_add(actor=agent, ticket=ticket, body="您好，请检查排水管是否堵塞。", public=True)
    ticket.refresh_from_db()
    return do_ticket_update(actor=agent, ticket=ticket, changes={"status": "resolved"})


def test_a_poor_rating_reaches_the_supervisor_and_the_inspectors_score_is_appealed(
    page, browser, live_server, artifacts_dir
):
    people = make_people()
    ticket = resolved_ticket(people["agent"])
    invitation = Invitation.objects.get(ticket=ticket)
    assert invitation.state == "invited" and invitation.channel == "email"

    # The customer opens the e-mailed link on a phone: no login.
    phone = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone.set_default_timeout(TIMEOUT_MS)
    customer = phone.new_page()
    link = urlsplit(f"http://x/s/r/{invitation.token}/").path
    customer.goto(link)
    expect(customer.get_by_role("heading", name="请为本次服务评价")).to_be_visible()
    reasons = customer.locator("#rate-reasons")
    expect(reasons).to_be_hidden()  # asked only of a low rating
    customer.get_by_text("差", exact=True).click()
    expect(reasons).to_be_visible()
    customer.get_by_label("问题没有解决").check()
    customer.get_by_label("您的意见或建议（选填）").fill("按照说明检查了，还是不脱水。")
    customer.screenshot(path=artifacts_dir / "rating-phone.png", full_page=True)
    customer.get_by_role("button", name="提交评价").click()
    expect(customer.get_by_role("heading", name="感谢您的评价！")).to_be_visible()
    assert customer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    # The supervisor is told, and finds the follow-up task.
    login(page, "lead1")
    expect(page.locator("#nav-notifications .count")).to_have_text("1")
    page.goto("/surveys/follow-ups/")
    row = page.locator("#follow-ups tbody tr", has_text=ticket.number)
    expect(row).to_contain_text("差")
    expect(row).to_contain_text("问题没有解决")
    row.get_by_role("link", name=ticket.number).click()
    expect(page.locator("#follow-up-rating")).to_have_text("差")
    page.screenshot(path=artifacts_dir / "rating-follow-up.png", full_page=True)
    assert FollowUp.objects.get().state == "open"

    # An inspector takes the conversation into their queue and scores it: the answer was
    # wrong, a critical item, so the whole score is 0 whatever else passed.
    login(page, "qa1")
    page.goto("/quality/")
    page.get_by_label("抽检工单").fill(ticket.number)
    page.get_by_role("button", name="加入我的队列").click()
    expect(page.get_by_role("heading", name=f"质检 · {ticket.number} 洗衣机不脱水")).to_be_visible()
    expect(page.locator("#thread")).to_contain_text("请检查排水管是否堵塞")
    card = page.locator("#scorecard")
    for item in card.locator("fieldset.qa-item").all():
        if item.get_attribute("data-item") != "accuracy":
            item.locator("select").select_option("pass")
    accuracy = card.locator('fieldset[data-item="accuracy"]')
    accuracy.locator("select").select_option("fail")
    accuracy.locator("textarea").fill("E3 是门锁故障，不是排水问题，答复错误。")
    page.get_by_label("总评").fill("态度好，但答复错误。")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("质检已提交。")).to_be_visible()
    inspection = Inspection.objects.get(ticket=ticket)
    page.goto(f"/quality/inspections/{inspection.pk}/")
    expect(page.locator("#total-score")).to_have_text("0.0")
    expect(card).to_contain_text("致命项不达标，得分为 0")
    inspection.refresh_from_db()
    assert inspection.critical_failed and inspection.agent == people["agent"]
    page.screenshot(path=artifacts_dir / "quality-scored.png", full_page=True)

    # The agent sees the result with the comment, and appeals once.
    login(page, "agent1")
    page.goto("/quality/mine/")
    row = page.locator("#results tbody tr", has_text=ticket.number)
    expect(row).to_contain_text("致命项")
    row.get_by_role("link", name=ticket.number).click()
    expect(page.locator("#scorecard")).to_contain_text("E3 是门锁故障，不是排水问题，答复错误。")
    page.get_by_label("申诉理由（只能申诉一次）").fill("知识库里 E3 写的就是排水故障，请复核。")
    page.get_by_role("button", name="提交申诉").click()
    expect(page.locator("#appeal")).to_contain_text("知识库里 E3 写的就是排水故障")
    expect(page.locator("#appeal-form")).to_have_count(0)  # once only
    page.screenshot(path=artifacts_dir / "quality-appealed.png", full_page=True)
    assert Appeal.objects.get(inspection=inspection).state == "open"

    # The supervisor decides: overturned, with a new score.
    login(page, "lead1")
    page.goto("/quality/appeals/")
    appeal = page.locator(f'[data-appeal="{Appeal.objects.get().pk}"]')
    appeal.get_by_label("改判", exact=True).check()
    appeal.get_by_label("改判得分").fill("85")
    appeal.get_by_label("裁决说明").fill("知识库条目有误，已更正；不计坐席责任。")
    appeal.get_by_role("button", name="裁决").click()
    expect(page.get_by_text("没有待裁决的申诉。")).to_be_visible()
    decided = Appeal.objects.get()
    assert decided.state == "overturned" and decided.new_score == 85
