"""The mail parser against a corpus of real-world shaped mail (tests/corpus/*.eml).

Each corpus file is checked for its decoded subject, sender, the start of the displayed reply
and its attachments: a wrong charset, a lost encoded-word or a bad quote cut fails here.
"""

import base64
import contextlib
import hashlib
import random
from pathlib import Path

import pytest

from huitou.mail.parsing import MailParseError, ParsedMail, html_to_text, parse_mail, trim_reply

CORPUS = Path(__file__).parent / "corpus"


def load(name: str) -> ParsedMail:
    return parse_mail((CORPUS / name).read_bytes())


# file → (subject, from_name, from_address, reply_text start, [(attachment, type, inline)], auto)
EXPECTED = {
    "outlook2016_zh_html_reply.eml": (
        "答复: 发票已开具",
        "李四",
        "lisi@contoso.com.cn",
        "您好，\n\n发票已经收到，但金额不对，请重新开具。",
        [],
        "",
    ),
    "outlook2016_zh_html_only_mso.eml": (
        "答复: 发票已开具",
        "李四",
        "lisi@contoso.com.cn",
        "您好，\n\n发票已经收到，但金额不对，请重新开具。",
        [],
        "",
    ),
    "foxmail_gbk_declared_gb2312.eml": (
        "回复: 订单已发货，地址写错了（赵堃）",
        "王喆",
        "wangzhe@foxmail.com",
        "客服你好：\n\n我是王喆，订单 2026120188 的收货人是赵堃，地址写错了，请改成朱镕路 8 号。",
        [],
        "",
    ),
    "qqmail_html_gb18030_reply.eml": (
        "回复：退款申请",
        "陈小明",
        "12345678@qq.com",
        "麻烦帮我查一下退款进度，已经等了一周了。",
        [],
        "",
    ),
    "netease163_html_gb18030_4byte.eml": (
        "杯子收到时是碎的，能换吗？",
        "周一鸣",
        "zhouyiming@163.com",
        "你好，我买的𠮷野家联名杯子收到时是碎的😀，照片见附件。能换一个吗？",
        [("碎的杯子.jpg", "image/jpeg", False)],
        "",
    ),
    "netease163_autoreply.eml": (
        "自动回复:您好，您的工单已受理 [T2026000123]",
        "周一鸣",
        "zhouyiming@163.com",
        "您好，我已收到您的邮件，休假中",
        [],
        "autoreply",
    ),
    "exchange_out_of_office_auto_submitted.eml": (
        "自动答复: Automatic reply: [T2026000124]",
        "Sun Qi",
        "sunqi@fabrikam.cn",
        "我 12 月 1 日至 12 月 5 日休假",
        [],
        "auto_submitted",
    ),
    "dsn_bounce_mailer_daemon.eml": (
        "Undelivered Mail Returned to Sender",
        "Mail Delivery System",
        "mailer-daemon@mx.huitou.cn",
        "This is the mail system at host mx.huitou.cn.",
        [
            ("delivery-status.txt", "message/delivery-status", False),
            ("您的工单已受理.eml", "message/rfc822", False),
        ],
        "bounce",
    ),
    "iphone_mail_reply_flowed.eml": (
        "Re: 安装预约",
        "黄丽",
        "huangli@icloud.com",
        "好的，明天上午十点我在家，可以上门安装。",
        [],
        "",
    ),
    "gmail_android_reply.eml": (
        "Re: 密码重置",
        "Lin Feng",
        "lin.feng.88@gmail.com",
        "收到，谢谢！已经可以正常登录了。",
        [],
        "",
    ),
    "big5_taiwan_outlook_reply.eml": (
        "回覆: 維修申請",
        "吳家豪",
        "jiahao.wu@hinet.net",
        "您好：\n\n請問保固期內的維修需要付費嗎？產品序號是 TW-88123。",
        [],
        "",
    ),
    "big5_hkscs_labelled_big5.eml": (
        "部機壞咗",
        "陳大文",
        "taiman.chan@netvigator.com",
        "你好，我部機壞咗，開唔到機，啲資料點算？",
        [],
        "",
    ),
    "utf8_plain_8bit_new_ticket.eml": (
        "订单 2026120101 还没有发货",
        "张三",
        "zhangsan@example.cn",
        "您好，\n\n我 11 月 28 日下的订单 2026120101 到现在还没有发货",
        [],
        "",
    ),
    "html_only_qp_with_script.eml": (
        "账号被锁定",
        "Zheng Hao",
        "zhenghao@example.cn",
        "我的账号被锁定了，无法登录。",
        [],
        "",
    ),
    "rfc2047_subject_split_folded.eml": (
        "关于发票抬头变更的申请（紧急） 2026 第二次",
        "刘洋",
        "liuyang@example.cn",
        "抬头改为：深圳市回头科技有限公司。",
        [],
        "",
    ),
    "gmail_forwarded_inline.eml": (
        "Fwd: 投诉：快递员态度恶劣",
        "Xiao Li",
        "xiaoli@example.cn",
        "帮忙看一下这个投诉，客户很着急。",
        [],
        "",
    ),
    "forwarded_as_attachment_rfc822.eml": (
        "转发：客户来信",
        "Xiao Li",
        "xiaoli@example.cn",
        "客户的原信见附件。",
        [("退货申请.eml", "message/rfc822", False)],
        "",
    ),
    "only_inline_image_iphone.eml": (
        "损坏照片",
        "黄丽",
        "huangli@icloud.com",
        "",
        [("IMG_0412.jpeg", "image/jpeg", True)],
        "",
    ),
    "outlook_inline_image_and_chinese_attachment.eml": (
        "合同扫描件",
        "Zhou Ba",
        "zhouba@fabrikam.cn",
        "附件是合同扫描件，请确认。",
        [
            ("image001.png", "image/png", True),
            ("采购合同（盖章版）.pdf", "application/pdf", False),
        ],
        "",
    ),
    "rfc2231_chinese_attachment_names.eml": (
        "发票和收据",
        "刘洋",
        "liuyang@example.cn",
        "发票和收据都在附件里。",
        [
            ("发票.pdf", "application/pdf", False),
            ("收据照片（第一页）.png", "image/png", False),
        ],
        "",
    ),
    "malformed_headers.eml": (
        "=?utf-8?B?!!!notbase64!!!?= 订单问题 急",
        "孙大",
        "sunda@example.cn",
        "我的订单有问题。",
        [],
        "",
    ),
    "reply_ticket_number_thunderbird.eml": (
        "Re: [T2026000123] 订单 2026120101 还没有发货",
        "张三",
        "zhangsan@example.cn",
        "快递单号收到了，谢谢。不过物流信息三天没更新了，\n能再帮忙问一下吗？",
        [],
        "",
    ),
    "no_charset_8bit_gbk.eml": (
        "咨询价格",
        "",
        "zhao@example.cn",
        "你好，请问你们的企业版一年多少钱？",
        [],
        "",
    ),
    "newsletter_precedence_bulk.eml": (
        "双十二大促，全场五折",
        "某某商城",
        "newsletter@mall.example.cn",
        "双十二大促",
        [],
        "precedence_bulk",
    ),
    "exmail_plain_original_message.eml": (
        "答复: 开票信息",
        "钱七",
        "qianqi@qianhai-trade.cn",
        "王经理：\n\n附上我们的开票信息，请按这个开。",
        [],
        "",
    ),
}


