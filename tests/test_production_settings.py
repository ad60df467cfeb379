"""Production settings: `check --deploy` is clean with a strong key, weak keys are refused,
HTTPS is enforced, and X-Forwarded-Proto is believed only from a trusted proxy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from huitou.config.keycheck import secret_key_problem
from huitou.config.settings.base import DEFAULT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = secrets.token_urlsafe(50)


def run_prod(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Not the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE: a deployment does not set it.
    outside = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        **outside,
        "DJANGO_SETTINGS_MODULE": "huitou.config.settings.prod",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "desk.example.com",
        "DEBUG": "",
        "TRUSTED_PROXY_COUNT": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def prod_setting(name: str, **env: str) -> str:
    result = run_prod(
        "-c", f"from django.conf import settings; print(repr(settings.{name}))", **env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_reports_no_issues():
    result = run_prod("-m", "huitou", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_is_enforced_and_hsts_configurable():
    assert prod_setting("SECURE_SSL_REDIRECT") == "True"
    assert prod_setting("SECURE_HSTS_SECONDS") == str(365 * 24 * 3600)
    assert prod_setting("SECURE_HSTS_INCLUDE_SUBDOMAINS") == "True"
    assert prod_setting("SECURE_HSTS_SECONDS", SECURE_HSTS_SECONDS="3600") == "3600"
    assert prod_setting("SECURE_HSTS_PRELOAD", SECURE_HSTS_PRELOAD="0") == "False"
    assert prod_setting("SECURE_SSL_REDIRECT", SECURE_SSL_REDIRECT="0") == "False"


def test_forwarded_proto_is_believed_only_behind_a_trusted_proxy():
    assert prod_setting("SECURE_PROXY_SSL_HEADER") == "None"
    assert prod_setting("SECURE_PROXY_SSL_HEADER", TRUSTED_PROXY_COUNT="1") == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )


@pytest.mark.parametrize(
    "key",
    [
        "",
        DEFAULT_SECRET_KEY,
        "short-but-random-Qx81L",
        "a" * 60,
        "abcdefghij" * 6,
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",  # a run, not random
        "Xq7Lm2Pz9Rt4K" * 4,  # one short phrase over and over
        "please-change-me-" + secrets.token_urlsafe(40),
    ],
)
def test_weak_secret_keys_are_refused(key):
    assert secret_key_problem(key, default=DEFAULT_SECRET_KEY)
    result = run_prod("-m", "huitou", "check", SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "make", [lambda: secrets.token_urlsafe(50), lambda: secrets.token_hex(32)], ids=["url", "hex"]
)
def test_random_keys_are_accepted(make):
    for _ in range(200):
        key = make()
        assert secret_key_problem(key, default=DEFAULT_SECRET_KEY) is None, key
