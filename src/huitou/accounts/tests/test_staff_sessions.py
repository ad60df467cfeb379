"""Staff sessions end after a spell without activity and, at the latest, after a working day;
activity keeps them alive; the session cookie does not outlive them."""

import time

import pytest
from django.test import Client

from huitou.accounts.middleware import LAST_SEEN_KEY, STARTED_KEY
from huitou.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/tickets/"


def signed_in_client(**credentials) -> Client:
    client = Client()
    agent = UserFactory(role="agent", username="agent1")
    assert (
        client.post(
            "/accounts/login/", {"username": agent.username, "password": "test-password-123"}
        ).status_code
        == 302
    )
    return client


def shift(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_signing_in_stamps_the_session_and_caps_the_cookie(settings):
    client = signed_in_client()
    session = client.session
    assert abs(session[STARTED_KEY] - time.time()) < 60
    assert session.get_expiry_age() == settings.STAFF_SESSION_MAX_HOURS * 3600
    assert client.get(INBOX).status_code == 200


def test_an_idle_session_is_signed_out_with_a_message(settings):
    client = signed_in_client()
    shift(client, LAST_SEEN_KEY, settings.STAFF_IDLE_TIMEOUT_MINUTES * 60 + 5)
    response = client.get(INBOX, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "登录已超时" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_activity_keeps_the_session_alive(settings):
    client = signed_in_client()
    idle = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
    shift(client, LAST_SEEN_KEY, idle - 30)  # nearly idle, then a request
    assert client.get(INBOX).status_code == 200
    shift(client, LAST_SEEN_KEY, idle - 30)  # measured from that request, not the sign-in
    assert client.get(INBOX).status_code == 200


def test_a_session_ends_after_the_longest_shift_even_when_active(settings):
    client = signed_in_client()
    shift(client, STARTED_KEY, settings.STAFF_SESSION_MAX_HOURS * 3600 + 5)
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_idle_timeout_is_configurable(settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    client = signed_in_client()
    shift(client, LAST_SEEN_KEY, 5 * 60 + 5)
    assert client.get(INBOX).status_code == 302
