"""The endpoints WeChat's servers call: /wechat/oa/ (公众号) and /wechat/kf/ (微信客服).

No sign-in and no CSRF token: each request is signed with the account's Token (and in safe
mode encrypted with its EncodingAESKey); anything else is refused with 403. An account that
is not configured answers 404."""

import logging

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .protocol import (
    MalformedMessage,
    SignatureError,
    decrypt_kf_body,
    decrypt_oa_body,
    kf_account,
    oa_account,
    parse_oa_message,
    render_oa_text_reply,
    verify_kf_url,
    verify_oa_url,
)
from .services import InboundFailed, do_oa_inbound, oa_action, welcome_text
from .tasks import kf_sync

logger = logging.getLogger(__name__)

KF_EVENT = "kf_msg_or_event"


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _success() -> HttpResponse:
    # "success" (or an empty body): WeChat shows nothing and does not resend.
    return _text("success")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oa_callback(request):
    account = oa_account()
    if account is None:
        raise Http404
    params = request.GET
    if request.method == "GET":
        try:
            echostr = verify_oa_url(
                account,
                signature=params.get("signature", ""),
                timestamp=params.get("timestamp", ""),
                nonce=params.get("nonce", ""),
                echostr=params.get("echostr", ""),
            )
        except SignatureError:
            return _text("forbidden", 403)
        return _text(echostr)
    try:
        xml, safe = decrypt_oa_body(account, request.body, params)
        message = parse_oa_message(xml)
    except SignatureError:
        return _text("forbidden", 403)
    except MalformedMessage:
        return _text("bad request", 400)
    if not message.source:
        return _text("bad request", 400)
    action = oa_action(message)
    answer = None
    if action.welcome:
        answer = welcome_text()
    elif action.body:
        try:
            answer = do_oa_inbound(
                app_id=account.app_id, openid=message.source, body=action.body, msg_id=action.msg_id
            )
        except InboundFailed:
            # Not stored: an error makes WeChat send the message again.
            return _text("error", 500)
    if not answer:
        return _success()
    reply = render_oa_text_reply(account, message, answer, safe=safe, nonce=params.get("nonce", ""))
    return HttpResponse(reply, content_type="application/xml; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def kf_callback(request):
    account = kf_account()
    if account is None:
        raise Http404
    params = request.GET
    signed = {
        "msg_signature": params.get("msg_signature", ""),
        "timestamp": params.get("timestamp", ""),
        "nonce": params.get("nonce", ""),
    }
    try:
        if request.method == "GET":
            return _text(verify_kf_url(account, echostr=params.get("echostr", ""), **signed))
        event = decrypt_kf_body(account, request.body, **signed)
    except SignatureError:
        return _text("forbidden", 403)
    except MalformedMessage:
        return _text("bad request", 400)
    if event.get("Event") == KF_EVENT and event.get("OpenKfId"):
        # Answered at once; the worker fetches the messages (WeCom waits 5 s at most).
        kf_sync(event["OpenKfId"], event.get("Token") or "")
    return _success()
