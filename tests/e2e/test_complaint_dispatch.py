"""A complaint goes 派单 → 处理 → 回复 → 回访 through the UI, each step by the right person."""

from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.complaints.models import Complaint
from huitou.complaints.tests.factories import make_complaint
from huitou.customers.services import do_customer_create
from huitou.tickets.phrases import do_default_phrases_load

PASSWORD = "e2e-password-123"


def login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()


def test_dispatch_result_reply_and_callback_through_the_ui(page, artifacts_dir):
    # Live-server tests flush the database between tests, seeded rows included.
    do_default_phrases_load()
    centre = do_department_create(name="客服中心")
    aftersales = do_department_create(name="售后服务部")
    agent = do_user_create(
        username="agent1", password=PASSWORD, role="agent", department=centre, full_name="陈静"
    )
    do_user_create(
        username="handler1",
        password=PASSWORD,
        role="handler",
        department=aftersales,
        full_name="赵志刚",
    )
    customer = do_customer_create(
        actor=agent, name="王建国", phone="13800138000", kind="individual", gender="male"
    )
    complaint = make_complaint(actor=agent, customer=customer, subject="空调安装后漏水")
    ticket_url = f"/tickets/{complaint.pk}/"

    # The service centre dispatches to the responsible department.
    login(page, "agent1")
    page.goto(ticket_url)
    panel = page.locator("#complaint-panel")
    expect(panel.locator("#complaint-state")).to_have_text("已受理")
    dispatch = page.locator("#action-dispatch")
    dispatch.get_by_label("责任部门").select_option(label="售后服务部")
    dispatch.get_by_label("派单说明 / 改派原因").fill("客户家中漏水严重，请尽快上门。")
    dispatch.get_by_role("button", name="提交").click()
    expect(panel.locator("#complaint-state")).to_have_text("已派单")

    # The department accepts and writes its result.
    login(page, "handler1")
    page.goto(ticket_url)
    page.locator("#action-accept").get_by_role("button", name="确认接单").click()
    expect(page.locator("#complaint-state")).to_have_text("部门已接单")
    result = page.locator("#action-result")
    result.get_by_label("处理结果").fill("网点师傅已上门重新安装排水管，客户确认不再漏水。")
    result.get_by_role("button", name="提交").click()
    expect(page.locator("#complaint-state")).to_have_text("处理结果已反馈")

    # Back at the centre: a forbidden phrase is flagged while typing; a standard phrase is used.
    login(page, "agent1")
    page.goto(ticket_url)
    expect(page.locator("#complaint-result")).to_contain_text("重新安装排水管")
    reply = page.locator("#action-reply")
    box = reply.get_by_label("答复内容")
    box.fill("這是本公司的 規定")
    expect(reply.locator(".phrase-warning")).to_contain_text("服务忌语")
    box.fill("")
    reply.locator("summary", has_text="标准用语").click()
    reply.get_by_role("button", name="处理结果").click()
    expect(box).to_have_value(f"王先生，关于您反映的问题（工单号 {complaint.ticket.number}），"
                              "相关部门已经处理完毕，处理结果是：……")  # fmt: skip
    box.fill("王先生您好，师傅已上门重新安装排水管，给您添麻烦了，非常抱歉。")
    expect(reply.locator(".phrase-warning")).to_be_empty()
    reply.get_by_role("button", name="提交").click()
    expect(page.locator("#complaint-state")).to_have_text("已答复客户")

    # The call-back closes it with the customer's satisfaction.
    callback = page.locator("#action-callback")
    callback.get_by_label("满意度").select_option("5")
    callback.get_by_label("回访记录").fill("客户表示满意，感谢上门及时。")
    callback.get_by_role("button", name="提交").click()
    expect(page.locator("#complaint-state")).to_have_text("已结案")
    steps = page.locator("#complaint-timeline tbody tr")
    expect(steps).to_have_count(7)
    page.screenshot(path=artifacts_dir / "complaint-dispatch-flow.png", full_page=True)

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.state == "closed" and complaint.recovery_satisfaction == 5
    assert list(complaint.steps.values_list("step", flat=True)) == [
        "received", "dispatched", "accepted", "result", "replied", "callback", "closed"
    ]  # fmt: skip
