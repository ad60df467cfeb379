"""Issue 14, item 6: an e-mail conversation end to end, with real servers on loopback.

A customer writes in Chinese with a photo attached; the mail lands in a real dovecot mailbox
and the worker's fetch makes the ticket. The agent finds it in the browser, sees the photo,
answers in the reply form; the outbox sends the answer through a real SMTP server (aiosmtpd in
this process), where it arrives threaded on the customer's mail. The agent resolves the
ticket; the customer answers from their mail program, the fetch adds the answer to the ticket
and reopens it, and the agent sees it on reload. Last, the customer signs in to the portal with
the code from the mail they received and sees the public thread, never the agent's note.
"""

import email
import re
import struct
import threading
import zlib
from email.policy import default as default_policy
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.core.outbox import do_outbox_deliver
from huitou.core.tests.smtp_worker import free_port, wait_until
from huitou.mail import imap
from huitou.mail.models import InboundMail, OutgoingMail
from huitou.mail.tests import dovecot
from huitou.mail.tests.factories import make_mail, make_mailbox
from huitou.tickets.models import Channel, Message, Status, Ticket

imap_server = dovecot.imap_server  # a fresh dovecot with the account service@example.com

PASSWORD = "agent-password-123"
CUSTOMER = "王小明 <wangxm@kehu.example.cn>"
SUBJECT = "冰箱不制冷，附照片"
FIRST_BODY = "你好，我上周买的冰箱从昨天开始不制冷了，冷藏室温度很高。照片见附件，请尽快安排维修。"
REPLY = "王先生您好，已为您安排明天上午的上门检修，请保持电话畅通。"
ANSWER = "师傅今天没有来，冰箱还是不制冷，请再帮忙安排一下。"
NOTE = "内部备注：客户情绪较急，上门师傅请带压缩机配件。"
CODE = re.compile(r"验证码是 (\d{6})")


def png(width: int, height: int) -> bytes:
    """A solid PNG of this size, as a phone photo would be (smaller)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xd0\x6f\x2a" * width for _row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class CustomerInbox:
    """The customer's mail server: an SMTP server on loopback that keeps what it accepts."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        with self.lock:
            self.received.append(message)
        return "250 OK"


@pytest.fixture
def customer_inbox(settings):
    # The live server's thread sends on commit: it must reach a real server, not locmem.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    inbox = CustomerInbox()
    inbox.controller.start()
    try:
        yield inbox
    finally:
        inbox.controller.stop()


def mails_with(inbox: CustomerInbox, message_id: str) -> list:
    with inbox.lock:
        return [mail for mail in inbox.received if mail["Message-ID"] == message_id]


