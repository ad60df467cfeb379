"""A customer asks the portal's chat widget, gets an answer, asks for a person, leaves a name
and a contact, gets the ticket's private link; an agent then finds the chat ticket with the
whole conversation, each turn once, and the contact to answer."""

import re

from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.knowledge.services import do_faq_save

PASSWORD = "e2e-password-123"


def test_the_widget_answers_then_hands_off_and_an_agent_sees_the_ticket(page, artifacts_dir):
    do_faq_save(
        actor=None, category="物流", question="运费怎么算？",
        answer="满 99 元包邮，不满收 8 元。", similar=["邮费多少", "快递费怎么收"],
    )  # fmt: skip
    do_faq_save(
        actor=None, category="售后", question="怎么申请退款？",
        answer="在订单页点“申请退款”。", similar=["我要退钱"],
    )  # fmt: skip
    do_user_create(
        username="agent1", password=PASSWORD, role="agent",
        department=do_department_create(name="客服中心"), full_name="陈静",
    )  # fmt: skip

    page.goto("/help/")
    expect(page.get_by_role("heading", name="帮助中心")).to_be_visible()
    expect(page.get_by_role("link", name="运费怎么算？")).to_be_visible()
    page.get_by_role("button", name="在线客服").click()
    chat = page.locator("#chat-panel")
    chat.get_by_placeholder("请输入问题").fill("邮费要多少钱")
    chat.get_by_role("button", name="发送").click()
    expect(chat.locator(".bot").last).to_contain_text("满 99 元包邮")
    chat.get_by_placeholder("请输入问题").fill("转人工")
    chat.get_by_role("button", name="发送").click()
    # A person will answer: the widget first asks who and how to reach them.
    expect(chat.locator("#chat-contact")).to_be_visible()
    expect(chat.locator(".bot.handoff")).to_have_count(0)
    chat.get_by_role("button", name="提交并转人工").click()  # empty: refused, the form stays
    expect(chat.locator("#chat-contact-error")).to_contain_text("联系方式")
    chat.get_by_label("您的称呼").fill("李先生")
    chat.get_by_label("联系电话").fill("13700137000")
    chat.get_by_role("button", name="提交并转人工").click()
    # The live chat replays the conversation from its ticket: the bot's hand-off line, and
    # the ticket's number with its links above.
    expect(chat.locator(".bot").last).to_contain_text("转接人工客服")
    expect(chat.locator("#chat-contact")).to_be_hidden()
    expect(chat.locator("#chat-links")).to_contain_text("工单号：")
    number = chat.locator("#chat-links").inner_text().split("工单号：")[1].split()[0]
    follow = chat.get_by_role("link", name="查看工单进度")
    expect(follow).to_be_visible()
    expect(chat.get_by_role("link", name=re.compile("验证联系方式"))).to_be_visible()
    page.screenshot(path=artifacts_dir / "bot-widget.png", full_page=True)
    page.goto(follow.get_attribute("href"))  # the guest's private page of this ticket alone
    expect(page.locator("body")).to_contain_text(number)

    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()
    page.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_contain_text("在线咨询：邮费要多少钱")
    # Each turn once: the customer's words as theirs, the bot's replies as the bot's.
    expect(page.locator("#thread .sender-customer").last).to_have_text(re.compile("转人工"))
    expect(page.locator("#thread .sender-system").first).to_contain_text("满 99 元包邮")
    expect(page.locator("#thread .sender-system").first).to_contain_text("智能客服")
    expect(page.locator("body")).to_contain_text("13700137000")
