"""The callback protocol against the documented samples: WeChat's own vectors must decrypt
and verify through our wrappers, and anything signed or encrypted otherwise is refused."""

import hashlib

import pytest
from django.test import override_settings
from wechatpy import parse_message
from wechatpy.crypto.base import BasePrpCrypto

from huitou.wechat import protocol
from huitou.wechat.services import oa_action

from .conftest import CORP_ID, KF_AES_KEY, KF_TOKEN, OA_AES_KEY, OA_APP_ID, OA_TOKEN

OA = protocol.OaAccount(app_id=OA_APP_ID, app_secret="", token=OA_TOKEN, aes_key=OA_AES_KEY)
KF = protocol.KfAccount(corp_id=CORP_ID, secret="", token=KF_TOKEN, aes_key=KF_AES_KEY)

# 公众号 safe-mode sample (pamtest): the ciphertext of "我是中文abcd123" with the random
# prefix "aaaabbbbccccdddd", and of a video reply, from the official sample code's tests.
OA_RANDOM = "aaaabbbbccccdddd"
OA_PLAIN = "我是中文abcd123"
OA_CIPHER = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)
OA_VIDEO_PLAIN = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName>"
    "<![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType>"
    "<![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUk"
    "jm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title>"
    "<Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
)
OA_VIDEO_CIPHER = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEc"
    "W7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAl"
    "HF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQ"
    "NSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkw"
    "WTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6"
    "YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP"
    "5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
)
TIMESTAMP, NONCE = "1409304348", "xxxxxx"

# WeCom's callback sample: URL verification and one encrypted message, signatures as given.
KF_VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": (
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    ),
}
KF_ECHO_PLAIN = "1616140317555161061"
KF_MESSAGE = {
    "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
    "timestamp": "1409659813",
    "nonce": "1372623149",
}
KF_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj9"
    "11L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DO"
    "dnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03"
    "v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpN"
    "elZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
    "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)


