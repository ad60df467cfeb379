"""/wechat/oa/ as WeChat's servers call it: URL verification, plaintext and safe-mode
messages through the conversation to a passive reply, and the 5-second rule."""

import threading
import time

import pytest
from django.test import Client
from wechatpy.crypto import WeChatCrypto

from huitou.accounts.tests.factories import desk_user
from huitou.chat.models import ChatSession
from huitou.chat.services import InboundResult
from huitou.core.errors import DomainError
from huitou.tickets.models import Message
from huitou.tickets.services import do_message_add
from huitou.wechat import services
from huitou.wechat.models import WechatOutbound
from huitou.wechat.protocol import _xml_dict

from .conftest import OA_AES_KEY, OA_APP_ID, OA_TOKEN
from .test_protocol import sha1_signature

# The bot is asked in a thread of its own, with its own database connection.
pytestmark = pytest.mark.django_db(transaction=True)

TIMESTAMP, NONCE = "1700000000", "4242"
OPENID = "oUser-1"


def text_xml(content: str, msg_id: str = "7001") -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_huitou]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
        f"</FromUserName><CreateTime>{TIMESTAMP}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def signed(extra: dict | None = None) -> str:
    signature = sha1_signature(OA_TOKEN, TIMESTAMP, NONCE)
    query = f"signature={signature}&timestamp={TIMESTAMP}&nonce={NONCE}"
    for key, value in (extra or {}).items():
        query += f"&{key}={value}"
    return query


def post_plain(xml: str, **extra):
    return Client().post(f"/wechat/oa/?{signed(extra)}", data=xml, content_type="text/xml")


def post_safe(xml: str):
    """As WeChat sends in safe mode: the message encrypted and signed with msg_signature."""
    crypto = WeChatCrypto(OA_TOKEN, OA_AES_KEY, OA_APP_ID)
    wrapped = _xml_dict(crypto.encrypt_message(xml, NONCE, TIMESTAMP))
    body = (
        "<xml><ToUserName><![CDATA[gh_huitou]]></ToUserName>"
        f"<Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>"
    )
    query = signed(
        {"encrypt_type": "aes", "msg_signature": wrapped["MsgSignature"], "openid": OPENID}
    )
    return Client().post(f"/wechat/oa/?{query}", data=body, content_type="text/xml")


class FakeChat:
    """do_channel_inbound as the adapter sees it: records each call, answers `answer` after
    `delay` seconds."""

    def __init__(self, answer="您好，空调漏水请先检查排水管。", delay=0.0, fail=False):
        self.answer, self.delay, self.fail = answer, delay, fail
        self.calls = []
        self.finished = threading.Event()

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        time.sleep(self.delay)
        self.finished.set()
        if self.fail:
            raise RuntimeError("the database went away")
        return InboundResult(self.answer, False, None, None)


@pytest.fixture
def chat(monkeypatch):
    fake = FakeChat()
    monkeypatch.setattr(services, "do_channel_inbound", fake)
    yield fake
    services.join_answer_threads()


def test_url_verification_echoes_only_with_a_good_signature(wechat):
    assert Client().get(f"/wechat/oa/?{signed({'echostr': 'hello123'})}").content == b"hello123"
    bad = f"signature={'0' * 40}&timestamp={TIMESTAMP}&nonce={NONCE}&echostr=hello123"
    response = Client().get(f"/wechat/oa/?{bad}")
    assert response.status_code == 403 and b"hello123" not in response.content
    assert Client().get("/wechat/oa/?echostr=hello123").status_code == 403


def test_endpoints_are_404_until_configured(settings):
    settings.WECHAT_OA_APP_ID = settings.WECHAT_OA_TOKEN = ""
    settings.WECOM_CORP_ID = ""
    assert Client().get(f"/wechat/oa/?{signed({'echostr': 'x'})}").status_code == 404
    assert Client().post("/wechat/kf/", data="<xml/>", content_type="text/xml").status_code == 404


