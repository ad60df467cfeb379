"""Lockouts after repeated failed sign-ins and bearer-token guesses (django-axes).

Axes records every failure (AccessAttempt, visible in the admin under 访问尝试) and refuses a
locked-out client before its password is even checked. The rules, all configurable:

- a username is locked for the *address* it failed from after AXES_FAILURE_LIMIT failures,
  so someone elsewhere cannot lock a colleague out of their own desk;
- an address is locked for every username after HUITOU_IP_FAILURE_LIMIT failures in all
  (one client trying many accounts);
- an address is locked for the API after HUITOU_API_TOKEN_FAILURE_LIMIT bad bearer tokens
  (counted apart from passwords, so a misconfigured integration does not lock the office out
  of the sign-in page).

A lock lasts AXES_COOLOFF_TIME after the last failure; `huitou axes_reset`,
`huitou axes_reset_ip ADDRESS` and `huitou axes_reset_username NAME` (or deleting the attempt in
the admin) lift it sooner.
"""

import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

# The "username" a bad bearer token is recorded under: token guesses count per address.
API_TOKEN_USERNAME = "[api-token]"


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
    address the outermost trusted proxy saw (X-Forwarded-For, counted from the right, so a
    client cannot choose its own address by sending the header)."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def attempted_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username tried, case-folded: AGENT1 and agent1 are the same account's failures."""
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "data", request.POST).get("username")
    name = (name or "").strip().lower()
    return name or None


def failure_limit(request: HttpRequest, credentials: dict | None = None) -> int:
    if attempted_username(request, credentials) == API_TOKEN_USERNAME:
        return settings.HUITOU_API_TOKEN_FAILURE_LIMIT
    return settings.HUITOU_LOGIN_FAILURE_LIMIT


def _recent_attempts(request: HttpRequest):
    return AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )


def address_failures(request: HttpRequest):
    """Recent password failures from this address, over every username."""
    return _recent_attempts(request).exclude(username=API_TOKEN_USERNAME)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the per-address limit over all usernames added to the
    per-(username, address) limit axes applies."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if attempted_username(request, credentials) == API_TOKEN_USERNAME:
            return failures
        total = address_failures(request).aggregate(n=Sum("failures_since_start"))["n"] or 0
        if total >= settings.HUITOU_IP_FAILURE_LIMIT:
            return max(failures, failure_limit(request, credentials))
        return failures


def retry_after_seconds(request: HttpRequest, credentials: dict | None = None) -> int:
    """Seconds until the lock on this client lifts (the last counted failure + cool-off)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    if get_client_username(request, credentials) == API_TOKEN_USERNAME:
        attempts = _recent_attempts(request).filter(username=API_TOKEN_USERNAME)
    else:
        # Locked for this username or for the whole address; the address's last failure is
        # the later of the two.
        attempts = address_failures(request)
    last = attempts.aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """429 with Retry-After: JSON for the API, the 登录已锁定 page for the sign-in forms."""
    if request.path.startswith("/api/"):
        credentials = {"username": API_TOKEN_USERNAME}
    seconds = retry_after_seconds(request, credentials)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("认证失败次数过多，请 %(seconds)s 秒后再试。") % {"seconds": seconds}},
            status=429,
        )
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"minutes": max(1, math.ceil(seconds / 60))},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response


def check_token_attempt_allowed(request: HttpRequest) -> bool:
    """False (and the request flagged, so it is answered 429) when this address has guessed
    too many bearer tokens."""
    if not settings.AXES_ENABLED:
        return True
    if AxesProxyHandler.is_allowed(request, {"username": API_TOKEN_USERNAME}):
        return True
    request.axes_locked_out = True
    return False


def record_token_failure(request: HttpRequest) -> None:
    """Count a bad bearer token against the client's address (and lock it at the limit)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": API_TOKEN_USERNAME}, request=request
    )
