"""Rate limits for the public (no-login) endpoints, per client and per group, in the cache.

Counting is django-ratelimit's (fixed windows in Django's cache: Redis when REDIS_URL is
set, else the process's memory). Each group has two rates in ``HUITOU_RATE_LIMITS``::

    HUITOU_RATE_LIMITS = {"portal_ticket": ("5/m", "300/h"), ...}
    #                      group             per client  all clients together

A client is its IP address: ``REMOTE_ADDR``, or the header named by
``HUITOU_RATE_LIMIT_CLIENT_HEADER`` (e.g. ``HTTP_X_REAL_IP``) when a trusted proxy sets it.

Once a client is over its own limit it may go on only by solving a small proof-of-work
(hashcash: find ``solution`` such that sha256("<challenge>:<solution>") starts with
``difficulty`` zero bits). The 429 carries a signed, single-use, short-lived challenge;
``static/huitou/pow.js`` solves it in the browser. Over the global limit there is no way
round: a plain 429.

Use it in three ways::

    @rate_limited("portal_vote")              # a UI view: 429 page (with the challenge form)
    def view(request): ...

    @rate_limited("bot_ask", api=True)        # an API operation: 429 JSON {"detail": ...}
    def operation(request, payload): ...

    check_rate_limit(request, "bot_handoff")  # anywhere: raises RateLimited
    # ... and catch RateLimited → ``error.response(request, api=...)``.

Both responses carry ``Retry-After`` (seconds). A request that solves a challenge sends it
back as the form fields ``pow_challenge`` / ``pow_solution`` or the headers
``X-Huitou-PoW-Challenge`` / ``X-Huitou-PoW-Solution``.
"""

import functools
import hashlib
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

DEFAULT_RATE_LIMITS: dict[str, tuple[str, str]] = {
    "portal_ticket": ("5/m", "300/h"),
    "portal_vote": ("20/m", "2000/h"),
    "bot_ask": ("30/m", "3000/h"),
    "bot_handoff": ("5/m", "300/h"),
    "portal_code": ("5/m", "300/h"),  # sign-in / verification codes
}
POW_SALT = "huitou.core.ratelimit.pow"
POW_FORM_FIELDS = ("pow_challenge", "pow_solution")
POW_HEADERS = ("HTTP_X_HUITOU_POW_CHALLENGE", "HTTP_X_HUITOU_POW_SOLUTION")


@dataclass
class RateLimited(Exception):
    """The request is over a limit. `challenge` is set when a proof-of-work lets it through."""

    group: str
    scope: str  # "client" or "global"
    retry_after: int
    challenge: dict | None = field(default=None)

    def __post_init__(self):
        super().__init__(f"rate limit {self.group}/{self.scope}")

    @property
    def message(self) -> str:
        if self.scope == "global":
            return _("当前请求过多，请 %(seconds)d 秒后再试。") % {"seconds": self.retry_after}
        return _("您的请求过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": self.retry_after}

    def response(self, request: HttpRequest, *, api: bool = False) -> HttpResponse:
        """429 with Retry-After: JSON {"detail", "challenge"} for the API, else a page whose
        form re-sends the request once the browser has solved the challenge."""
        if api:
            body = {"detail": self.message}
            if self.challenge:
                body["challenge"] = self.challenge
            response = JsonResponse(body, status=429)
        else:
            resend = [
                (name, value)
                for name, values in request.POST.lists()
                if name not in (*POW_FORM_FIELDS, "csrfmiddlewaretoken")
                for value in values
            ]
            context = {"message": self.message, "challenge": self.challenge, "resend": resend}
            response = render(request, "429.html", context, status=429)
        response["Retry-After"] = str(max(1, self.retry_after))
        return response


def rates(group: str) -> tuple[str, str]:
    """(per client, global) rates of `group`, settings over the defaults."""
    configured = getattr(settings, "HUITOU_RATE_LIMITS", {}) or {}
    if group in configured:
        return tuple(configured[group])
    if group in DEFAULT_RATE_LIMITS:
        return DEFAULT_RATE_LIMITS[group]
    raise KeyError(f"no rate limit configured for {group!r}")


