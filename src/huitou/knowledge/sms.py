"""Sending text messages (短信), like Django's e-mail backends: ``SMS_BACKEND`` names one.

- ``huitou.knowledge.sms.ConsoleBackend`` (development): prints each message.
- ``huitou.knowledge.sms.LocmemBackend`` (tests): keeps them in ``sms.outbox``.
- ``huitou.knowledge.sms.HttpBackend``: POSTs JSON ``{"to", "text", "sender"}`` to
  ``SMS_HTTP_URL`` with ``Authorization: Bearer <SMS_HTTP_API_KEY>``; any 2xx is a send.
  A gateway with another shape takes a small subclass of this one.

A failed send raises SmsError; callers say so to the customer and keep nothing half-done.
"""

import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# What LocmemBackend sent, oldest first (like django.core.mail.outbox).
outbox: list["SmsMessage"] = []


class SmsError(Exception):
    """The message could not be handed to the gateway."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


class BaseBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"SMS to {message.to}: {message.text}\n")
        sys.stdout.flush()


class LocmemBackend(BaseBackend):
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class HttpBackend(BaseBackend):
    def __init__(self) -> None:
        self.url = getattr(settings, "SMS_HTTP_URL", "")
        self.api_key = getattr(settings, "SMS_HTTP_API_KEY", "")
        self.sender = getattr(settings, "SMS_SENDER", "")
        self.timeout = float(getattr(settings, "SMS_HTTP_TIMEOUT", 10))
        if not self.url.startswith(("https://", "http://")):
            raise SmsError("SMS_HTTP_URL must be an http(s) URL")

    def send(self, message: SmsMessage) -> None:
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


def get_backend() -> BaseBackend:
    path = getattr(settings, "SMS_BACKEND", "huitou.knowledge.sms.ConsoleBackend")
    return import_string(path)()


def send_sms(*, to: str, text: str) -> None:
    """Send one text message through the configured backend; SmsError when it fails."""
    message = SmsMessage(to=to, text=text)
    try:
        get_backend().send(message)
    except SmsError:
        logger.warning("SMS to %s**** not sent", to[:3], exc_info=True)
        raise
