"""The public endpoints' rate limits (core.ratelimit): per client, in all, and the
proof-of-work that lets a client over its own limit go on, once per solved challenge."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from huitou.core.ratelimit import (
    RateLimited,
    check_rate_limit,
    client_key,
    pow_valid,
    rate_limited,
    solve_challenge,
)

# Day-long windows: a test never straddles a window's end and sees its counter reset.
LIMITS = {"demo": ("3/d", "10/d")}
factory = RequestFactory()


def post(ip="203.0.113.5", data=None, **headers):
    return factory.post("/demo/", data or {}, REMOTE_ADDR=ip, **headers)


def over_limit(request, group="demo") -> RateLimited:
    with pytest.raises(RateLimited) as raised:
        check_rate_limit(request, group)
    return raised.value


@override_settings(HUITOU_RATE_LIMITS=LIMITS)
def test_a_client_is_stopped_at_its_limit_with_a_challenge_and_a_retry_time():
    for _ in range(3):
        check_rate_limit(post(), "demo")
    limited = over_limit(post())
    assert limited.scope == "client" and limited.retry_after >= 1
    assert limited.challenge["difficulty"] >= 1 and limited.challenge["algorithm"] == "sha256"
    check_rate_limit(post(ip="198.51.100.7"), "demo")  # another client is not affected


@override_settings(HUITOU_RATE_LIMITS=LIMITS)
def test_the_global_limit_holds_across_clients_and_has_no_way_round():
    for n in range(10):
        check_rate_limit(post(ip=f"198.51.100.{n}"), "demo")
    limited = over_limit(post(ip="198.51.100.200"))
    assert limited.scope == "global" and limited.challenge is None
    # A client that solved a challenge still meets the global limit.
    for _ in range(3):
        with pytest.raises(RateLimited):
            check_rate_limit(post(), "demo")
    challenge = over_limit(post()).challenge
    solved = post(
        data={"pow_challenge": challenge["challenge"],
              "pow_solution": solve_challenge(challenge["challenge"], challenge["difficulty"])}
    )  # fmt: skip
    assert over_limit(solved).scope == "global"


@override_settings(HUITOU_RATE_LIMITS=LIMITS, HUITOU_POW_DIFFICULTY=8)
def test_a_solved_challenge_lets_one_request_through_and_cannot_be_replayed():
    for _ in range(3):
        check_rate_limit(post(), "demo")
    challenge = over_limit(post()).challenge
    token, difficulty = challenge["challenge"], challenge["difficulty"]
    solution = solve_challenge(token, difficulty)
    wrong = next(str(n) for n in range(10_000) if not pow_valid(token, str(n), difficulty))
    assert over_limit(post(data={"pow_challenge": token, "pow_solution": wrong}))
    headers = {"HTTP_X_HUITOU_POW_CHALLENGE": token, "HTTP_X_HUITOU_POW_SOLUTION": solution}
    check_rate_limit(post(**headers), "demo")  # passes
    assert over_limit(post(**headers)).scope == "client"  # single use
    # A challenge issued to one client does not help another.
    check_rate_limit(post(ip="198.51.100.9"), "demo")
    for _ in range(2):
        check_rate_limit(post(ip="198.51.100.9"), "demo")
    fresh = over_limit(post()).challenge["challenge"]
    other = {"pow_challenge": fresh, "pow_solution": solve_challenge(fresh, difficulty)}
    assert over_limit(post(ip="198.51.100.9", data=other))


@override_settings(HUITOU_RATE_LIMITS=LIMITS, HUITOU_POW_DIFFICULTY=8, HUITOU_POW_MAX_AGE=-1)
def test_an_expired_challenge_is_refused():
    for _ in range(3):
        check_rate_limit(post(), "demo")
    token = over_limit(post()).challenge["challenge"]
    solved = {"pow_challenge": token, "pow_solution": solve_challenge(token, 8)}
    assert over_limit(post(data=solved)).scope == "client"


@override_settings(HUITOU_RATE_LIMITS=LIMITS)
def test_the_client_is_the_remote_address_unless_a_trusted_proxy_header_is_configured():
    forged = post(ip="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_X_REAL_IP="5.6.7.8")
    assert client_key(forged) == "10.0.0.1"
    with override_settings(HUITOU_RATE_LIMIT_CLIENT_HEADER="HTTP_X_REAL_IP"):
        assert client_key(forged) == "5.6.7.8"
        assert client_key(post(ip="10.0.0.1")) == "10.0.0.1"  # header missing


@override_settings(HUITOU_RATE_LIMITS=LIMITS)
def test_the_api_answers_429_json_with_retry_after():
    @rate_limited("demo", api=True)
    def operation(request):
        return HttpResponse("ok")

    for _ in range(3):
        assert operation(post()).status_code == 200
    response = operation(post())
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    body = json.loads(response.content)
    assert body["detail"] and body["challenge"]["challenge"]
    assert operation(factory.get("/demo/", REMOTE_ADDR="203.0.113.5")).status_code == 200


@pytest.mark.django_db
@override_settings(HUITOU_RATE_LIMITS=LIMITS)
def test_the_ui_answers_a_429_page_that_resends_the_form_with_the_solution():
    @rate_limited("demo")
    def view(request):
        return HttpResponse("ok")

    for _ in range(3):
        view(post(data={"question": "x"}))
    request = post(data={"question": "发票<怎么开>", "csrfmiddlewaretoken": "old"})
    request.user = AnonymousUser()
    response = view(request)
    page = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert 'id="pow-form"' in page and 'name="pow_solution"' in page and "huitou/pow.js" in page
    assert 'name="question" value="发票&lt;怎么开&gt;"' in page
    assert 'value="old"' not in page  # a fresh CSRF token, not the one posted


def test_rates_come_from_the_environment_and_a_bad_one_is_refused(monkeypatch):
    from huitou.config.settings.base import rate_pair

    monkeypatch.setenv("HUITOU_RATE_LIMIT_DEMO", "10/m, 500/h")
    assert rate_pair("HUITOU_RATE_LIMIT_DEMO", ("5/m", "300/h")) == ("10/m", "500/h")
    monkeypatch.setenv("HUITOU_RATE_LIMIT_DEMO", "2/10s")  # per client; the global default
    assert rate_pair("HUITOU_RATE_LIMIT_DEMO", ("5/m", "300/h")) == ("2/10s", "300/h")
    monkeypatch.setenv("HUITOU_RATE_LIMIT_DEMO", "ten a minute")
    with pytest.raises(ValueError, match="HUITOU_RATE_LIMIT_DEMO"):
        rate_pair("HUITOU_RATE_LIMIT_DEMO", ("5/m", "300/h"))
