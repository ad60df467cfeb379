"""Every demo role walks the staff UI in the browser, following the links the pages show them.

Nothing may answer 5xx, no page may log a console error or throw, and a link shown to a role
must not lead to a page that refuses them (403): a page should offer only what its reader may do.
"""

import re
from urllib.parse import urljoin, urlparse

import pytest
from django.core.management import call_command
from django.utils import translation

from huitou.demo.phrases import DEMO_PASSWORD

# One demo user per role.
WALKERS = ["agent1", "supervisor", "qa", "manager", "handler_aftersales", "admin"]
PAGES_PER_ROLE = 45
START = ["/tickets/", "/customers/", "/complaints/", "/notifications/"]
# Not pages to walk: leaving (logout), files, the API docs, and the Django admin's own screens
# (its index stands for it).
SKIP = re.compile(
    r"^/(accounts/logout|api/|static/|i18n/|admin/.+)|/export\.|\.json$|format=(csv|xlsx)"
)


def shape(path: str) -> str:
    """/tickets/123/ and /tickets/456/ are the same page: walk one of each."""
    return re.sub(r"\d+", "N", path)


@pytest.fixture
def demo(transactional_db):
    with translation.override("zh-hans"):
        call_command("demo", "--scale", "0.1", stdout=open("/dev/null", "w"))  # noqa: SIM115


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form:has(input[name=username]) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def walk(page, base_url: str, username: str) -> tuple[list[str], int]:
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    log_in(page, username)
    queue = list(START)
    if username == "admin":
        queue.append("/admin/")
    seen: set[str] = set()
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        before = len(problems)
        response = page.goto(path)
        visited += 1
        status = response.status if response else 0
        if status >= 500 or status == 403:
            problems.append(f"{status}")
        problems[before:] = [f"{username} {path}: {line}" for line in problems[before:]]
        if status >= 400:
            continue
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            url = urlparse(urljoin(base_url + path, href))
            target = url.path + (f"?{url.query}" if url.query else "")
            if url.netloc != urlparse(base_url).netloc or SKIP.search(target):
                continue
            if shape(target) not in seen:
                queue.append(target)
    return problems, visited


def walk_as(browser, live_server, username: str, **context_options) -> tuple[list[str], int]:
    options = {"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}, **context_options}
    context = browser.new_context(base_url=live_server.url, **options)
    try:
        page = context.new_page()
        if options["locale"].startswith("en"):
            context.add_cookies(
                [{"name": "django_language", "value": "en", "url": live_server.url}]
            )
        return walk(page, live_server.url, username)
    finally:
        context.close()


def test_every_demo_role_walks_its_pages_without_errors(demo, browser, live_server):
    """One demo load for all the walks: it is the slow part."""
    problems = []
    for username in WALKERS:
        found, visited = walk_as(browser, live_server, username)
        problems += found
        assert visited >= 8, f"{username} reached only {visited} pages"
    # The second language at a phone's width.
    found, visited = walk_as(
        browser, live_server, "supervisor", locale="en-US", viewport={"width": 390, "height": 844}
    )
    problems += found
    assert problems == []
