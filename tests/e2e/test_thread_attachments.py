"""The thread in the browser: a customer's photo shows as a bounded image through the
permission-checked URL, a file downloads under its Chinese name, the quoted original opens
from 显示原文, and nothing breaks the Content-Security-Policy."""

import struct
import zlib
from pathlib import Path

from playwright.sync_api import expect

from huitou.accounts.services import do_user_create
from huitou.tickets.attachments import build_attachment
from huitou.tickets.services import do_customer_message_add
from huitou.tickets.tests.factories import TicketFactory

PASSWORD = "thread-password-123"


def png(width: int, height: int) -> bytes:
    """A solid PNG of this size (a phone photo is wider than any thread)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x2a\x6f\xd0" * width for _row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_agent_sees_the_photo_downloads_the_file_and_opens_the_original(
    page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    agent = do_user_create(username="agent1", password=PASSWORD, role="agent", full_name="王芳")
    ticket = TicketFactory(actor=agent, subject="冰箱不制冷")
    photo = png(1600, 1200)
    do_customer_message_add(
        ticket=ticket,
        body="冰箱不制冷，照片见附件。",
        original_body="冰箱不制冷，照片见附件。\n\n> 在 3月1日，客服中心写道：\n> 您好",
        attachments=[
            build_attachment(name="故障照片.png", content_type="image/png", payload=photo),
            build_attachment(name="购买发票.pdf", content_type="", payload=b"%PDF-1.7 invoice"),
        ],
    )
    problems = []
    page.on(
        "console",
        lambda msg: msg.type == "error" and problems.append(msg.text),
    )
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.goto(f"/tickets/{ticket.pk}/")

    image = page.get_by_role("img", name="故障照片.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1600  # it loaded
    assert page.locator(".attachment-image").bounding_box()["width"] <= 240
    assert image.bounding_box()["height"] <= 240

    original = page.get_by_text("客服中心写道")
    expect(original).to_be_hidden()
    page.get_by_text("显示原文").click()
    expect(original).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="购买发票.pdf").click()
    assert download.value.suggested_filename == "购买发票.pdf"
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.7 invoice"
    assert problems == []
