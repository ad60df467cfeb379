"""The providers' delivery-receipt callbacks: POST JSON, ?token=HUITOU_SMS_RECEIPT_TOKEN."""

import json

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .receipts import BadReceipt, do_sms_receipts_record, parse_aliyun, parse_tencent

# Each provider's parser and its answers (success, failure with a message).
PROVIDERS = {
    "aliyun": (
        parse_aliyun,
        lambda: {"code": 0, "msg": "成功"},
        lambda problem: {"code": 1, "msg": problem},
    ),
    "tencent": (
        parse_tencent,
        lambda: {"result": 0, "errmsg": "OK"},
        lambda problem: {"result": 1, "errmsg": problem},
    ),
}


@csrf_exempt  # the provider posts it; the token is the authentication
@require_POST
def receipts(request, provider: str):
    expected = settings.HUITOU_SMS_RECEIPT_TOKEN
    if not expected or provider not in PROVIDERS:
        raise Http404
    parse, ok, failed = PROVIDERS[provider]
    if not constant_time_compare(request.GET.get("token", ""), expected):
        return JsonResponse(failed("bad token"), status=403)
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return JsonResponse(failed(f"body is not JSON: {error}"), status=400)
    try:
        found = parse(payload)
    except BadReceipt as error:
        return JsonResponse(failed(str(error)), status=400)
    do_sms_receipts_record(provider=provider, receipts=found)
    return JsonResponse(ok())
