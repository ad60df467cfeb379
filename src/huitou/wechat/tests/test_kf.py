"""微信客服: the callback is answered at once; the worker pulls sync_msg from the stored
cursor while WeCom has more, takes each customer text into the conversation once, and
sends the bot's answer with kf/send_msg."""

import pytest
from django.test import Client
from wechatpy.enterprise.crypto import WeChatCrypto as WecomCrypto

from huitou.chat.models import ChatSession
from huitou.chat.services import InboundResult
from huitou.tickets.models import Message
from huitou.wechat import services
from huitou.wechat.models import WechatOutbound, WecomKfCursor
from huitou.wechat.protocol import _xml_dict

from .conftest import CORP_ID, KF_AES_KEY, KF_TOKEN, OPEN_KFID
from .test_protocol import KF_BODY, KF_ECHO_PLAIN, KF_MESSAGE, KF_VERIFY

pytestmark = pytest.mark.django_db
SYNC, SEND = "/cgi-bin/kf/sync_msg", "/cgi-bin/kf/send_msg"


def customer_text(msgid: str, content: str, user: str = "wmUser1") -> dict:
    return {
        "msgid": msgid,
        "open_kfid": OPEN_KFID,
        "external_userid": user,
        "send_time": 1700000000,
        "origin": 3,
        "msgtype": "text",
        "text": {"content": content},
    }


def callback(token: str = "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"):
    """WeCom's kf_msg_or_event callback, encrypted and signed as WeCom sends it."""
    event = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><CreateTime>1700000000</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        f"<Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId></xml>"
    )
    wrapped = _xml_dict(
        WecomCrypto(KF_TOKEN, KF_AES_KEY, CORP_ID).encrypt_message(event, "77", "1700000001")
    )
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>"
    )
    query = f"msg_signature={wrapped['MsgSignature']}&timestamp=1700000001&nonce=77"
    return Client().post(f"/wechat/kf/?{query}", data=body, content_type="text/xml")


class FakeChat:
    def __init__(self):
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return InboundResult(f"答：{kwargs['body']}", False, None, None)


def test_the_samples_url_verification_returns_the_plaintext(wechat):
    query = "&".join(f"{key}={value}" for key, value in KF_VERIFY.items()).replace("+", "%2B")
    response = Client().get(f"/wechat/kf/?{query}")
    assert response.status_code == 200 and response.content.decode() == KF_ECHO_PLAIN
    forged = query.replace(KF_VERIFY["msg_signature"], "0" * 40)
    assert Client().get(f"/wechat/kf/?{forged}").status_code == 403


def test_the_samples_message_is_accepted_and_not_a_sync(wechat):
    query = "&".join(f"{key}={value}" for key, value in KF_MESSAGE.items())
    response = Client().post(f"/wechat/kf/?{query}", data=KF_BODY, content_type="text/xml")
    assert response.content == b"success"
    assert wechat.calls_to(SYNC) == []
    tampered = KF_BODY.replace("RypEvHKD8QQ", "RypEvHKD8QR")
    assert (
        Client().post(f"/wechat/kf/?{query}", data=tampered, content_type="text/xml").status_code
        == 403
    )
    assert (
        Client().post(f"/wechat/kf/?{query}", data="<xml>", content_type="text/xml").status_code
        == 400
    )


def test_callback_syncs_from_the_cursor_and_answers_each_customer_text_once(
    wechat, monkeypatch, django_capture_on_commit_callbacks
):
    chat = FakeChat()
    monkeypatch.setattr(services, "do_channel_inbound", chat)
    staff = {**customer_text("m-staff", "客服发的"), "origin": 5}
    image = {**customer_text("m-image", ""), "msgtype": "image", "image": {"media_id": "x"}}
    wechat.kf_messages = [
        customer_text("m1", "空调漏水"),
        staff,
        image,
        customer_text("m2", "保修多久"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert callback().content == b"success"
    syncs = wechat.calls_to(SYNC)
    assert [call.body.get("cursor") for call in syncs] == [None, "2"]  # two pages: has_more
    assert {call.body["token"] for call in syncs} == {
        "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"
    }
    assert [(call["body"], call["external_msg_id"], call["account"]) for call in chat.calls] == [
        ("空调漏水", "m1", OPEN_KFID),
        ("保修多久", "m2", OPEN_KFID),
    ]
    assert [call.body["text"]["content"] for call in wechat.calls_to(SEND)] == [
        "答：空调漏水",
        "答：保修多久",
    ]
    assert {call.body["touser"] for call in wechat.calls_to(SEND)} == {"wmUser1"}
    assert WecomKfCursor.objects.get(open_kfid=OPEN_KFID).cursor == "4"
    # The next callback starts at the cursor: only what is new.
    wechat.kf_messages.append(customer_text("m3", "谢谢"))
    with django_capture_on_commit_callbacks(execute=True):
        callback(token="second")
    assert wechat.calls_to(SYNC)[-1].body["cursor"] == "4"
    assert [call["body"] for call in chat.calls][-1] == "谢谢" and len(chat.calls) == 3
    assert WechatOutbound.objects.filter(status="sent").count() == 3


def test_a_kf_customer_reaches_a_person_through_the_real_conversation(
    wechat, django_capture_on_commit_callbacks
):
    wechat.kf_messages = [customer_text("k1", "转人工", user="wmReal")]
    with django_capture_on_commit_callbacks(execute=True):
        callback()
    session = ChatSession.objects.get(via="wechat_kf", external_id="wmReal")
    assert session.account == OPEN_KFID and session.ticket.channel == "wechat"
    [answer] = wechat.calls_to(SEND)
    assert "人工" in answer.body["text"]["content"]
    # Resent by WeCom (the same msgid in a later page): taken once.
    wechat.kf_messages.append(customer_text("k1", "转人工", user="wmReal"))
    wechat.kf_messages.append(customer_text("k2", "我的空调漏水了", user="wmReal"))
    with django_capture_on_commit_callbacks(execute=True):
        callback()
    bodies = list(
        Message.objects.filter(ticket=session.ticket, sender="customer").values_list(
            "body", flat=True
        )
    )
    assert bodies.count("我的空调漏水了") == 1
    assert len(wechat.calls_to(SEND)) == 1  # a person has it now: the bot says nothing more
