"""Attachments: built with a size limit and a clean name, stored under a random name, shown on
the thread (images as images, the original text collapsed), and downloaded only by staff who
may see the ticket."""

import hashlib
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huitou.accounts.services import do_token_create
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.config.settings import base as base_settings
from huitou.core.errors import DomainError
from huitou.tickets import selectors
from huitou.tickets.attachments import (
    MAX_FILES_PER_MESSAGE,
    attachments_from_uploads,
    build_attachment,
    clean_attachment_name,
)
from huitou.tickets.models import Attachment, Message
from huitou.tickets.selectors import MessageExtra
from huitou.tickets.services import do_customer_message_add
from huitou.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def department():
    return DepartmentFactory(name="售后服务部")


@pytest.fixture
def agent():
    return UserFactory(role="agent", department=DepartmentFactory(name="客服中心"))


def _with_files(ticket, *files, body="冰箱不制冷，照片和发票见附件。", original_body=""):
    return do_customer_message_add(
        ticket=ticket, body=body, original_body=original_body, attachments=list(files)
    )


# --- building -------------------------------------------------------------------------------


def test_an_attachment_over_the_limit_is_refused_naming_the_limit(settings):
    settings.HUITOU_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(DomainError) as refused:
        build_attachment(name="视频.mp4", content_type="video/mp4", payload=b"x" * 1025)
    assert refused.value.field == "attachments"
    assert refused.value.code == "attachment_too_large"
    assert "视频.mp4" in refused.value.message and "1.0" in refused.value.message
    assert build_attachment(name="a.txt", content_type="", payload=b"x" * 1024).size == 1024


def test_the_default_limit_is_ten_megabytes():
    assert base_settings.HUITOU_ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "given, cleaned",
    [
        ("发票.pdf", "发票.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\桌面\\保修卡.jpg", "保修卡.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override
        ("报\x00告\r\n.doc", "报告 .doc"),
        ("  .hidden  ", "hidden"),
        ("", "附件"),
        ("/", "附件"),
    ],
)
def test_names_lose_their_folders_and_control_characters(given, cleaned):
    assert clean_attachment_name(given) == cleaned


def test_a_long_name_is_cut_to_255_characters_keeping_its_extension():
    name = clean_attachment_name("长" * 300 + ".pdf")
    assert len(name) == 255 and name.endswith("长.pdf")


@pytest.mark.parametrize(
    "name, given, stored",
    [
        ("照片.jpg", "", "image/jpeg"),
        ("照片.jpg", "application/octet-stream", "image/jpeg"),  # mail programs say "bytes"
        ("说明.txt", "Text/Plain; charset=gbk", "text/plain"),
        ("数据.zzz", "", "application/octet-stream"),
        ("数据.zzz", "not a type", "application/octet-stream"),
    ],
)
def test_the_content_type_is_the_given_one_or_a_guess_from_the_name(name, given, stored):
    assert build_attachment(name=name, content_type=given, payload=b"1").content_type == stored


def test_saving_stores_the_file_under_a_random_name_with_its_checksum(settings):
    ticket = TicketFactory()
    message = _with_files(
        ticket,
        build_attachment(name="../发票.pdf", content_type="application/pdf", payload=b"%PDF-1"),
        build_attachment(
            name="image001.png", content_type="image/png", payload=PNG, inline=True,
            content_id="<image001.png@01DA>",
        ),
    )  # fmt: skip
    pdf, image = message.attachments.order_by("id")
    assert (pdf.ticket, pdf.name, pdf.size) == (ticket, "发票.pdf", 6)
    assert pdf.sha256 == hashlib.sha256(b"%PDF-1").hexdigest()
    assert re.fullmatch(rf"attachments/{ticket.pk}/[0-9a-f]{{32}}", pdf.file.name)
    assert (Path(settings.MEDIA_ROOT) / pdf.file.name).read_bytes() == b"%PDF-1"
    assert (image.inline, image.content_id) == (True, "image001.png@01DA")