def client_key(request: HttpRequest) -> str:
    """Who the client is: its IP address, from the trusted proxy's header if configured."""
    header = getattr(settings, "HUITOU_RATE_LIMIT_CLIENT_HEADER", "") or "REMOTE_ADDR"
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or "unknown"
    return value.split(",")[0].strip() or "unknown"


def _usage(request: HttpRequest, group: str, rate: str, key: str) -> dict | None:
    return get_usage(
        request, group=f"huitou:{group}", key=lambda _group, _request: key, rate=rate,
        increment=True,
    )  # fmt: skip


def check_rate_limit(request: HttpRequest, group: str) -> None:
    """Count this request against `group`; raise RateLimited when it may not go on.

    Over the per-client rate the request passes only with a valid, unused solution to a
    challenge issued to this client for this group; otherwise RateLimited carries a new
    challenge. Requests let through count against the global rate, which has no way round."""
    client_rate, global_rate = rates(group)
    client = client_key(request)
    usage = _usage(request, group, client_rate, f"client:{client}")
    over = usage is not None and usage["should_limit"]
    if over and not _accept_solution(request, client=client):
        raise RateLimited(
            group=group,
            scope="client",
            retry_after=max(1, usage["time_left"]),
            challenge=issue_challenge(group=group, client=client),
        )
    usage = _usage(request, group, global_rate, "global")
    if usage is not None and usage["should_limit"]:
        raise RateLimited(group=group, scope="global", retry_after=max(1, usage["time_left"]))


def rate_limited(group: str, *, api: bool = False, methods: tuple[str, ...] = ("POST",)):
    """Decorator: rate-limit a view (or django-ninja operation) on `methods`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                try:
                    check_rate_limit(request, group)
                except RateLimited as limited:
                    return limited.response(request, api=api)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- proof of work -----------------------------------------------------------------------


def pow_difficulty() -> int:
    return int(getattr(settings, "HUITOU_POW_DIFFICULTY", 18))


def pow_max_age() -> int:
    return int(getattr(settings, "HUITOU_POW_MAX_AGE", 300))


def _client_digest(client: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client}".encode()).hexdigest()[:16]


def issue_challenge(*, group: str, client: str) -> dict:
    """A signed challenge for `client` in `group`: {"challenge", "difficulty", "algorithm"}."""
    difficulty = pow_difficulty()
    token = signing.dumps(
        {"g": group, "c": _client_digest(client), "n": secrets.token_hex(8), "d": difficulty},
        salt=POW_SALT,
        compress=False,
    )
    return {"challenge": token, "difficulty": difficulty, "algorithm": "sha256"}


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def pow_valid(challenge: str, solution: str, difficulty: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{solution}".encode()).digest()
    return leading_zero_bits(digest) >= difficulty


def solve_challenge(challenge: str, difficulty: int) -> str:
    """What the browser script does, for tests and scripted clients."""
    counter = 0
    while not pow_valid(challenge, str(counter), difficulty):
        counter += 1
    return str(counter)


def _submitted_solution(request: HttpRequest) -> tuple[str, str]:
    challenge = request.META.get(POW_HEADERS[0], "")
    solution = request.META.get(POW_HEADERS[1], "")
    if not challenge and request.method == "POST" and request.content_type != "application/json":
        challenge = request.POST.get(POW_FORM_FIELDS[0], "")
        solution = request.POST.get(POW_FORM_FIELDS[1], "")
    return challenge[:500], solution[:64]


def _accept_solution(request: HttpRequest, *, client: str) -> bool:
    """True once per challenge: signed by us, for this client, young, solved. One solved
    challenge lets its request past every per-client limit the request meets (a bot question
    that hands off meets two)."""
    if getattr(request, "_huitou_pow_passed", False):
        return True
    challenge, solution = _submitted_solution(request)
    if not challenge or not solution:
        return False
    try:
        data = signing.loads(challenge, salt=POW_SALT, max_age=pow_max_age())
    except signing.BadSignature:  # also SignatureExpired
        return False
    if not isinstance(data, dict) or data.get("c") != _client_digest(client):
        return False
    if not pow_valid(challenge, solution, int(data.get("d", pow_difficulty()))):
        return False
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    # add() is atomic: only the first request with this challenge gets through.
    if not cache.add(f"huitou:pow-used:{data.get('n')}", 1, timeout=pow_max_age() + 5):
        return False
    request._huitou_pow_passed = True
    return True