def test_plaintext_text_message_is_asked_and_answered_passively(wechat, chat):
    response = post_plain(text_xml("空调漏水怎么办"))
    assert response.status_code == 200
    reply = _xml_dict(response.content.decode())
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == "gh_huitou"
    assert reply["MsgType"] == "text" and reply["Content"] == chat.answer
    assert chat.calls == [
        {
            "via": "wechat",
            "account": OA_APP_ID,
            "external_id": OPENID,
            "body": "空调漏水怎么办",
            "external_msg_id": "7001",
        }
    ]


def test_safe_mode_message_round_trip_the_reply_is_encrypted(wechat, chat):
    response = post_safe(text_xml("保修多久", msg_id="7002"))
    assert response.status_code == 200
    wrapped = _xml_dict(response.content.decode())
    assert "Content" not in wrapped  # nothing in the clear
    crypto = WeChatCrypto(OA_TOKEN, OA_AES_KEY, OA_APP_ID)
    plain = crypto.decrypt_message(
        response.content.decode(), wrapped["MsgSignature"], wrapped["TimeStamp"], wrapped["Nonce"]
    )
    assert _xml_dict(plain)["Content"] == chat.answer
    assert chat.calls[0]["body"] == "保修多久" and chat.calls[0]["external_msg_id"] == "7002"