def test_uploads_are_checked_before_they_are_read(settings):
    settings.HUITOU_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("大文件.zip", b"x" * 11, content_type="application/zip")
    with pytest.raises(DomainError, match=r"大文件\.zip"):
        attachments_from_uploads([big])
    assert big.tell() == 0  # refused by its size, never read
    many = [SimpleUploadedFile(f"{n}.txt", b"1") for n in range(MAX_FILES_PER_MESSAGE + 1)]
    with pytest.raises(DomainError) as refused:
        attachments_from_uploads(many)
    assert refused.value.field == "attachments"


# --- the thread -----------------------------------------------------------------------------


def test_the_thread_shows_each_messages_files_images_and_original(client, agent):
    ticket = TicketFactory()
    message = _with_files(
        ticket,
        build_attachment(name="发票.pdf", content_type="application/pdf", payload=b"%PDF" * 300),
        build_attachment(name="故障照片.png", content_type="image/png", payload=PNG),
        build_attachment(name="图.svg", content_type="image/svg+xml", payload=b"<svg/>"),
        body="冰箱不制冷。",
        original_body="冰箱不制冷。\n\n> 在 2026-03-01，客服写道：\n> 您好",
    )
    pdf, png, svg = message.attachments.order_by("id")
    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'href="/tickets/attachments/{pdf.pk}/" download="发票.pdf"' in html
    assert "1.2\xa0KB" in html  # its size
    assert f'<img src="/tickets/attachments/{png.pk}/" alt="故障照片.png"' in html
    assert f'<img src="/tickets/attachments/{svg.pk}/"' not in html  # SVG: a download only
    assert f'href="/tickets/attachments/{svg.pk}/" download="图.svg"' in html
    assert "<details" in html and "显示原文" in html and "客服写道" in html
    assert "客户来信" in html  # the customer wrote it: not labelled a public reply
    assert "huitou/thread.css" in html
    assert 'enctype="multipart/form-data"' in html and 'name="attachments"' in html


def test_a_message_without_an_original_shows_no_original(client, agent):
    ticket = TicketFactory()
    do_customer_message_add(ticket=ticket, body="谢谢")
    client.force_login(agent)
    assert "显示原文" not in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_files_of_the_first_request_show_with_the_description(client, agent):
    ticket = TicketFactory(description="见附件")
    request_file = build_attachment(name="合同.pdf", content_type="", payload=b"%PDF")
    request_file.ticket = ticket
    request_file.save()
    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"/tickets/attachments/{request_file.pk}/" in html


def test_the_ticket_page_does_not_query_per_message_or_attachment(
    client, agent, django_assert_max_num_queries
):
    ticket = TicketFactory()
    client.force_login(agent)

    def files():
        return [
            build_attachment(name="a.pdf", content_type="", payload=b"1"),
            build_attachment(name="b.png", content_type="", payload=PNG),
        ]

    _with_files(ticket, *files())
    client.get(f"/tickets/{ticket.pk}/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
    for _n in range(19):
        _with_files(ticket, *files())
    with django_assert_max_num_queries(len(one)):
        html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert html.count("/tickets/attachments/") >= 40


def test_a_registered_message_extra_shows_on_the_thread_in_one_call(
    client, agent, monkeypatch, settings, tmp_path
):
    ticket = TicketFactory()
    messages = [do_customer_message_add(ticket=ticket, body=f"第{n}条") for n in range(3)]
    calls = []

    def stamp(thread):
        calls.append(len(thread))
        return {thread[0].pk: "已送达-测试"}

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "_stamp.html").write_text('<span class="stamp">{{ value }}</span>')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path / "templates"]}
    ]
    monkeypatch.setitem(
        selectors._MESSAGE_EXTRAS,
        "stamp",
        MessageExtra(key="stamp", fn=stamp, template="_stamp.html"),
    )
    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert calls == [3]
    assert html.count('class="stamp"') == 1 and "已送达-测试" in html
    assert selectors.message_extras(messages) == {messages[0].pk: {"stamp": "已送达-测试"}}


