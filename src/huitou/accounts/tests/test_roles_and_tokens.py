import io
import os

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from huitou.accounts.models import ApiToken, User
from huitou.accounts.roles import Role
from huitou.accounts.services import do_token_revoke
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory


@pytest.mark.django_db
def test_every_role_is_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("agent", ["tickets.add_ticket", "tickets.view_all_tickets"], ["tickets.assign_ticket"]),
        ("supervisor", ["tickets.assign_ticket", "accounts.view_user"], ["accounts.add_user"]),
        ("qa", ["tickets.view_all_tickets", "tickets.add_message"], ["tickets.change_ticket"]),
        ("handler", ["tickets.change_ticket"], ["tickets.view_all_tickets", "tickets.add_ticket"]),
        ("admin", ["accounts.add_user", "tickets.assign_ticket"], []),
    ],
)
def test_role_permissions(role, allowed, denied):
    user = UserFactory(role=role)
    assert user.role == role
    for perm in allowed:
        assert user.has_perm(perm), perm
    for perm in denied:
        assert not user.has_perm(perm), perm


@pytest.mark.django_db
def test_token_create_prints_the_token_as_last_line():
    user = UserFactory(role="agent")
    out = io.StringIO()
    call_command("token", "create", user.username, stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("ht_")
    token = ApiToken.objects.get(user=user)
    assert token.key_hash != raw  # only the hash is stored
    assert raw.startswith(token.key_prefix)


@pytest.mark.django_db
def test_token_create_for_unknown_user_fails():
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody", stdout=io.StringIO())


@pytest.mark.django_db
def test_bearer_token_authenticates_and_revoked_token_does_not(api_as):
    user = UserFactory(role="agent")
    client = api_as(user)
    assert client.get("me").status_code == 200
    assert client.get("me").json()["username"] == user.username
    do_token_revoke(token=ApiToken.objects.get(user=user))
    assert client.get("me").status_code == 401


@pytest.mark.django_db
def test_inactive_users_token_is_refused(api_as):
    user = UserFactory(role="agent")
    client = api_as(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("me").status_code == 401


@pytest.mark.django_db
def test_createsuperuser_noinput_uses_environment(monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", "root-password-1")
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_EMAIL", "root@example.com")
    call_command("createsuperuser", "--noinput", stdout=io.StringIO())
    root = User.objects.get(username="root")
    assert root.check_password("root-password-1")
    assert root.role == "admin"


@pytest.mark.django_db
def test_department_members():
    department = DepartmentFactory(name="售后服务部")
    handler = UserFactory(role="handler", department=department)
    assert list(department.members.all()) == [handler]


@pytest.mark.parametrize(
    ("full_name", "display"),
    [("李娜", "李娜"), ("欧阳娜娜", "欧阳娜娜"), ("John Smith", "John Smith"), ("", "u1")],
)
@pytest.mark.django_db
def test_display_name_keeps_the_name_order(full_name, display):
    user = UserFactory(username="u1", full_name=full_name)
    assert user.display_name == display


def test_compound_surnames_are_split_correctly():
    from huitou.accounts.services import split_full_name

    assert split_full_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_full_name("李娜") == ("李", "娜")
    assert split_full_name("诸葛") == ("诸", "葛")  # too short to be a compound surname + name
