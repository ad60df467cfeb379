"""What comes in from WeChat, into conversations (huitou.chat.do_channel_inbound).

公众号: WeChat waits 5 seconds for the passive reply. The bot is asked in a thread of its
own; whichever comes first decides, under one lock: the answer (a passive reply) or the
deadline (the view answers "success" and the thread queues the answer as a customer-service
message in the same transaction as the customer's message). So the answer goes out exactly
one way. 微信客服: the callback only says there is something new; kf/sync_msg fetches it."""

import logging
import threading
import weakref
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from wechatpy.messages import BaseMessage

from huitou.chat.services import InboundResult, do_channel_inbound
from huitou.core.errors import DomainError

from . import client
from .models import Via, WecomKfCursor
from .outbound import do_outbound_queue
from .protocol import kf_account

logger = logging.getLogger(__name__)

HUMAN = "转人工"  # what customers type to reach a person; the menu's HUMAN key says it too
ORIGIN_CUSTOMER = 3  # kf/sync_msg: sent by the WeChat customer (4: a system event, 5: staff)
_threads: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


@dataclass(frozen=True)
class OaAction:
    """What to do with one 公众号 message: ask `body` (in the conversation), greet, or
    nothing ("success")."""

    body: str = ""
    welcome: bool = False
    msg_id: str = ""


def oa_action(message: BaseMessage) -> OaAction:
    """A 公众号 message or event as a conversation step."""
    kind = message.type
    # Events have no MsgId: WeChat's advice is FromUserName + CreateTime to spot a resend.
    msg_id = str(message.id) if message.id else f"{message.source}:{message.time}"
    if kind == "text":
        return OaAction(body=(message.content or "").strip(), msg_id=msg_id)
    if kind == "image":
        return OaAction(body=f"[图片] {message.image or ''}".strip(), msg_id=msg_id)
    if kind == "voice":
        return OaAction(body=(message.recognition or "").strip() or "[语音消息]", msg_id=msg_id)
    if kind == "event":
        event = getattr(message, "event", "")
        if event in ("subscribe", "subscribe_scan"):
            return OaAction(welcome=True)
        if event == "click":
            key = (getattr(message, "key", "") or "").strip()
            if key.startswith("ASK:") and key[4:].strip():
                return OaAction(body=key[4:].strip(), msg_id=msg_id)
            if key == "HUMAN":
                return OaAction(body=HUMAN, msg_id=msg_id)
    return OaAction()


def welcome_text() -> str:
    return settings.WECHAT_OA_WELCOME or _("您好，欢迎关注！")


@dataclass
class _Handoff:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    result: InboundResult | None = None
    deferred: bool = False  # the view answered "success": the thread sends the answer
    failed: bool = False


class InboundFailed(Exception):
    """The customer's message could not be stored: WeChat should send it again."""


def _answer_in_thread(handoff: _Handoff, *, app_id: str, openid: str, body: str, msg_id: str):
    try:
        with transaction.atomic():
            result = do_channel_inbound(
                via=Via.OA, account=app_id, external_id=openid, body=body, external_msg_id=msg_id
            )
            with handoff.lock:
                if not handoff.deferred:
                    handoff.result = result
                elif result.answer:
                    # Too late for the passive reply: a customer-service message instead,
                    # committed with the customer's message.
                    do_outbound_queue(
                        key=f"answer:{Via.OA}:{app_id}:{msg_id}",
                        via=Via.OA,
                        account=app_id,
                        touser=openid,
                        body=result.answer,
                        ticket_id=result.ticket_id,
                    )
    except DomainError as error:
        # The conversation refuses these words (unsafe characters): a resend would too.
        logger.warning("wechat message %s from %s refused: %s", msg_id, openid, error.message)
        with handoff.lock:
            handoff.result = InboundResult(None, False, None, None)
    except Exception:  # the view must hear of any failure, not wait for ever
        logger.exception("wechat message %s from %s could not be handled", msg_id, openid)
        handoff.failed = True
    finally:
        handoff.done.set()
        connection.close()  # this thread's own connection