def test_the_corpus_has_every_expected_message_and_no_other():
    names = {path.name for path in CORPUS.glob("*.eml")}
    assert names == set(EXPECTED)
    assert len(names) >= 22


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_decodes_subject_sender_reply_and_attachments(name):
    subject, from_name, from_address, reply_start, attachments, auto = EXPECTED[name]
    mail = load(name)
    assert mail.subject == subject
    assert mail.from_name == from_name
    assert mail.from_address == from_address
    assert mail.reply_text.startswith(reply_start)
    assert [(a.name, a.content_type, a.inline) for a in mail.attachments] == attachments
    assert mail.auto_reason == auto
    assert "\ufffd" not in mail.text + mail.subject + mail.from_name
    assert "\x00" not in mail.text
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")
    if mail.text:
        assert mail.reply_text
        assert mail.text.startswith(mail.reply_text[:10])


@pytest.mark.parametrize(
    "name, cut",
    [
        ("outlook2016_zh_html_reply.eml", "发件人"),
        ("outlook2016_zh_html_only_mso.eml", "发件人"),
        ("foxmail_gbk_declared_gb2312.eml", "原始邮件"),
        ("qqmail_html_gb18030_reply.eml", "原始邮件"),
        ("netease163_html_gb18030_4byte.eml", "写道"),
        ("iphone_mail_reply_flowed.eml", "发自我的iPhone"),
        ("gmail_android_reply.eml", "写道"),
        ("big5_taiwan_outlook_reply.eml", "寄件者"),
        ("reply_ticket_number_thunderbird.eml", "wrote:"),
        ("exmail_plain_original_message.eml", "原始邮件"),
    ],
)
def test_quoted_history_and_signature_are_trimmed_but_kept_in_the_text(name, cut):
    mail = load(name)
    assert cut in mail.text
    assert cut not in mail.reply_text
    assert len(mail.reply_text) < len(mail.text)


def test_the_signature_after_dash_dash_is_trimmed():
    mail = load("reply_ticket_number_thunderbird.eml")
    assert mail.reply_text == "快递单号收到了，谢谢。不过物流信息三天没更新了，\n能再帮忙问一下吗？"
    assert "13800138000" in mail.text


