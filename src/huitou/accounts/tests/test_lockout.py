"""Repeated failed sign-ins and bearer-token guesses lock the client out (django-axes), with a
clear 429 page or JSON and Retry-After; admins see the attempts and can lift a lock."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings

from huitou.accounts.lockout import API_TOKEN_USERNAME, client_ip
from huitou.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "test-password-123"  # the factories' password
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


def sign_in(client, username, password, *, address=ATTACKER, url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, *, address=ATTACKER, url=LOGIN):
    return [
        sign_in(client, username, "wrong-guess", address=address, url=url) for _ in range(times)
    ]


def test_five_wrong_passwords_lock_the_username_with_a_clear_429_page(client, settings):
    agent = UserFactory(role="agent")
    first_four = fail(client, agent.username, 4)
    assert [r.status_code for r in first_four] == [200] * 4  # the form with its error
    locked = fail(client, agent.username, 1)[0]
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    page = locked.content.decode()
    assert "登录已暂时锁定" in page and "15 分钟后再试" in page
    # Now even the right password is refused, and nobody is signed in.
    response = sign_in(client, agent.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username=agent.username)
    assert attempt.ip_address == ATTACKER and attempt.failures_since_start == 5


def test_a_stranger_cannot_lock_a_colleague_out_from_elsewhere(client):
    agent = UserFactory(role="agent")
    fail(client, agent.username, 6)
    response = sign_in(Client(), agent.username, PASSWORD, address=COLLEAGUE)
    assert response.status_code == 302  # signed in from the colleague's own desk


def test_case_variants_of_a_username_count_as_one(client):
    UserFactory(role="agent", username="chenjing")
    for variant in ["CHENJING", "ChenJing", "chenJING", "Chenjing "]:
        fail(client, variant, 1)
    assert fail(client, "chenjing", 1)[0].status_code == 429


def test_an_address_trying_many_usernames_is_locked_for_all(client, settings):
    agent = UserFactory(role="agent")
    for n in range(settings.HUITOU_IP_FAILURE_LIMIT):
        assert fail(client, f"guess{n}", 1)[0].status_code in (200, 429)
    response = sign_in(client, agent.username, PASSWORD)
    assert response.status_code == 429
    assert sign_in(Client(), agent.username, PASSWORD, address=COLLEAGUE).status_code == 302


def test_a_successful_sign_in_clears_the_failures(client):
    agent = UserFactory(role="agent")
    fail(client, agent.username, 4)
    assert sign_in(client, agent.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=agent.username).exists()
    client.logout()
    assert [r.status_code for r in fail(client, agent.username, 4)] == [200] * 4


def test_the_lock_lifts_after_the_cool_off(client, settings):
    agent = UserFactory(role="agent")
    fail(client, agent.username, 5)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    assert sign_in(client, agent.username, PASSWORD).status_code == 302


def test_further_attempts_during_a_lock_do_not_extend_it(client):
    agent = UserFactory(role="agent")
    fail(client, agent.username, 5)
    before = AccessAttempt.objects.get()
    fail(client, agent.username, 3)
    after = AccessAttempt.objects.get()
    assert (after.failures_since_start, after.attempt_time) == (5, before.attempt_time)


def test_the_admin_login_is_locked_too_and_admins_see_and_lift_the_lock(client):
    admin = UserFactory(role="admin", username="root")
    fail(client, "root", 4, url=ADMIN_LOGIN)
    locked = fail(client, "root", 1, url=ADMIN_LOGIN)[0]
    assert locked.status_code == 429 and "Retry-After" in locked
    assert sign_in(client, "root", PASSWORD, url=ADMIN_LOGIN).status_code == 429

    other_admin = UserFactory(role="admin")
    viewer = Client()
    viewer.force_login(other_admin)
    listing = viewer.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "root" in listing.content.decode() and ATTACKER in listing.content.decode()

    out = io.StringIO()
    call_command("axes_reset_username", "root", stdout=out)
    assert sign_in(client, "root", PASSWORD, url=ADMIN_LOGIN).status_code == 302
    assert admin.pk == int(client.session["_auth_user_id"])


def test_axes_reset_lifts_every_lock(client):
    agent = UserFactory(role="agent")
    fail(client, agent.username, 5)
    call_command("axes_reset", stdout=io.StringIO())
    assert sign_in(client, agent.username, PASSWORD).status_code == 302


def api_get(token, *, address=ATTACKER):
    return Client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=address
    )


def test_guessing_bearer_tokens_locks_the_address_with_429_json(api_as, settings):
    limit = settings.HUITOU_API_TOKEN_FAILURE_LIMIT
    responses = [api_get(f"ht_guess{n}") for n in range(limit)]
    assert [r.status_code for r in responses[:-1]] == [401] * (limit - 1)
    locked = responses[-1]
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert "认证失败次数过多" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert AccessAttempt.objects.get(username=API_TOKEN_USERNAME).ip_address == ATTACKER

    # The locked address is refused even with a good token; other addresses are not.
    user = UserFactory(role="agent")
    from huitou.accounts.services import do_token_create

    _token, raw = do_token_create(user=user)
    assert api_get(raw).status_code == 429
    assert api_get(raw, address=COLLEAGUE).status_code == 200


def test_bad_tokens_do_not_lock_the_sign_in_page(client, settings):
    agent = UserFactory(role="agent")
    for n in range(settings.HUITOU_API_TOKEN_FAILURE_LIMIT + settings.HUITOU_IP_FAILURE_LIMIT):
        api_get(f"ht_guess{n}")
    assert sign_in(client, agent.username, PASSWORD).status_code == 302


def test_a_good_token_is_not_counted_as_a_failure(api_as):
    client = api_as(UserFactory(role="agent"))
    for _ in range(15):
        assert client.get("me").status_code == 200
    assert not AccessAttempt.objects.exists()


class FakeRequest:
    def __init__(self, **meta):
        self.META = meta


def test_the_client_address_ignores_forwarded_for_unless_a_proxy_is_trusted():
    request = FakeRequest(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        # The right-most entry is the one our proxy added; a client can only prepend.
        assert client_ip(request) == "203.0.113.9"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_ip(request) == "1.2.3.4"
    with override_settings(TRUSTED_PROXY_COUNT=3):
        assert client_ip(request) == "10.0.0.2"  # fewer hops than proxies: not believed
