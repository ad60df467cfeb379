"""Settings are read strictly: a value we cannot understand stops the start with a message
naming the variable, rather than quietly meaning False or the default."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from huitou.config.settings import env

ROOT = Path(__file__).resolve().parents[1]


def start(settings: str, **variables: str) -> subprocess.CompletedProcess:
    """`django.setup()` in a fresh process, as `huitou` and gunicorn start."""
    # Not the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE: a deployment does not set it.
    outside = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {
        **outside,
        "DJANGO_SETTINGS_MODULE": f"huitou.config.settings.{settings}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "desk.example.com",
        "DEBUG": "",
        **variables,
    }
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.SESSION_COOKIE_SECURE, settings.EMAIL_USE_TLS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_misspelt_boolean_stops_production_naming_the_variable():
    result = start("prod", SECURE_COOKIES="ture")
    assert result.returncode != 0
    assert "SECURE_COOKIES='ture' is not a boolean" in result.stderr


def test_valid_booleans_still_start_production():
    result = start("prod", SECURE_COOKIES="Off", EMAIL_USE_TLS="YES")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_a_bad_number_stops_any_environment_naming_the_variable():
    result = start("test", HUITOU_OUTBOX_MAX_ATTEMPTS="10x")
    assert result.returncode != 0
    assert "HUITOU_OUTBOX_MAX_ATTEMPTS='10x'" in result.stderr


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" ON ", True),
        ("0", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
        ("", None),
    ],
)
def test_booleans_accept_the_usual_spellings_and_blank_means_the_default(monkeypatch, raw, value):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env.env_bool("SOME_FLAG", True) is (True if value is None else value)
    assert env.env_bool("SOME_FLAG", False) is (False if value is None else value)


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "y", "nope"])
def test_anything_else_is_not_a_boolean(monkeypatch, raw):
    monkeypatch.setenv("SOME_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=f"SOME_FLAG='{raw}'"):
        env.env_bool("SOME_FLAG", False)


def test_numbers_must_be_numbers_within_bounds(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", " 42 ")
    assert env.env_int("SOME_NUMBER", 1) == 42
    for raw in ["4.5", "ten", "-1", "1e3"]:
        monkeypatch.setenv("SOME_NUMBER", raw)
        with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
            env.env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.env_int("SOME_NUMBER", 1, minimum=1)
    monkeypatch.setenv("SOME_NUMBER", "2.5")
    assert env.env_float("SOME_NUMBER", 10.0) == 2.5
    for raw in ["0", "-3", "inf", "nan", "soon"]:
        monkeypatch.setenv("SOME_NUMBER", raw)
        with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
            env.env_float("SOME_NUMBER", 10.0)


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", " a.example.com, b.example.com ,")
    assert env.env_list("SOME_HOSTS", "") == ["a.example.com", "b.example.com"]
    monkeypatch.setenv("SOME_HOSTS", "a.example.com b.example.com")
    with pytest.raises(ImproperlyConfigured, match=r"SOME_HOSTS.*comma-separated"):
        env.env_list("SOME_HOSTS", "")
    monkeypatch.delenv("SOME_HOSTS")
    assert env.env_list("SOME_HOSTS", "127.0.0.1,localhost") == ["127.0.0.1", "localhost"]


def test_rates_time_zones_levels_and_addresses_are_checked(monkeypatch):
    checks = [
        (env.env_rate, "SOME_RATE", "3/h", "3/hour"),
        (env.env_time_zone, "SOME_ZONE", "Asia/Tokyo", "Asia/Shangai"),
        (env.env_url, "SOME_URL", "https://desk.example.com", "desk.example.com"),
    ]
    for parse, name, good, bad in checks:
        monkeypatch.setenv(name, good)
        assert parse(name, "x") == good
        monkeypatch.setenv(name, bad)
        with pytest.raises(ImproperlyConfigured, match=name):
            parse(name, "x")
    monkeypatch.setenv("SOME_LEVEL", "warning")
    assert env.env_choice("SOME_LEVEL", "INFO", ("INFO", "WARNING")) == "WARNING"
    monkeypatch.setenv("SOME_LEVEL", "verbose")
    with pytest.raises(ImproperlyConfigured, match="SOME_LEVEL='verbose' is not one of INFO"):
        env.env_choice("SOME_LEVEL", "INFO", ("INFO", "WARNING"))


def test_a_rate_pair_takes_one_or_two_rates(monkeypatch):
    monkeypatch.setenv("SOME_RATES", "5/m,300/h,9/d")
    with pytest.raises(ImproperlyConfigured, match="SOME_RATES"):
        env.rate_pair("SOME_RATES", ("5/m", "300/h"))
    monkeypatch.setenv("SOME_RATES", "")
    assert env.rate_pair("SOME_RATES", ("5/m", "300/h")) == ("5/m", "300/h")


def test_strings_are_kept_as_given_and_blank_means_the_default(monkeypatch):
    monkeypatch.setenv("SOME_PASSWORD", " pass word ")
    assert env.env_str("SOME_PASSWORD", "") == " pass word "
    monkeypatch.setenv("SOME_PASSWORD", "  ")
    assert env.env_str("SOME_PASSWORD", "fallback") == "fallback"


def test_a_bad_database_url_is_named_without_echoing_its_password():
    result = start("test", DATABASE_URL="postgress://desk:s3cret-pw@db.example.com/huitou")
    assert result.returncode != 0
    assert "DATABASE_URL is not a database address" in result.stderr
    assert "s3cret-pw" not in result.stderr