def test_a_forwarded_mail_keeps_what_it_forwards_in_the_reply():
    mail = load("gmail_forwarded_inline.eml")
    assert "快递员把包裹扔在门口就走了，还骂人。" in mail.reply_text


def test_format_flowed_lines_are_joined_without_a_space_when_delsp():
    mail = load("iphone_mail_reply_flowed.eml")
    assert mail.reply_text == "好的，明天上午十点我在家，可以上门安装。"
    assert "师傅明天可以上门安装，请问您什么时间方便？" in mail.text


def test_gb2312_label_over_gbk_characters_decodes_as_gb18030():
    raw = (CORPUS / "foxmail_gbk_declared_gb2312.eml").read_bytes()
    body = base64.b64decode(raw.split(b"\n\n", 1)[1])
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # the label is wrong: 喆 and 堃 are GBK only
    assert "朱镕路" in load("foxmail_gbk_declared_gb2312.eml").text


def test_big5_label_over_hkscs_characters_decodes():
    assert "係咪可以幫我睇下嘅？" in load("big5_hkscs_labelled_big5.eml").text


def test_an_undeclared_charset_is_guessed():
    text = load("no_charset_8bit_gbk.eml").text
    assert (
        text == "你好，请问你们的企业版一年多少钱？我们公司大概有五十个坐席，需要开增值税专用发票。"
    )


def test_outlook_html_becomes_text_without_styles_or_office_markup():
    mail = load("outlook2016_zh_html_only_mso.eml")
    for junk in ("mso", "font-family", "o:p", "WordSection", "shapedefaults", "<span", "&nbsp;"):
        assert junk not in mail.text
    assert "2026年12月1日 10:00" in mail.text  # Outlook's span-per-run, no spaces added
    assert "<style" not in mail.html and "mso-style" not in mail.html


def test_html_is_sanitised_and_script_never_reaches_text_or_html():
    mail = load("html_only_qp_with_script.eml")
    assert "alert" not in mail.text and "color:red" not in mail.text
    for bad in ("<script", "onclick", "onerror", "javascript:", "<style"):
        assert bad not in mail.html
    assert '<a href="https://example.cn/help"' in mail.html
    assert "<b>无法登录</b>" in mail.html


def test_inline_image_keeps_its_content_id_and_the_html_its_cid_link():
    mail = load("outlook_inline_image_and_chinese_attachment.eml")
    image = mail.attachments[0]
    assert image.content_id == "image001.png@01DB43A5.5E6F7A80"
    assert image.payload.startswith(b"\x89PNG")
    assert 'src="cid:image001.png@01DB43A5.5E6F7A80"' in mail.html
    assert mail.attachments[1].payload.startswith(b"%PDF-1.4")


def test_a_message_that_is_only_an_image_has_empty_text_and_one_inline_image():
    mail = load("only_inline_image_iphone.eml")
    assert mail.text == "" and mail.reply_text == "" and mail.html == ""
    assert mail.attachments[0].payload.startswith(b"\xff\xd8")


def test_reply_headers_carry_the_thread():
    mail = load("reply_ticket_number_thunderbird.eml")
    assert mail.in_reply_to == "<20261201100500.kf.2@huitou.cn>"
    assert mail.references == [
        "<20261201090000.12345@example.cn>",
        "<20261201100500.kf.2@huitou.cn>",
    ]
    assert mail.to == ["kf@huitou.cn"]
    assert mail.date is not None and mail.date.isoformat() == "2026-12-02T09:12:00+08:00"


def test_addresses_are_lower_case_and_cc_is_read():
    mail = load("outlook2016_zh_html_reply.eml")
    assert mail.from_address == "lisi@contoso.com.cn"
    assert mail.cc == ["wangwu@contoso.com.cn"]
    assert mail.headers["x-mailer"] == "Microsoft Outlook 16.0"


def test_x_auto_response_suppress_alone_is_an_ordinary_mail():
    mail = load("outlook2016_zh_html_reply.eml")
    assert mail.headers["x-auto-response-suppress"] == "All"
    assert mail.auto_reason == ""


def test_a_malformed_header_keeps_what_can_be_read():
    mail = load("malformed_headers.eml")
    assert mail.date is None
    assert mail.headers["x-custom"] == "中文头"
    assert mail.to == ["kf@huitou.cn"]
    assert mail.text == "我的订单有问题。"  # the NUL byte is gone