def do_oa_inbound(*, app_id: str, openid: str, body: str, msg_id: str) -> str | None:
    """The customer's message into their conversation. Returns the answer to reply with now,
    or None (reply "success"; a late answer goes out by the customer-service API).
    Raises InboundFailed when the message was not stored in time to say so."""
    handoff = _Handoff()
    thread = threading.Thread(
        target=_answer_in_thread,
        kwargs={
            "handoff": handoff,
            "app_id": app_id,
            "openid": openid,
            "body": body,
            "msg_id": msg_id,
        },
        name=f"wechat-answer-{msg_id}",
    )
    _threads.add(thread)
    thread.start()
    handoff.done.wait(settings.WECHAT_PASSIVE_REPLY_SECONDS)
    with handoff.lock:
        if handoff.result is None and not handoff.failed:
            handoff.deferred = True
            return None
    handoff.done.wait()  # the result is in; its transaction is committing
    if handoff.failed:
        raise InboundFailed(msg_id)
    return handoff.result.answer


def join_answer_threads(timeout: float = 10.0) -> None:
    """Wait for the answers still being worked out (tests; a graceful stop)."""
    for thread in list(_threads):
        thread.join(timeout)


def _kf_customer_text(item: dict) -> tuple[str, str, str] | None:
    """(external_userid, text, msgid) of a customer's text message, else None."""
    if item.get("origin") != ORIGIN_CUSTOMER or item.get("msgtype") != "text":
        return None
    text = ((item.get("text") or {}).get("content") or "").strip()
    if not text or not item.get("external_userid") or not item.get("msgid"):
        return None
    return item["external_userid"], text, item["msgid"]


def _kf_inbound(*, open_kfid: str, item: dict) -> None:
    found = _kf_customer_text(item)
    if found is None:
        return
    external_userid, text, msgid = found
    try:
        with transaction.atomic():
            result = do_channel_inbound(
                via=Via.KF,
                account=open_kfid,
                external_id=external_userid,
                body=text,
                external_msg_id=msgid,
            )
            if result.answer:
                do_outbound_queue(
                    key=f"answer:{Via.KF}:{open_kfid}:{msgid}",
                    via=Via.KF,
                    account=open_kfid,
                    touser=external_userid,
                    body=result.answer,
                    ticket_id=result.ticket_id,
                )
    except DomainError as error:
        # One message the conversation refuses must not hold up the rest behind it.
        logger.warning("微信客服 message %s skipped: %s", msgid, error.message)


def do_kf_sync(*, open_kfid: str, token: str = "") -> int:
    """Fetch what is new for one 微信客服 account from the stored cursor, page by page while
    WeCom has more, each page and its cursor in one transaction (a failure re-fetches the
    page; messages are taken once by their msgid). Returns how many items were read."""
    account = kf_account()
    if account is None:
        raise client.NotConfigured("微信客服")
    seen = 0
    while True:
        with transaction.atomic():
            WecomKfCursor.objects.get_or_create(corp_id=account.corp_id, open_kfid=open_kfid)
            # Locked for the page: two syncs of one account take turns, each from the
            # cursor the other left.
            cursor = WecomKfCursor.objects.select_for_update().get(
                corp_id=account.corp_id, open_kfid=open_kfid
            )
            page = client.kf_sync_msg(token=token, cursor=cursor.cursor, open_kfid=open_kfid)
            items = page.get("msg_list") or []
            for item in items:
                if item.get("open_kfid", open_kfid) == open_kfid:
                    _kf_inbound(open_kfid=open_kfid, item=item)
            seen += len(items)
            if page.get("next_cursor"):
                cursor.cursor = page["next_cursor"]
                cursor.save(update_fields=["cursor", "updated_at"])
        if not page.get("has_more") or not page.get("next_cursor"):
            return seen
