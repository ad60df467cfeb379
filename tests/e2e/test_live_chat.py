"""Two people, two browsers: a customer asks the widget, the bot answers, the customer asks
for a person and sees their place in the queue; an agent accepts in the chat console; they
write to each other live; the customer reloads and sees everything; the agent ends the chat;
the ticket holds the whole transcript."""

from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.chat.models import ChatSession
from huitou.knowledge.services import do_faq_save
from huitou.sla.models import BusinessCalendar, Queue
from tests.e2e.conftest import TIMEOUT_MS

PASSWORD = "e2e-password-123"
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def context(browser, base_url, **options):
    made = browser.new_context(
        base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    made.set_default_timeout(TIMEOUT_MS)
    return made


def test_a_customer_and_an_agent_chat_live_from_queue_to_end(browser, asgi_server, artifacts_dir):
    do_faq_save(
        actor=None, category="物流", question="运费怎么算？",
        answer="满 99 元包邮，不满收 8 元。", similar=["邮费多少"],
    )  # fmt: skip
    agent = do_user_create(
        username="agent1", password=PASSWORD, role="agent",
        department=do_department_create(name="客服中心"), full_name="陈静",
    )  # fmt: skip
    calendar = BusinessCalendar.objects.create(name="全天", timezone="Asia/Shanghai", hours=ALL_DAY)
    queue = Queue.objects.create(
        name="在线客服", channel="chat", strategy=Queue.Strategy.PULL, calendar=calendar, order=1
    )
    queue.members.add(agent)

    customer_ctx = context(browser, asgi_server, viewport={"width": 390, "height": 844})
    agent_ctx = context(browser, asgi_server, viewport={"width": 1280, "height": 900})
    try:
        customer = customer_ctx.new_page()
        customer.goto("/help/")
        customer.get_by_role("button", name="在线客服").click()
        chat = customer.locator("#chat-panel")
        box = chat.get_by_placeholder("请输入问题")
        box.fill("邮费要多少钱")
        chat.get_by_role("button", name="发送").click()
        expect(chat.locator(".bot").last).to_contain_text("满 99 元包邮")
        box.fill("转人工")
        chat.get_by_role("button", name="发送").click()
        chat.get_by_label("您的称呼").fill("李先生")
        chat.get_by_label("联系电话").fill("13700137000")
        chat.get_by_role("button", name="提交并转人工").click()
        expect(chat.locator("#chat-status")).to_contain_text("您排在第 1 位")
        customer.screenshot(path=artifacts_dir / "live-chat-queue-phone.png")

        console = agent_ctx.new_page()
        console.goto("/accounts/login/")
        console.get_by_label("用户名").fill("agent1")
        console.get_by_label("密码").fill(PASSWORD)
        console.get_by_role("button", name="登录", exact=True).click()
        console.get_by_role("link", name="在线会话").click()
        waiting = console.locator(".chat-item.waiting")
        expect(waiting).to_contain_text("李先生")
        waiting.get_by_role("button", name="接入").click()
        # The bot's part of the conversation is beside the chat.
        expect(console.locator("#chat-transcript")).to_contain_text("满 99 元包邮")
        expect(chat.locator("#chat-status")).to_contain_text("陈静")

        console.locator("#chat-reply").fill("您好，我是陈静，请问订单号是多少？")
        console.locator("#chat-reply").press("Enter")
        expect(chat.locator(".agent").last).to_contain_text("订单号是多少")
        expect(chat.locator(".agent .chat-who").last).to_have_text("陈静")

        box.fill("订单号 20261203001")
        chat.get_by_role("button", name="发送").click()
        expect(console.locator("#chat-transcript .chat-line.customer").last).to_contain_text(
            "20261203001"
        )  # arrived live: the console was not reloaded
        console.screenshot(path=artifacts_dir / "live-chat-console.png", full_page=True)

        customer.reload()
        expect(chat).to_be_visible()
        for line in ("邮费要多少钱", "满 99 元包邮", "订单号是多少", "20261203001"):
            expect(chat.locator("#chat-log")).to_contain_text(line)
        ids = chat.locator("#chat-log [data-id]").evaluate_all("els => els.map(e => e.dataset.id)")
        assert len(ids) == len(set(ids)), "a message shown twice after the reload"

        console.get_by_role("button", name="结束会话").click()
        expect(chat.locator("#chat-status")).to_contain_text("会话已结束")
        customer.screenshot(path=artifacts_dir / "live-chat-ended-phone.png")
    finally:
        customer_ctx.close()
        agent_ctx.close()

    session = ChatSession.objects.select_related("ticket").get()
    assert session.state == "ended" and session.ticket.status == "resolved"
    bodies = list(session.ticket.messages.order_by("id").values_list("body", flat=True))
    transcript = "\n".join(bodies)
    for line in (
        "邮费要多少钱",
        "满 99 元包邮",
        "转人工",
        "订单号是多少",
        "20261203001",
        "会话已结束",
    ):
        assert line in transcript
