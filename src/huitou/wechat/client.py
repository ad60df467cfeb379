"""Calls to WeChat's HTTP APIs (公众号 api.weixin.qq.com, 企业微信 qyapi.weixin.qq.com) and
their access tokens.

A token is cached in WechatAccessToken and shared by every process. Fetching a new one
invalidates the old one at WeChat, so only one process may refresh: the refresh re-reads the
row under select_for_update inside a transaction (PostgreSQL: a row lock; SQLite: the
IMMEDIATE transaction takes the database's write lock) and fetches only if the row is still
stale. A process-wide lock keeps this process's threads from queueing on the database.
"""

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import WechatAccessToken
from .protocol import kf_account, oa_account

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# A cached token is used only while it has more than this left (WeChat's own advice).
TOKEN_MARGIN = timedelta(minutes=5)
# The token was refused (invalid, expired, or another process refreshed it): fetch anew.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})

_process_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_process_locks_guard = threading.Lock()


class WechatApiError(Exception):
    """WeChat answered with an errcode other than 0."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class TransientError(Exception):
    """The call did not get an answer (network, timeout, 5xx, "system busy"): try again."""


class NotConfigured(Exception):
    """The account this call needs is not set up."""


def _request(url: str, *, body: dict | None = None) -> dict:
    data = None
    headers = {}
    if body is not None:
        # ensure_ascii=False: WeChat shows \uXXXX escapes literally in some clients.
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(
        url, data=data, headers=headers, method="POST" if data else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise TransientError(f"HTTP {error.code}") from error
        raise WechatApiError(-error.code, f"HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise TransientError(str(error)) from error
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise TransientError("the answer is not JSON") from error
    errcode = int(answer.get("errcode") or 0)
    if errcode == -1:  # 系统繁忙: WeChat asks to retry
        raise TransientError(f"-1 {answer.get('errmsg', '')}")
    if errcode:
        raise WechatApiError(errcode, str(answer.get("errmsg", "")))
    return answer


def _url(base: str, path: str, **params: str) -> str:
    return f"{base.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"


def oa_key() -> str:
    account = oa_account()
    if account is None:
        raise NotConfigured("WECHAT_OA_APP_ID / WECHAT_OA_TOKEN")
    return f"oa:{account.app_id}"


def kf_key() -> str:
    account = kf_account()
    if account is None:
        raise NotConfigured("WECOM_CORP_ID / WECOM_KF_TOKEN / WECOM_KF_ENCODING_AES_KEY")
    return f"kf:{account.corp_id}"


def _fetch_token(key: str) -> tuple[str, int]:
    """(token, seconds it lives) from WeChat, for "oa:<appid>" or "kf:<corpid>"."""
    kind = key.split(":", 1)[0]
    if kind == "oa":
        account = oa_account()
        if account is None:
            raise NotConfigured(key)
        url = _url(
            settings.WECHAT_API_BASE,
            "/cgi-bin/token",
            grant_type="client_credential",
            appid=account.app_id,
            secret=account.app_secret,
        )
    elif kind == "kf":
        account = kf_account()
        if account is None:
            raise NotConfigured(key)
        url = _url(
            settings.WECOM_API_BASE,
            "/cgi-bin/gettoken",
            corpid=account.corp_id,
            corpsecret=account.secret,
        )
    else:
        raise NotConfigured(key)
    answer = _request(url)
    return str(answer["access_token"]), int(answer.get("expires_in") or 7200)


def _fresh(row: WechatAccessToken | None, now: datetime) -> bool:
    return bool(row and row.token and row.expires_at and row.expires_at > now + TOKEN_MARGIN)


def _process_lock(key: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks[key]


def access_token(key: str, *, stale: str = "") -> str:
    """The cached token for `key` while it has more than TOKEN_MARGIN left; else one process
    fetches a new one and every other waits for it and uses it. `stale` is a token WeChat
    just refused: it counts as expired (unless another process has replaced it already)."""
    now = timezone.now()
    row = WechatAccessToken.objects.filter(key=key).first()
    if _fresh(row, now) and row.token != stale:
        return row.token
    with _process_lock(key), transaction.atomic():
        WechatAccessToken.objects.get_or_create(key=key)
        row = WechatAccessToken.objects.select_for_update().get(key=key)
        # Re-checked under the lock: whoever held it before us may have refreshed it.
        if _fresh(row, timezone.now()) and row.token != stale:
            return row.token
        token, lifetime = _fetch_token(key)
        row.token = token
        row.expires_at = timezone.now() + timedelta(seconds=lifetime)
        row.save(update_fields=["token", "expires_at", "updated_at"])
        logger.info("wechat access token %s refreshed", key)
        return token


def call(key: str, base: str, path: str, body: dict) -> dict:
    """POST `body` to an API that takes ?access_token=; a refused token is refreshed and the
    call tried once more."""
    token = access_token(key)
    try:
        return _request(_url(base, path, access_token=token), body=body)
    except WechatApiError as error:
        if error.errcode not in TOKEN_ERRORS:
            raise
        logger.warning("wechat token %s refused (%s): refreshing once", key, error.errcode)
    token = access_token(key, stale=token)
    return _request(_url(base, path, access_token=token), body=body)


def oa_custom_send(*, touser: str, content: str) -> dict:
    """公众号 customer-service message (客服消息), text."""
    return call(
        oa_key(),
        settings.WECHAT_API_BASE,
        "/cgi-bin/message/custom/send",
        {"touser": touser, "msgtype": "text", "text": {"content": content}},
    )


def kf_send_msg(*, touser: str, open_kfid: str, content: str) -> dict:
    """微信客服 message to a customer (external_userid), text."""
    return call(
        kf_key(),
        settings.WECOM_API_BASE,
        "/cgi-bin/kf/send_msg",
        {"touser": touser, "open_kfid": open_kfid, "msgtype": "text", "text": {"content": content}},
    )


def kf_sync_msg(*, token: str, cursor: str, open_kfid: str, limit: int = 1000) -> dict:
    """One page of 微信客服 messages after `cursor`; `token` is the callback's (it lets the
    first call after a callback through WeCom's rate limit)."""
    body = {"cursor": cursor, "token": token, "limit": limit, "open_kfid": open_kfid}
    if not cursor:
        body.pop("cursor")
    if not token:
        body.pop("token")
    return call(kf_key(), settings.WECOM_API_BASE, "/cgi-bin/kf/sync_msg", body)
