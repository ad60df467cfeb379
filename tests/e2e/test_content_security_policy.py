"""The Content-Security-Policy holds in the browser: our pages, the Django admin, the API docs
and the help centre run under it without a single violation, and inline code is refused."""

from playwright.sync_api import expect

from huitou.accounts.services import do_user_create
from huitou.customers.services import do_customer_create

PASSWORD = "csp-password-123"

PAGES = [
    "/tickets/",
    "/tickets/new/phone/",
    "/customers/",
    "/customers/tiers/",  # ECharts
    "/complaints/",
    "/complaints/analysis/",  # ECharts
    "/sla/",
    "/kb/analytics/",
    "/notifications/",
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/axes/accessattempt/",
]


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and "Content Security Policy" in msg.text
            and problems.append(f"{page.url}: {msg.text}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
    return problems


def test_staff_pages_admin_and_api_docs_run_without_csp_violations(page):
    admin = do_user_create(username="admin1", password=PASSWORD, role="admin", full_name="周建华")
    customer = do_customer_create(actor=admin, name="周建国", phone="13800138000", tier="A")
    problems = watch(page)

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("admin1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="工单收件箱")).to_be_visible()

    for path in [*PAGES, f"/customers/{customer.pk}/"]:
        response = page.goto(path)
        assert response.status < 400, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible()  # the API docs rendered
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_the_help_centre_and_the_chat_widget_run_without_csp_violations(page):
    problems = watch(page)
    page.goto("/help/")
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_inline_script_is_refused_by_the_browser(page):
    problems = watch(page)
    page.goto("/accounts/login/")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.injected = true'; document.body.appendChild(s); }"""
    )
    assert page.evaluate("() => window.injected === undefined")
    assert any("script-src 'self'" in line for line in problems), problems


def test_a_locked_out_sign_in_shows_the_lockout_page(page, settings):
    do_user_create(username="agent9", password=PASSWORD, role="agent", full_name="李娜")
    problems = watch(page)
    for _ in range(settings.HUITOU_LOGIN_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill("agent9")
        page.get_by_label("密码").fill("not-the-password")
        page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="登录已暂时锁定")).to_be_visible()
    expect(page.locator("#locked-out")).to_contain_text("15 分钟后再试")
    assert problems == []
