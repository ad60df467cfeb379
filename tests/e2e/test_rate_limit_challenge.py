"""A customer over the portal's rate limit: the browser solves the proof-of-work the 429
carries and the form and the chat go through, without the customer doing anything."""

from django.test import override_settings
from playwright.sync_api import expect

from huitou.knowledge.services import do_faq_save
from huitou.tickets.models import Ticket

# One request a day per client, so the second is over the limit; a quick challenge.
TIGHT = {
    "portal_ticket": ("1/d", "300/d"),
    "portal_vote": ("20/d", "2000/d"),
    "bot_ask": ("1/d", "3000/d"),
    "bot_handoff": ("5/d", "300/d"),
}


def watch(page, path: str) -> list[int]:
    """The statuses of the responses to `path`, in order."""
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith(path) else None)
    return statuses


@override_settings(HUITOU_RATE_LIMITS=TIGHT, HUITOU_POW_DIFFICULTY=10)
def test_the_browser_solves_the_challenge_and_resends_the_ticket_form(page):
    statuses = watch(page, "/help/ticket/")
    for question in ("发票怎么开", "能开专票吗"):
        page.goto("/help/ticket/")
        form = page.locator("#help-ticket")
        form.get_by_label("您的称呼").fill("王先生")
        form.get_by_label("您的问题").fill(question)
        form.get_by_role("button", name="提交").click()
        expect(page.locator("#help-ticket-done")).to_be_visible()
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["发票怎么开", "能开专票吗"]
    assert statuses.count(429) == 1  # the second was refused once, then re-sent solved


@override_settings(HUITOU_RATE_LIMITS=TIGHT, HUITOU_POW_DIFFICULTY=10)
def test_the_chat_widget_solves_the_challenge_and_asks_again(page):
    do_faq_save(
        actor=None, category="物流", question="运费怎么算？",
        answer="满 99 元包邮，不满收 8 元。", similar=["邮费多少", "快递费怎么收"],
    )  # fmt: skip
    statuses = watch(page, "/api/v1/bot/ask")
    page.goto("/help/")
    page.get_by_role("button", name="在线客服").click()
    chat = page.locator("#chat-panel")
    for answers in (1, 2):  # one question at a time: the second is over the limit
        chat.get_by_placeholder("请输入问题").fill("邮费要多少钱")
        chat.get_by_role("button", name="发送").click()
        expect(chat.locator(".bot", has_text="满 99 元包邮")).to_have_count(answers)
    expect(chat.locator(".bot.error")).to_have_count(0)
    assert statuses == [200, 429, 200]
