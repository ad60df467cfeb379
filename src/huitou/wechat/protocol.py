"""WeChat's callback protocol, as thin wrappers over wechatpy (no crypto of our own).

公众号 (OA): a GET with signature/timestamp/nonce/echostr verifies the URL; a POST carries
one message, in plaintext mode (signed in the URL only) or safe mode (encrypt_type=aes: the
body's Encrypt element, signed by msg_signature); a passive reply goes back in the same
mode. 企业微信 (WeCom) callbacks are always encrypted, the echostr too.
"""

from dataclasses import dataclass
from xml.parsers.expat import ExpatError

import xmltodict
from django.conf import settings
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WecomCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature


class SignatureError(Exception):
    """The request was not signed with our token (or not encrypted for our account)."""


class MalformedMessage(Exception):
    """The body is not a WeChat message we can read."""


@dataclass(frozen=True)
class OaAccount:
    app_id: str
    app_secret: str
    token: str
    aes_key: str  # empty: plaintext mode only


@dataclass(frozen=True)
class KfAccount:
    corp_id: str
    secret: str
    token: str
    aes_key: str


def oa_account() -> OaAccount | None:
    """The configured 公众号, or None: its endpoint then answers 404."""
    if not (settings.WECHAT_OA_APP_ID and settings.WECHAT_OA_TOKEN):
        return None
    return OaAccount(
        app_id=settings.WECHAT_OA_APP_ID,
        app_secret=settings.WECHAT_OA_APP_SECRET,
        token=settings.WECHAT_OA_TOKEN,
        aes_key=settings.WECHAT_OA_ENCODING_AES_KEY,
    )


def kf_account() -> KfAccount | None:
    """The configured 微信客服 (its callbacks are always encrypted), or None."""
    if not (
        settings.WECOM_CORP_ID and settings.WECOM_KF_TOKEN and settings.WECOM_KF_ENCODING_AES_KEY
    ):
        return None
    return KfAccount(
        corp_id=settings.WECOM_CORP_ID,
        secret=settings.WECOM_KF_SECRET,
        token=settings.WECOM_KF_TOKEN,
        aes_key=settings.WECOM_KF_ENCODING_AES_KEY,
    )


def _oa_crypto(account: OaAccount) -> WeChatCrypto:
    return WeChatCrypto(account.token, account.aes_key, account.app_id)


def _wecom_crypto(account: KfAccount) -> WecomCrypto:
    return WecomCrypto(account.token, account.aes_key, account.corp_id)


def check_oa_signature(account: OaAccount, *, signature: str, timestamp: str, nonce: str) -> None:
    if not (signature and timestamp and nonce):
        raise SignatureError("signature, timestamp and nonce are required")
    try:
        check_signature(account.token, signature, timestamp, nonce)
    except InvalidSignatureException as error:
        raise SignatureError("bad signature") from error


def verify_oa_url(
    account: OaAccount, *, signature: str, timestamp: str, nonce: str, echostr: str
) -> str:
    """The URL check (服务器配置): the echostr to echo back, after the signature."""
    check_oa_signature(account, signature=signature, timestamp=timestamp, nonce=nonce)
    return echostr


def _xml_dict(text: str) -> dict:
    try:
        data = xmltodict.parse(text)  # entities are refused (disable_entities)
    except (ExpatError, ValueError) as error:
        raise MalformedMessage(str(error)) from error
    if not isinstance(data, dict) or not isinstance(data.get("xml"), dict):
        raise MalformedMessage("no <xml> element")
    return data["xml"]


def decrypt_oa_body(account: OaAccount, body: bytes, params) -> tuple[str, bool]:
    """(the message's XML, whether it came in safe mode). Plaintext and safe mode are both
    signed: the URL's signature, and msg_signature over the encrypted body."""
    text = body.decode("utf-8", "replace")
    if params.get("encrypt_type", "raw").lower() != "aes":
        check_oa_signature(
            account,
            signature=params.get("signature", ""),
            timestamp=params.get("timestamp", ""),
            nonce=params.get("nonce", ""),
        )
        return text, False
    if not account.aes_key:
        raise SignatureError("safe mode without WECHAT_OA_ENCODING_AES_KEY")
    envelope = _xml_dict(text)
    if not envelope.get("Encrypt"):
        raise MalformedMessage("safe mode without Encrypt")
    try:
        xml = _oa_crypto(account).decrypt_message(
            envelope,
            params.get("msg_signature", ""),
            params.get("timestamp", ""),
            params.get("nonce", ""),
        )
    except (InvalidSignatureException, InvalidAppIdException) as error:
        raise SignatureError("bad msg_signature or another account's message") from error
    except (ValueError, IndexError, TypeError) as error:  # not base64, bad padding
        raise MalformedMessage("cannot decrypt") from error
    return xml, True


def parse_oa_message(xml: str) -> BaseMessage:
    _xml_dict(xml)  # malformed XML is the sender's fault (400), not a crash in the parser
    try:
        return parse_message(xml)
    except (KeyError, AttributeError, ExpatError) as error:
        raise MalformedMessage("not a WeChat message") from error


def _cdata_safe(text: str) -> str:
    # wechatpy puts the content in CDATA unescaped: "]]>" would end it early.
    return text.replace("]]>", "]]]]><![CDATA[>")


def render_oa_text_reply(
    account: OaAccount, message: BaseMessage, content: str, *, safe: bool, nonce: str
) -> str:
    """A passive text reply to `message`, encrypted and signed when it came in safe mode."""
    xml = TextReply(message=message, content=_cdata_safe(content)).render()
    if not safe:
        return xml
    return _oa_crypto(account).encrypt_message(xml, nonce or "huitou")


def verify_kf_url(
    account: KfAccount, *, msg_signature: str, timestamp: str, nonce: str, echostr: str
) -> str:
    """WeCom's URL check: the echostr is encrypted; the answer is its plaintext."""
    try:
        return _wecom_crypto(account).check_signature(msg_signature, timestamp, nonce, echostr)
    except (InvalidSignatureException, InvalidCorpIdException) as error:
        raise SignatureError("bad msg_signature or another corp's echostr") from error
    except (ValueError, IndexError, TypeError) as error:
        raise MalformedMessage("cannot decrypt echostr") from error


def decrypt_kf_body(
    account: KfAccount, body: bytes, *, msg_signature: str, timestamp: str, nonce: str
) -> dict:
    """A WeCom callback's decrypted fields (for 微信客服: Event kf_msg_or_event, Token,
    OpenKfId)."""
    envelope = _xml_dict(body.decode("utf-8", "replace"))
    if not envelope.get("Encrypt"):
        raise MalformedMessage("no Encrypt")
    try:
        xml = _wecom_crypto(account).decrypt_message(envelope, msg_signature, timestamp, nonce)
    except (InvalidSignatureException, InvalidCorpIdException) as error:
        raise SignatureError("bad msg_signature or another corp's message") from error
    except (ValueError, IndexError, TypeError) as error:
        raise MalformedMessage("cannot decrypt") from error
    return _xml_dict(xml)
