"""Browser tests: Playwright (sync API) drives Debian's Chromium against the live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without it every test
in this folder is skipped at collection time, with the reason saying how to get it.
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from django.conf import settings
from django.test.utils import modify_settings
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# the test's own ORM calls (SynchronousOnlyOperation) once the browser has started.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = E2E_DIR.parents[1] / "test-artifacts"
TIMEOUT_MS = 10_000


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def flushes(item) -> bool:
    """Does this test run on a transactional database (and so flush it at the end)?"""
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    # The role walk loads the demo, which needs the rows the migrations seed; every test on a
    # transactional database flushes it when it ends, so the walk goes first among those.
    walks = [item for item in items if item.path.name == "test_role_walk.py"]
    rest = [item for item in items if item not in walks]
    first = next((i for i, item in enumerate(rest) if flushes(item)), len(rest))
    items[:] = rest[:first] + walks + rest[first:]
    if chromium_available():
        return
    skip = pytest.mark.skip(
        reason=(
            f"browser test needs Chromium at {CHROMIUM}: install Debian's chromium: "
            "apt-get install chromium; `make test` does this when run as root"
        )
    )
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, so `page` can screenshot failures."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class AsgiServer:
    """The ASGI application (pages and WebSockets) on a loopback port, in this process, as
    `huitou serve` runs it: uvicorn, the in-memory channel layer, the test database."""

    def __init__(self):
        # Imported when the first browser test starts: the ASGI app needs settings loaded.
        from huitou.config.asgi import application

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.url = f"http://localhost:{self.listener.getsockname()[1]}"
        config = uvicorn.Config(
            application, lifespan="off", log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.listener]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"
        # pytest-django's live-server helper turns this on for each test that uses it.
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": "localhost"})

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.listener.close()


@pytest.fixture(scope="session")
def _asgi_server():
    server = AsgiServer()
    yield server
    server.stop()


@pytest.fixture
def live_server(_asgi_server, transactional_db):
    """pytest-django's live server, but ASGI: the staff pages' WebSockets need it."""
    return _asgi_server


@pytest.fixture
def asgi_server(live_server) -> str:
    return live_server.url


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def broken_static() -> list[str]:
    """Static files the page asked for and did not get, as "404 /static/…" lines."""
    return []


@pytest.fixture
def page(request, browser, live_server, artifacts_dir, broken_static):
    """A fresh browser context (no cookies) speaking Simplified Chinese to the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    static_url = f"{live_server.url}{settings.STATIC_URL}"

    def check_static(response):
        if response.url.startswith(static_url) and response.status >= 400:  # 304 is fine
            line = f"{response.status} {response.url.removeprefix(live_server.url)}"
            if line not in broken_static:
                broken_static.append(line)

    page.on("response", check_static)
    try:
        yield page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            page.screenshot(path=artifacts_dir / f"{request.node.name}-failed.png", full_page=True)
    finally:
        context.close()