def test_the_oa_docs_python_sample_post_is_read(settings, wechat, chat):
    """The safe-mode POST of WeChat's Python sample (its own token, app id and signature)."""
    settings.WECHAT_OA_APP_ID, settings.WECHAT_OA_TOKEN = "wx2c2769f8efd9abc2", "spamtest"
    body = (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
        "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
        "</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8"
        "KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332j"
        "isa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5"
        "RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9Ghgl"
        "F2PE=]]></Encrypt></xml>"
    )
    query = (
        "encrypt_type=aes&msg_signature=5d197aaffba7e9b25a30732f161a50dee96bd5fa"
        "&timestamp=1409735669&nonce=1320562132"
    )
    response = Client().post(f"/wechat/oa/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 200
    assert chat.calls[0]["external_id"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert (
        chat.calls[0]["body"] == "abcdteT"
        and chat.calls[0]["external_msg_id"] == "6054768590064713728"
    )
    tampered = Client().post(
        f"/wechat/oa/?{query.replace('1320562132', '1320562133')}",
        data=body,
        content_type="text/xml",
    )
    assert tampered.status_code == 403


def test_bad_signatures_are_403_and_malformed_xml_400(wechat, chat):
    forged = f"signature={'0' * 40}&timestamp={TIMESTAMP}&nonce={NONCE}"
    assert (
        Client()
        .post(f"/wechat/oa/?{forged}", data=text_xml("x"), content_type="text/xml")
        .status_code
        == 403
    )
    assert post_plain("<xml><MsgType>text</MsgType><Content>").status_code == 400
    assert post_plain("plain words").status_code == 400
    assert (
        post_plain("<xml><MsgType>text</MsgType><Content>hi</Content></xml>").status_code == 400
    )  # no sender
    garbage = signed(
        {"encrypt_type": "aes", "msg_signature": sha1_signature(OA_TOKEN, TIMESTAMP, NONCE, "QUJD")}
    )
    body = "<xml><Encrypt><![CDATA[QUJD]]></Encrypt></xml>"
    assert (
        Client().post(f"/wechat/oa/?{garbage}", data=body, content_type="text/xml").status_code
        == 400
    )
    assert chat.calls == []


def test_subscribe_is_welcomed_and_other_events_are_success(settings, wechat, chat):
    settings.WECHAT_OA_WELCOME = "欢迎关注回头家电！"
    event = (
        f"<xml><ToUserName>gh_huitou</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>event</MsgType><Event>{}</Event></xml>"
    )
    assert (
        _xml_dict(post_plain(event.format("subscribe")).content.decode())["Content"]
        == "欢迎关注回头家电！"
    )
    assert post_plain(event.format("unsubscribe")).content == b"success"
    assert chat.calls == []


def test_menu_click_asks_its_text_and_human_asks_for_a_person(wechat, chat):
    click = (
        f"<xml><ToUserName>gh_huitou</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>5</CreateTime>"
        "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>{}</EventKey></xml>"
    )
    post_plain(click.format("ASK:怎么预约安装"))
    post_plain(click.format("HUMAN"))
    assert [call["body"] for call in chat.calls] == ["怎么预约安装", "转人工"]


def test_no_answer_is_success(wechat, chat):
    chat.answer = None  # a person holds the conversation
    assert post_plain(text_xml("还在吗")).content == b"success"


def test_a_message_that_could_not_be_stored_is_an_error_so_wechat_resends(wechat, chat):
    chat.fail = True
    assert post_plain(text_xml("你好")).status_code == 500


def test_a_slow_answer_is_success_now_and_sent_once_by_the_customer_service_api(
    settings, wechat, chat
):
    settings.WECHAT_PASSIVE_REPLY_SECONDS = 0.2
    chat.delay = 1.0
    started = time.monotonic()
    response = post_plain(text_xml("空调漏水怎么办", msg_id="8001"))
    assert response.content == b"success"
    assert time.monotonic() - started < 0.9  # WeChat got its answer within the deadline
    services.join_answer_threads()
    sends = wechat.calls_to("/cgi-bin/message/custom/send")
    assert [call.body for call in sends] == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": chat.answer}}
    ]
    row = WechatOutbound.objects.get()
    assert (row.status, row.key, row.attempts) == ("sent", f"answer:wechat:{OA_APP_ID}:8001", 1)


def test_an_answer_in_time_is_passive_only(settings, wechat, chat):
    settings.WECHAT_PASSIVE_REPLY_SECONDS = 2.0
    response = post_plain(text_xml("空调漏水怎么办", msg_id="8002"))
    assert _xml_dict(response.content.decode())["Content"] == chat.answer
    services.join_answer_threads()
    assert wechat.calls_to("/cgi-bin/message/custom/send") == []
    assert not WechatOutbound.objects.exists()


def test_words_the_conversation_refuses_are_success_not_a_resend_loop(wechat, monkeypatch):
    def refuse(**kwargs):
        raise DomainError("内容包含无效字符。", field="body")

    monkeypatch.setattr(services, "do_channel_inbound", refuse)
    assert post_plain(text_xml("坏字符")).content == b"success"


def test_a_customer_reaches_a_person_and_the_agents_reply_goes_back_once(settings, wechat):
    """The real conversation: 转人工 opens a ticket, the agent's reply goes out through
    custom/send, and the customer's next words join the ticket with no bot answer."""
    settings.WECHAT_PASSIVE_REPLY_SECONDS = 10.0
    handoff = post_plain(text_xml("转人工", msg_id="9001"))
    assert "人工" in _xml_dict(handoff.content.decode())["Content"]
    session = ChatSession.objects.get(via="wechat", external_id=OPENID)
    assert session.account == OA_APP_ID and session.ticket.channel == "wechat"
    do_message_add(
        actor=desk_user(), ticket=session.ticket, body="您好，我是客服小李。", public=True
    )
    [sent] = wechat.calls_to("/cgi-bin/message/custom/send")
    assert sent.body["touser"] == OPENID and sent.body["text"]["content"] == "您好，我是客服小李。"
    assert post_plain(text_xml("我家空调漏水", msg_id="9002")).content == b"success"
    assert post_plain(text_xml("我家空调漏水", msg_id="9002")).content == b"success"  # resent
    words = Message.objects.filter(ticket=session.ticket, sender="customer", body="我家空调漏水")
    assert words.count() == 1
    assert len(wechat.calls_to("/cgi-bin/message/custom/send")) == 1
