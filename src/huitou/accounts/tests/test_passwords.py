"""Weak passwords are refused wherever a password is set: the user service (and so the API),
the admin, and `huitou createsuperuser`; the demo's and the factories' passwords still pass."""

import io
import os

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from huitou.accounts.models import User
from huitou.accounts.services import do_user_create
from huitou.accounts.tests.factories import UserFactory
from huitou.core.errors import DomainError
from huitou.demo import phrases as ph
from huitou.demo.phrases import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

WEAK = [
    "12345678",
    "password",
    "aaaaaaaa",
    " " * 8,
    "1234567890",  # long enough, but only digits
    "password123",  # a common password
    "aaaaaaaaaaaa",  # one character over and over
    " " * 12,
    "abababababab",
    "short-1",
    "chenjing2024",  # too like the username
]


@pytest.mark.parametrize("password", WEAK)
def test_the_service_refuses_a_weak_password_naming_the_field(password):
    with pytest.raises(DomainError) as caught:
        do_user_create(username="chenjing2024", password=password, role="agent")
    assert caught.value.field == "password"
    assert not User.objects.filter(username="chenjing2024").exists()


def test_the_minimum_is_ten_characters():
    with pytest.raises(ValidationError) as caught:
        validate_password("Zq8#kLm2x")  # nine characters
    assert any("10" in message for message in caught.value.messages)
    validate_password("Zq8#kLm2xT")


def test_a_good_password_is_accepted():
    user = do_user_create(username="liuyang", password="晴天-lake-2931", role="agent")
    assert user.check_password("晴天-lake-2931")


@pytest.mark.parametrize("password", ["12345678", "password", " " * 10])
def test_the_api_refuses_a_weak_password_with_422_on_the_field(api_as, password):
    admin = UserFactory(role="admin")
    response = api_as(admin).post(
        "users", {"username": "newagent", "password": password, "role": "agent"}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"][-1] == "password"
    assert not User.objects.filter(username="newagent").exists()


def test_the_admin_refuses_a_weak_password_with_a_form_error():
    admin = Client()
    admin.force_login(UserFactory(role="admin"))
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "newagent",
            "usable_password": "true",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert not User.objects.filter(username="newagent").exists()


def test_the_admin_password_change_refuses_a_weak_password():
    target = UserFactory(role="agent")
    admin = Client()
    admin.force_login(UserFactory(role="admin"))
    response = admin.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": "aaaaaaaaaa", "password2": "aaaaaaaaaa", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    target.refresh_from_db()
    assert target.check_password("test-password-123")


def test_createsuperuser_noinput_refuses_a_weak_password(monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", "12345678")
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_EMAIL", "root@example.com")
    with pytest.raises(CommandError, match=r"too short|太短|common|常见"):
        call_command("createsuperuser", "--noinput", stdout=io.StringIO())
    assert not User.objects.filter(username="root").exists()


def test_changepassword_refuses_a_weak_password(monkeypatch):
    user = UserFactory(role="agent")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "password")
    with pytest.raises(CommandError):
        call_command("changepassword", user.username, stdout=io.StringIO())
    user.refresh_from_db()
    assert user.check_password("test-password-123")


def test_the_demo_password_passes_for_every_demo_user():
    for username, _role, _department, full_name in ph.DEMO_USERS:
        candidate = User(username=username, email=f"{username}@example.com")
        candidate.last_name, candidate.first_name = full_name[:1], full_name[1:]
        validate_password(DEMO_PASSWORD, candidate)


def test_the_factories_password_passes_the_validators():
    validate_password("test-password-123", User(username="user1"))