def sha1_signature(*parts: str) -> str:
    """WeChat's signature, computed here independently of wechatpy: sorted, joined, SHA-1."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def envelope(encrypt: str) -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    ).encode()


def safe_params(encrypt: str, *, token: str = OA_TOKEN) -> dict:
    return {
        "encrypt_type": "aes",
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
        "msg_signature": sha1_signature(token, TIMESTAMP, NONCE, encrypt),
    }


def test_the_oa_samples_ciphertext_decrypts_to_its_documented_plaintext():
    text, safe = protocol.decrypt_oa_body(OA, envelope(OA_CIPHER), safe_params(OA_CIPHER))
    assert (text, safe) == (OA_PLAIN, True)
    video, _safe = protocol.decrypt_oa_body(
        OA, envelope(OA_VIDEO_CIPHER), safe_params(OA_VIDEO_CIPHER)
    )
    assert video == OA_VIDEO_PLAIN
    assert protocol.parse_oa_message(video).type == "video"


def test_encrypting_with_the_samples_random_prefix_gives_its_documented_ciphertext(monkeypatch):
    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda self: OA_RANDOM)
    reply = protocol._oa_crypto(OA).encrypt_message(OA_PLAIN, NONCE, TIMESTAMP)
    fields = protocol._xml_dict(reply)
    assert fields["Encrypt"] == OA_CIPHER
    assert fields["MsgSignature"] == sha1_signature(OA_TOKEN, TIMESTAMP, NONCE, OA_CIPHER)


def test_a_wrong_msg_signature_or_another_accounts_message_is_refused():
    params = {**safe_params(OA_CIPHER), "msg_signature": "0" * 40}
    with pytest.raises(protocol.SignatureError):
        protocol.decrypt_oa_body(OA, envelope(OA_CIPHER), params)
    # Signed with our token but encrypted for another app id: refused, not read.
    other = protocol.OaAccount(
        app_id="wx0000000000000000", app_secret="", token=OA_TOKEN, aes_key=OA_AES_KEY
    )
    with pytest.raises(protocol.SignatureError):
        protocol.decrypt_oa_body(other, envelope(OA_CIPHER), safe_params(OA_CIPHER))


def test_plaintext_mode_checks_the_url_signature():
    body = b"<xml><MsgType>text</MsgType></xml>"
    good = {
        "signature": sha1_signature(OA_TOKEN, TIMESTAMP, NONCE),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
    }
    assert protocol.decrypt_oa_body(OA, body, good) == (body.decode(), False)
    for bad in ({**good, "signature": "f" * 40}, {**good, "nonce": "other"}, {}):
        with pytest.raises(protocol.SignatureError):
            protocol.decrypt_oa_body(OA, body, bad)


def test_safe_mode_is_refused_when_no_encoding_aes_key_is_configured():
    plain_only = protocol.OaAccount(app_id=OA_APP_ID, app_secret="", token=OA_TOKEN, aes_key="")
    with pytest.raises(protocol.SignatureError):
        protocol.decrypt_oa_body(plain_only, envelope(OA_CIPHER), safe_params(OA_CIPHER))


def test_malformed_bodies_are_malformed_not_crashes():
    good = safe_params("bm90IGNpcGhlcnRleHQ=")
    with pytest.raises(protocol.MalformedMessage):
        protocol.decrypt_oa_body(OA, envelope("bm90IGNpcGhlcnRleHQ="), good)  # not AES blocks
    for junk in ("<xml><unclosed>", "not xml at all", "<other>1</other>", "<xml><MsgType>text"):
        with pytest.raises(protocol.MalformedMessage):
            protocol.parse_oa_message(junk)
    entity = '<!DOCTYPE x [<!ENTITY e "boom">]><xml><MsgType>&e;</MsgType></xml>'
    with pytest.raises(protocol.MalformedMessage):
        protocol.parse_oa_message(entity)


def test_wecoms_sample_url_verification_gives_the_documented_plaintext():
    assert protocol.verify_kf_url(KF, **KF_VERIFY) == KF_ECHO_PLAIN
    assert (
        sha1_signature(KF_TOKEN, KF_VERIFY["timestamp"], KF_VERIFY["nonce"], KF_VERIFY["echostr"])
        == (KF_VERIFY["msg_signature"])
    )
    with pytest.raises(protocol.SignatureError):
        protocol.verify_kf_url(KF, **{**KF_VERIFY, "msg_signature": "0" * 40})
    other_corp = protocol.KfAccount(
        corp_id="wwother", secret="", token=KF_TOKEN, aes_key=KF_AES_KEY
    )
    with pytest.raises(protocol.SignatureError):
        protocol.verify_kf_url(other_corp, **KF_VERIFY)


def test_wecoms_sample_message_decrypts_with_its_documented_signature():
    fields = protocol.decrypt_kf_body(KF, KF_BODY.encode(), **KF_MESSAGE)
    assert fields["FromUserName"] == "mycreate"
    assert fields["Content"] == "hello"
    assert fields["MsgId"] == "4561255354251345929"
    with pytest.raises(protocol.SignatureError):
        protocol.decrypt_kf_body(KF, KF_BODY.encode(), **{**KF_MESSAGE, "timestamp": "1409659814"})


def message(xml_fields: str):
    return parse_message(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o_user</FromUserName>"
        f"<CreateTime>1700000000</CreateTime>{xml_fields}</xml>"
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            "<MsgType>text</MsgType><Content> 空调漏水 </Content><MsgId>11</MsgId>",
            ("空调漏水", False, "11"),
        ),
        (
            "<MsgType>image</MsgType><PicUrl>http://mmbiz/1.jpg</PicUrl><MediaId>m</MediaId><MsgId>12</MsgId>",
            ("[图片] http://mmbiz/1.jpg", False, "12"),
        ),
        (
            "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><Recognition>我要退货</Recognition><MsgId>13</MsgId>",
            ("我要退货", False, "13"),
        ),
        (
            "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><MsgId>14</MsgId>",
            ("[语音消息]", False, "14"),
        ),
        ("<MsgType>event</MsgType><Event>subscribe</Event>", ("", True, "")),
        (
            "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>ASK:保修多久</EventKey>",
            ("保修多久", False, "o_user:1700000000"),
        ),
        (
            "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>HUMAN</EventKey>",
            ("转人工", False, "o_user:1700000000"),
        ),
        ("<MsgType>event</MsgType><Event>CLICK</Event><EventKey>OTHER</EventKey>", ("", False, "")),
        ("<MsgType>event</MsgType><Event>unsubscribe</Event>", ("", False, "")),
        (
            "<MsgType>location</MsgType><Location_X>1</Location_X><Location_Y>2</Location_Y><MsgId>15</MsgId>",
            ("", False, ""),
        ),
    ],
)
def test_each_message_kind_becomes_its_conversation_step(fields, expected):
    action = oa_action(message(fields))
    assert (action.body, action.welcome, action.msg_id) == expected


def test_a_passive_reply_in_safe_mode_is_encrypted_for_the_customer():
    incoming = message("<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>")
    plain = protocol.render_oa_text_reply(OA, incoming, "答]]>案", safe=False, nonce=NONCE)
    fields = protocol._xml_dict(plain)
    assert (fields["ToUserName"], fields["FromUserName"], fields["Content"]) == (
        "o_user",
        "gh_1",
        "答]]>案",
    )
    secret = protocol.render_oa_text_reply(OA, incoming, "答案", safe=True, nonce=NONCE)
    wrapped = protocol._xml_dict(secret)
    assert "Content" not in wrapped
    params = {
        "encrypt_type": "aes",
        "timestamp": wrapped["TimeStamp"],
        "nonce": wrapped["Nonce"],
        "msg_signature": wrapped["MsgSignature"],
    }
    text, _safe = protocol.decrypt_oa_body(OA, secret.encode(), params)
    assert protocol._xml_dict(text)["Content"] == "答案"


@override_settings(WECHAT_OA_APP_ID="", WECOM_CORP_ID="")
def test_an_account_without_its_settings_is_not_configured():
    assert protocol.oa_account() is None
    assert protocol.kf_account() is None