def test_registering_another_extra_under_a_taken_key_is_an_error(monkeypatch):
    monkeypatch.setattr(selectors, "_MESSAGE_EXTRAS", {})
    selectors.register_message_extra("stamp", dict)
    selectors.register_message_extra("stamp", dict)  # a second ready(): harmless
    with pytest.raises(ImproperlyConfigured):
        selectors.register_message_extra("stamp", list)


# --- downloading ----------------------------------------------------------------------------


@pytest.fixture
def files(department):
    ticket = TicketFactory(department=department)
    message = _with_files(
        ticket,
        build_attachment(name="维修报价单.pdf", content_type="application/pdf", payload=b"%PDF"),
        build_attachment(name="照片.png", content_type="image/png", payload=PNG),
        build_attachment(name="页面.html", content_type="text/html", payload=b"<script>x</script>"),
    )
    return dict(zip(("pdf", "png", "html"), message.attachments.order_by("id"), strict=True))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_staff_who_see_the_ticket_download_it_as_a_file(client, agent, files):
    client.force_login(agent)
    response = client.get(f"/tickets/attachments/{files['pdf'].pk}/")
    assert response.status_code == 200
    assert _body(response) == b"%PDF"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E7%BB%B4%E4%BF%AE" in disposition  # 维修…, RFC 5987
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_an_image_opens_inline_and_html_never_does(client, agent, files):
    client.force_login(agent)
    image = client.get(f"/tickets/attachments/{files['png'].pk}/")
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline;")
    page = client.get(f"/tickets/attachments/{files['html'].pk}/")
    assert page["Content-Type"] == "application/octet-stream"
    assert page["Content-Disposition"].startswith("attachment;")


def test_a_handler_of_another_department_gets_404(client, files, department):
    own = UserFactory(role="handler", department=department)
    other = UserFactory(role="handler", department=DepartmentFactory(name="销售部"))
    client.force_login(other)
    assert client.get(f"/tickets/attachments/{files['pdf'].pk}/").status_code == 404
    client.force_login(own)
    assert client.get(f"/tickets/attachments/{files['pdf'].pk}/").status_code == 200


def test_nobody_signed_in_is_sent_to_the_login_page(client, files):
    response = client.get(f"/tickets/attachments/{files['pdf'].pk}/")
    assert response.status_code == 302 and "/login" in response.url


def test_an_api_token_downloads_it_and_a_bad_one_is_401(agent, files):
    _token, raw = do_token_create(user=agent)
    url = f"/tickets/attachments/{files['pdf'].pk}/"
    response = Client().get(url, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and _body(response) == b"%PDF"
    assert Client().get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_an_unknown_attachment_is_404(client, agent):
    client.force_login(agent)
    assert client.get("/tickets/attachments/999999/").status_code == 404


# --- replying with files --------------------------------------------------------------------


def test_a_reply_from_the_ticket_page_carries_its_files(client, agent):
    ticket = TicketFactory()
    client.force_login(agent)
    upload = SimpleUploadedFile("说明书.pdf", b"%PDF-manual", content_type="application/pdf")
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "您好，说明书见附件。", "public": "on", "attachments": [upload]},
    )
    assert response.status_code == 302
    reply = Message.objects.get(ticket=ticket)
    (attachment,) = reply.attachments.all()
    assert (attachment.name, attachment.size) == ("说明书.pdf", 11)
    assert attachment.file.read() == b"%PDF-manual"


def test_a_reply_with_a_file_over_the_limit_is_refused_with_the_reason(client, agent, settings):
    settings.HUITOU_ATTACHMENT_MAX_BYTES = 5
    ticket = TicketFactory()
    client.force_login(agent)
    upload = SimpleUploadedFile("大图.png", b"x" * 6, content_type="image/png")
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "请查看附件", "public": "on", "attachments": [upload]},
        follow=True,
    )
    html = response.content.decode()
    assert not Message.objects.filter(ticket=ticket).exists()
    assert not Attachment.objects.exists()
    assert "大图.png" in html and "大小限制" in html
    assert "请重新选择附件" in html
    assert "请查看附件" in html  # the text stays in the box
