"""Test helpers: a real SMTP server on loopback and a real huey worker process that shares
the test database, for the tests that kill or stop the worker."""

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

WORKER_SETTINGS = "huitou.config.settings.dev"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """An aiosmtpd handler that keeps the Message-ID of every message it accepts (answers
    250). `on_data(n)` runs before it answers the n-th DATA (1-based) and may return an
    SMTP answer of its own, e.g. after killing the sender: that message is not accepted."""

    def __init__(self):
        self.accepted: list[str] = []
        self.attempts = 0
        self.lock = threading.Lock()
        self.on_data = None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            attempt = self.attempts
        if self.on_data is not None:
            answer = self.on_data(attempt)
            if answer:
                return answer
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.accepted.append(message["Message-ID"])
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.receiver = Receiver()
        self.port = free_port()
        self.controller = Controller(self.receiver, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def database_url() -> str:
    """The test database, as DATABASE_URL for another process."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    assert connection.vendor == "postgresql", connection.vendor
    from urllib.parse import quote

    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{config['NAME']}"


class Worker:
    """`huitou run_huey` as its own process, on the test database, its queue in `var_dir`,
    sending by SMTP to `smtp_port`."""

    def __init__(self, var_dir: Path, smtp_port: int, lease_seconds: int = 3, threads: int = 1):
        self.var_dir = var_dir
        self.threads = threads
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}},
            "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
            "DEBUG": "0",
            "DATABASE_URL": database_url(),
            "HUITOU_VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "10",
            "HUITOU_OUTBOX_LEASE_SECONDS": str(lease_seconds),
            "HUEY_SHUTDOWN_TIMEOUT": "20",
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> subprocess.Popen:
        self.starts += 1
        log = (self.var_dir / f"worker-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            # Poll the queue often: the test should not wait for huey's 10 s back-off.
            [
                sys.executable,
                "-m",
                "huitou",
                "run_huey",
                "--max-delay",
                "0.5",
                "-w",
                str(self.threads),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.process

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.var_dir.glob("worker-*.log"))
        )


def wait_until(predicate, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def use_queue_of(var_dir: Path, monkeypatch) -> None:
    """Make this (test) process enqueue into the worker's queue instead of running tasks
    eagerly, as the web process does in production."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(
        HUEY, "storage", SqliteStorage(name=HUEY.name, filename=str(var_dir / "huey.sqlite3"))
    )
