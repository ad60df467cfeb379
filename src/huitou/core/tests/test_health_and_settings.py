import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.core.models import WorkerHeartbeat
from huitou.core.services import do_worker_heartbeat
from huitou.core.tasks import worker_heartbeat


@pytest.mark.django_db
def test_healthz_fails_when_the_worker_never_reported(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["worker"] == "missing"


@pytest.mark.django_db
def test_healthz_is_ok_after_the_heartbeat_task_ran(client):
    worker_heartbeat()  # huey runs tasks eagerly in tests: this is the periodic task itself
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {**response.json(), "status": "ok", "worker": "ok"}


@pytest.mark.django_db
def test_healthz_reports_a_stale_worker(client):
    heartbeat = do_worker_heartbeat(name="worker@old")
    WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
        last_seen=timezone.now() - timedelta(minutes=10)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "stale"


STRONG_KEY = "q7Vd2-LmZx9RkT4pWb_8NcYs3HfJ6uAeGiO1tKlMvBnXyZw0QrSdEjCh"


def _import_prod_settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="huitou.config.settings.prod")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_default_secret_key():
    result = _import_prod_settings()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug_on():
    result = _import_prod_settings(SECRET_KEY=STRONG_KEY, DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = _import_prod_settings(SECRET_KEY=STRONG_KEY, DEBUG="0")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("zh-hans", "zh-hans"),
        ("zh_CN:zh", "zh-hans"),
        ("en_US:en", "en"),
        ("en", "en"),
        ("", "zh-hans"),
    ],
)
def test_language_variable_as_desktops_set_it(raw, code):
    from huitou.config.settings.base import language_code

    assert language_code(raw) == code


@pytest.mark.django_db
def test_healthz_does_not_leak_database_errors(client, monkeypatch):
    from huitou.core import selectors

    def broken_cursor():
        raise RuntimeError("connection to server at db.internal (10.0.0.5) failed")

    monkeypatch.setattr(selectors.connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "10.0.0.5" not in response.content.decode()