def test_a_missing_or_garbage_message_id_is_generated_from_the_raw_bytes():
    raw = (CORPUS / "malformed_headers.eml").read_bytes()
    expected = f"<{hashlib.sha256(raw).hexdigest()}@huitou.invalid>"
    assert parse_mail(raw).message_id == expected
    assert parse_mail(raw).message_id == expected  # stable: a retry finds the same mail
    without = b"From: a@example.cn\nSubject: hi\n\nbody\n"
    assert parse_mail(without).message_id == (
        f"<{hashlib.sha256(without).hexdigest()}@huitou.invalid>"
    )


def test_crlf_line_ends_parse_the_same():
    raw = (CORPUS / "qqmail_html_gb18030_reply.eml").read_bytes()
    crlf = parse_mail(raw.replace(b"\n", b"\r\n"))
    lf = parse_mail(raw)
    assert (crlf.subject, crlf.from_address, crlf.reply_text) == (
        lf.subject,
        lf.from_address,
        lf.reply_text,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        random.Random(14).randbytes(4096),
        b"just some words, no headers at all\n",
    ],
)
def test_input_that_is_not_mail_raises(raw):
    with pytest.raises(MailParseError):
        parse_mail(raw)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("好的\n\n-----原始邮件-----\n发件人: a", "好的"),
        ("好的\n\n------------------ Original ------------------\nFrom: a", "好的"),
        ("好的\n在 2026年12月1日 周二 10:00，张三 <a@b.cn> 写道：\n> 旧", "好的"),
        ("可以\n\n发件人：客服\n日期：2026年12月1日\n收件人：我\n\n旧的", "可以"),
        ("Fine\n\nSent from my iPhone", "Fine"),
        (
            "问题如下：\n- 订单号 123\n- 未发货\n谢谢，请尽快处理",
            "问题如下：\n- 订单号 123\n- 未发货\n谢谢，请尽快处理",
        ),
        ("他在信里写道：\n我很满意", "他在信里写道：\n我很满意"),
        ("-----原始邮件-----\n发件人: a\n发送时间: b\n\n只有引用", "-----原始邮件-----"),
    ],
)
def test_trim_reply_markers(text, expected):
    assert trim_reply(text).startswith(expected)


def test_trim_reply_never_returns_empty_for_a_text():
    assert trim_reply("> 只有引用的行\n> 第二行") == "> 只有引用的行\n> 第二行"


def test_html_to_text_does_not_split_chinese_spans():
    html = "<p><span>2026</span>年<span>12</span>月</p><div><div>嵌套</div></div>"
    assert html_to_text(html).split() == ["2026年12月", "嵌套"]


# ---------------------------------------------------------------------------- 20 MB attachment

BIG_SIZE = 20 * 1024 * 1024


@pytest.fixture
def big_attachment_eml(tmp_path):
    """A 20 MB attachment (over the 10 MB limit), written to tmp_path: never committed."""
    payload = random.Random(20).randbytes(BIG_SIZE)
    encoded = base64.encodebytes(payload)
    name = "=?utf-8?B?" + base64.b64encode("监控录像.mp4".encode()).decode() + "?="
    raw = (
        b"From: =?utf-8?B?5byg5LiJ?= <zhangsan@example.cn>\n"
        b"To: kf@huitou.cn\n"
        b"Subject: =?utf-8?B?55uR5o6n5b2V5YOP?=\n"
        b"Date: Tue, 1 Dec 2026 20:00:00 +0800\n"
        b"Message-ID: <big-1@example.cn>\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="big"\n\n'
        b"--big\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes("录像在附件里。".encode())
        + b"\n--big\nContent-Type: video/mp4\n"
        + f'Content-Disposition: attachment; filename="{name}"\n'.encode()
        + b"Content-Transfer-Encoding: base64\n\n"
        + encoded
        + b"\n--big--\n"
    )
    path = tmp_path / "attachment_20mb_over_limit.eml"
    path.write_bytes(raw)
    return path, hashlib.sha256(payload).hexdigest()


def test_a_20_mb_attachment_is_parsed_whole_for_the_ingest_to_refuse(big_attachment_eml):
    path, digest = big_attachment_eml
    mail = parse_mail(path.read_bytes())
    assert mail.subject == "监控录像"
    assert mail.reply_text == "录像在附件里。"
    [video] = mail.attachments
    assert (video.name, video.content_type, video.size) == ("监控录像.mp4", "video/mp4", BIG_SIZE)
    assert hashlib.sha256(video.payload).hexdigest() == digest


def test_damaged_mail_never_crashes_the_parser():
    """Truncated and bit-flipped copies of the corpus: parsed, or refused as not mail."""
    rng = random.Random(14)
    for path in sorted(CORPUS.glob("*.eml")):
        raw = path.read_bytes()
        for _ in range(20):
            damaged = bytearray(raw[: rng.randrange(1, len(raw) + 1)])
            for _ in range(5):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            with contextlib.suppress(MailParseError):
                parse_mail(bytes(damaged))
