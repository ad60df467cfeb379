"""`huitou token revoke` takes the prefix `token list` shows, or the whole token."""

import io

import pytest
from django.core.management import CommandError, call_command

from huitou.accounts.models import ApiToken
from huitou.accounts.services import do_token_create
from huitou.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def revoke(text: str) -> str:
    out = io.StringIO()
    call_command("token", "revoke", text, stdout=out)
    return out.getvalue()


def test_revoke_accepts_the_whole_token(api_as):
    user = UserFactory(role="agent")
    token, raw = do_token_create(user=user)
    assert len(raw) > len(token.key_prefix)
    assert f"revoked {token.key_prefix}" in revoke(raw)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoke_accepts_the_prefix_as_listed_with_its_ellipsis():
    token, _raw = do_token_create(user=UserFactory(role="agent"))
    listed = io.StringIO()
    call_command("token", "list", stdout=listed)
    shown = listed.getvalue().split("\t")[0]  # "ht_AbCdEfG…"
    revoke(shown)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoke_with_a_mistyped_whole_token_revokes_nothing():
    _token, raw = do_token_create(user=UserFactory(role="agent"))
    with pytest.raises(CommandError, match="whole token or its prefix"):
        revoke(raw[:-1] + ("A" if raw[-1] != "A" else "B"))
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_revoke_with_an_ambiguous_prefix_revokes_nothing():
    user = UserFactory(role="agent")
    do_token_create(user=user)
    do_token_create(user=user)
    with pytest.raises(CommandError, match="2 tokens match"):
        revoke("ht_")
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