def fetch(mailbox) -> imap.FetchReport:
    report = imap.do_mailbox_fetch(mailbox=mailbox)
    assert report.ok and len(report.stored) == 1, report
    return report


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_a_customer_mails_in_chinese_gets_a_threaded_answer_and_their_reply_reopens_the_ticket(
    page, browser, live_server, imap_server, customer_inbox, artifacts_dir, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    department = do_department_create(name="售后服务部")
    do_user_create(
        username="agent1",
        password=PASSWORD,
        role="agent",
        department=department,
        full_name="李娜",
    )
    mailbox = make_mailbox(
        imap_server.user,
        name="回头客服",
        department=department,
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_tls=False,
        imap_username=imap_server.user,
        imap_password=imap_server.password,
        smtp_host="127.0.0.1",
        smtp_port=customer_inbox.port,
        smtp_tls=False,
        smtp_username="",
        smtp_password="",
    )

    # The customer's mail arrives in the mailbox; the worker's fetch makes the ticket.
    first_id = make_msgid(domain="kehu.example.cn")
    photo = png(800, 600)
    imap_server.deliver(
        make_mail(
            sender=CUSTOMER,
            to=imap_server.user,
            subject=SUBJECT,
            body=FIRST_BODY,
            message_id=first_id,
            attachments=[("故障照片.png", "image/png", photo)],
        )
    )
    fetch(mailbox)
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject) == (Channel.EMAIL, SUBJECT)

    # The agent finds it in the list and opens it: the photo is there.
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()
    row = page.locator("table.inbox tbody tr").filter(has_text=ticket.number)
    expect(row).to_contain_text(SUBJECT)
    expect(row.locator(".t-customer")).to_contain_text("王小明")
    expect(row).to_contain_text("邮件")
    page.screenshot(path=artifacts_dir / "email-round-trip-1-inbox.png", full_page=True)
    row.get_by_role("link", name=SUBJECT).click()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.locator("h1")).to_contain_text(SUBJECT)
    expect(page.locator(".description")).to_contain_text("冷藏室温度很高")
    image = page.get_by_role("img", name="故障照片.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 800  # it loaded
    page.screenshot(path=artifacts_dir / "email-round-trip-2-ticket.png", full_page=True)

    # The agent answers in the reply form; the outbox sends it to the customer's server.
    page.get_by_label("回复或备注").fill(REPLY)
    page.locator("#reply-form").get_by_role("button", name="公开回复").click()
    expect(page.get_by_role("status")).to_have_text("已发送。")
    # The live server's commit kicked the delivery task (huey runs it at once in the tests);
    # a run here, as the worker's would be, sends whatever is still due, and nothing twice.
    do_outbox_deliver()
    outgoing = OutgoingMail.objects.get(ticket_message__body=REPLY)
    assert wait_until(lambda: mails_with(customer_inbox, outgoing.message_id), timeout=15)
    [answer] = mails_with(customer_inbox, outgoing.message_id)
    assert answer["In-Reply-To"] == first_id
    assert answer["References"].split() == [first_id]
    # Django folds a long encoded Subject right after "Subject:", and Python's parser keeps
    # the fold's space; mail programs drop it.
    assert answer["Subject"].strip() == f"Re: {SUBJECT} [{ticket.number}]"
    assert answer["From"].addresses[0].addr_spec == imap_server.user
    assert answer["To"] == "wangxm@kehu.example.cn"
    assert REPLY in answer.get_body(("plain",)).get_content()

    # The agent leaves an internal note: the customer must never see it.
    page.get_by_label("回复或备注").fill(NOTE)
    page.locator("#reply-form").get_by_role("button", name="添加内部备注").click()
    expect(page.locator("#thread li.message.note").filter(has_text=NOTE)).to_have_count(1)

    # On reload the reply shows as sent.
    page.reload()
    sent = page.locator("#thread li.message.public").filter(has_text=REPLY)
    expect(sent.locator(".delivery")).to_contain_text("已发送")

    # The agent resolves the ticket.
    update_form = page.locator("#update-form")
    update_form.get_by_label("状态", exact=True).select_option(label="已解决")
    update_form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_have_text("工单已更新。")
    expect(page.locator("#ticket-status")).to_have_text("已解决")

    # The customer answers from their mail program: a reply to our mail, quoting it.
    quoted = "\n".join(
        f"> {line}" for line in answer.get_body(("plain",)).get_content().splitlines()
    )
    imap_server.deliver(
        make_mail(
            sender=CUSTOMER,
            to=imap_server.user,
            subject=f"回复：{answer['Subject'].strip()}",
            body=f"{ANSWER}\n\n在 2026年12月3日，回头客服 写道：\n{quoted}\n",
            in_reply_to=answer["Message-ID"],
            references=f"{answer['References']} {answer['Message-ID']}",
        )
    )
    fetch(mailbox)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # reopened
    inbound = InboundMail.objects.get(outcome=InboundMail.Outcome.REPLY)
    assert inbound.ticket == ticket
    assert Message.objects.filter(ticket=ticket, sender="customer").count() == 1

    # The agent sees the answer on reload, the ticket open again, the quote folded away.
    page.reload()
    expect(page.locator("#ticket-status")).to_have_text(ticket.get_status_display())
    answered = page.locator("#thread li.message.sender-customer").filter(has_text=ANSWER)
    expect(answered).to_have_count(1)
    expect(answered.locator(".meta")).to_contain_text("客户来信")
    expect(answered.locator("> .body")).not_to_contain_text(REPLY)
    page.screenshot(path=artifacts_dir / "email-round-trip-3-reopened.png", full_page=True)
    # Nothing was sent twice. (Progress notifications, item 4, may have come too: each
    # is its own mail from the mailbox, so only the reply's Message-ID is counted.)
    do_outbox_deliver()
    assert len(mails_with(customer_inbox, outgoing.message_id)) == 1
    assert all(
        mail["From"].addresses[0].addr_spec == imap_server.user for mail in customer_inbox.received
    )

    # The customer signs in to the portal in their own browser. The code's mail goes out by
    # the default connection (EMAIL_*), here the customer's server too.
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", customer_inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    with customer_inbox.lock:
        before = len(customer_inbox.received)
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    try:
        portal = context.new_page()
        portal.goto("/help/")
        portal.get_by_role("link", name="登录 / 我的工单").click()
        expect(portal.get_by_role("heading", name="登录查看我的工单")).to_be_visible()
        portal.get_by_label("电子邮箱或手机号码").fill("wangxm@kehu.example.cn")
        portal.get_by_role("button", name="发送验证码").click()
        expect(portal.get_by_role("heading", name="输入验证码")).to_be_visible()
        portal.screenshot(path=artifacts_dir / "email-round-trip-4-portal-code.png", full_page=True)

        # The code is read from the mail the customer's server received, as they would.
        do_outbox_deliver()

        def sign_in_mails():
            with customer_inbox.lock:
                return [
                    mail
                    for mail in customer_inbox.received[before:]
                    if "登录验证码" in mail["Subject"]
                ]

        assert wait_until(sign_in_mails, timeout=15)
        [sign_in_mail] = sign_in_mails()
        assert sign_in_mail["To"] == "wangxm@kehu.example.cn"
        code = CODE.search(text_of(sign_in_mail)).group(1)
        portal.get_by_label("验证码").fill(code)
        portal.get_by_role("button", name="登录", exact=True).click()

        # 我的工单 lists the ticket, open again after their answer.
        expect(portal.get_by_role("heading", name="我的工单")).to_be_visible()
        listed = portal.locator("#portal-tickets li").filter(has_text=ticket.number)
        expect(listed).to_contain_text(SUBJECT)
        portal.screenshot(path=artifacts_dir / "email-round-trip-5-my-tickets.png", full_page=True)
        listed.get_by_role("link").click()
        expect(portal).to_have_url(re.compile(rf"/help/my/{ticket.pk}/$"))

        # The public thread: the first mail, the agent's answer, their own answer; no note.
        card = portal.locator("#portal-ticket")
        expect(card).to_contain_text("冷藏室温度很高")
        thread = portal.locator("#portal-thread")
        expect(thread.locator("li.theirs").filter(has_text=REPLY)).to_have_count(1)
        expect(thread.locator("li.mine").filter(has_text=ANSWER)).to_have_count(1)
        expect(card).not_to_contain_text(NOTE)
        expect(card).not_to_contain_text("压缩机配件")
        portal.screenshot(
            path=artifacts_dir / "email-round-trip-6-portal-thread.png", full_page=True
        )
    finally:
        context.close()
