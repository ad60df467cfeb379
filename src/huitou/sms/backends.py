"""Where text messages go, like Django's e-mail backends: ``SMS_BACKEND`` names one.

- ``ConsoleBackend`` (development): prints each message.
- ``LocmemBackend`` (tests): keeps them in ``backends.outbox``.
- ``HttpBackend``: POSTs JSON ``{"to", "text", "sender"}`` to ``SMS_HTTP_URL`` with
  ``Authorization: Bearer <SMS_HTTP_API_KEY>``; any 2xx is a send.
- ``AliyunBackend`` and ``TencentBackend``: the providers' official SDKs. They send only
  approved templates, by id, with the sign name SMS_SIGN_NAME; the text is never sent.

``send`` returns the provider's id for the message (Aliyun BizId, Tencent SerialNo, which
their delivery receipts name) or "" when there is none; a failure raises SmsError.
"""

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from alibabacloud_dysmsapi20170525 import models as aliyun_models
from alibabacloud_dysmsapi20170525.client import Client as AliyunClient
from alibabacloud_tea_openapi import models as aliyun_openapi
from django.conf import settings
from Tea.exceptions import TeaException
from tencentcloud.common import credential as tencent_credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tencent_models
from tencentcloud.sms.v20210111.sms_client import SmsClient as TencentClient

from .errors import SmsError

# What LocmemBackend sent, oldest first (like django.core.mail.outbox).
outbox: list["SmsMessage"] = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    # For template providers: their template id, and the values in the template's slot order.
    template_id: str = ""
    params: dict = field(default_factory=dict)
    param_names: tuple[str, ...] = ()

    def ordered_params(self) -> list[str]:
        return [str(self.params[name]) for name in self.param_names]


class BaseBackend:
    name = ""
    # The SmsTemplate field holding this provider's template id; None: the text is sent.
    template_field: str | None = None

    def send(self, message: SmsMessage) -> str | None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    name = "console"

    def send(self, message: SmsMessage) -> str:
        sys.stdout.write(f"SMS to {message.to}: {message.text}\n")
        sys.stdout.flush()
        return ""


class LocmemBackend(BaseBackend):
    name = "locmem"

    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        return ""


class HttpBackend(BaseBackend):
    name = "http"

    def __init__(self) -> None:
        self.url = settings.SMS_HTTP_URL
        self.api_key = settings.SMS_HTTP_API_KEY
        self.sender = settings.SMS_SENDER
        self.timeout = float(settings.SMS_HTTP_TIMEOUT)
        if not self.url.startswith(("https://", "http://")):
            raise SmsError("SMS_HTTP_URL must be an http(s) URL")

    def send(self, message: SmsMessage) -> str:
        body = json.dumps(
            {"to": message.to, "text": message.text, "sender": self.sender}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.api_key}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsError(f"SMS gateway answered {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise SmsError(f"SMS gateway unreachable: {error}") from error
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered {status}")
        return ""


def _require(**values: str) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SmsError(f"set {', '.join(missing)} to send through this SMS provider")


def _mainland(number: str) -> bool:
    return len(number) == 11 and number.startswith("1") and number.isdigit()


class AliyunBackend(BaseBackend):
    """Aliyun SMS (阿里云短信服务, dysmsapi 2017-05-25 SendSms)."""

    name = "aliyun"
    template_field = "aliyun_template_code"

    def __init__(self) -> None:
        _require(
            SMS_ALIYUN_ACCESS_KEY_ID=settings.SMS_ALIYUN_ACCESS_KEY_ID,
            SMS_ALIYUN_ACCESS_KEY_SECRET=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
            SMS_SIGN_NAME=settings.SMS_SIGN_NAME,
        )
        timeout_ms = int(settings.SMS_HTTP_TIMEOUT * 1000)
        self.client = AliyunClient(
            aliyun_openapi.Config(
                access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
                access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
                endpoint=settings.SMS_ALIYUN_ENDPOINT,
                protocol=settings.SMS_ALIYUN_PROTOCOL.lower(),
                connect_timeout=timeout_ms,
                read_timeout=timeout_ms,
            )
        )

    def send(self, message: SmsMessage) -> str:
        # Mainland numbers go bare; others with their country code and no "+".
        number = message.to if _mainland(message.to) else message.to.lstrip("+")
        request = aliyun_models.SendSmsRequest(
            phone_numbers=number,
            sign_name=settings.SMS_SIGN_NAME,
            template_code=message.template_id,
            template_param=json.dumps(
                dict(zip(message.param_names, message.ordered_params(), strict=True)),
                ensure_ascii=False,
            ),
        )
        try:
            response = self.client.send_sms(request)
        except TeaException as error:
            raise SmsError(f"Aliyun SMS refused: {error.code}: {error.message}") from error
        except OSError as error:
            raise SmsError(f"Aliyun SMS unreachable: {error}") from error
        body = response.body
        if body is None or body.code != "OK":
            code, text = (body.code, body.message) if body is not None else ("?", "no body")
            raise SmsError(f"Aliyun SMS refused: {code}: {text}")
        return body.biz_id or ""


class TencentBackend(BaseBackend):
    """Tencent Cloud SMS (腾讯云短信, sms 2021-01-11 SendSms)."""

    name = "tencent"
    template_field = "tencent_template_id"

    def __init__(self) -> None:
        _require(
            SMS_TENCENT_SECRET_ID=settings.SMS_TENCENT_SECRET_ID,
            SMS_TENCENT_SECRET_KEY=settings.SMS_TENCENT_SECRET_KEY,
            SMS_TENCENT_SDK_APP_ID=settings.SMS_TENCENT_SDK_APP_ID,
            SMS_SIGN_NAME=settings.SMS_SIGN_NAME,
        )
        profile = HttpProfile(
            endpoint=settings.SMS_TENCENT_ENDPOINT, reqTimeout=int(settings.SMS_HTTP_TIMEOUT)
        )
        profile.scheme = settings.SMS_TENCENT_SCHEME.lower()
        self.client = TencentClient(
            tencent_credential.Credential(
                settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY
            ),
            settings.SMS_TENCENT_REGION,
            ClientProfile(httpProfile=profile),
        )

    def send(self, message: SmsMessage) -> str:
        request = tencent_models.SendSmsRequest()
        # E.164: mainland numbers take +86.
        request.PhoneNumberSet = [
            f"+86{message.to}" if _mainland(message.to) else "+" + message.to.lstrip("+")
        ]
        request.SmsSdkAppId = settings.SMS_TENCENT_SDK_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = message.template_id
        request.TemplateParamSet = message.ordered_params()
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise SmsError(f"Tencent SMS refused: {error.code}: {error.message}") from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsError("Tencent SMS answered without a send status")
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsError(f"Tencent SMS refused: {status.Code}: {status.Message}")
        return status.SerialNo or ""
