"""The agent pages fit a phone (390 px) and a laptop (1440 px), in Chinese and in English.

Issue 11: at 390 px the inbox was 782 px wide and the menu a column of single characters; in
English the top bar wrapped at 1440 px; status badges broke mid-word (已关/闭); the complaint
classification form was one long column at the bottom of its panel.
Screenshots of every page checked go to test-artifacts/layout-*.png.
"""

from playwright.sync_api import expect

from huitou.accounts.services import do_department_create, do_user_create
from huitou.complaints.tests.factories import make_complaint
from huitou.customers.services import do_customer_create
from huitou.tickets.services import do_ticket_create, do_ticket_update

from .conftest import TIMEOUT_MS

PASSWORD = "layout-password-123"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}

# Everything measured in one go in the page: the numbers, and what is wrong with them.
MEASURE = """() => {
  const visible = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const lineHeight = (el) => {
    const style = getComputedStyle(el);
    return parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
  };
  const describe = (el) => {
    const text = el.textContent.trim().slice(0, 30);
    return `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${text}"`;
  };
  // The lines an element's text is set on: the distinct tops of its text's boxes.
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = [];
    for (const rect of range.getClientRects()) {
      const seen = tops.some((top) => Math.abs(top - rect.top) < lineHeight(el) / 2);
      if (rect.width > 0 && !seen) tops.push(rect.top);
    }
    return tops.length;
  };
  const wrapped = (el) => lines(el) > 1;

  const menu = [...document.querySelectorAll(".topbar nav a")].filter(visible);
  const narrowMenu = menu.filter(wrapped);  // a column of single characters is many lines

  const badges = [...document.querySelectorAll(
    ".status, .cstate, .sla, .tier, .count, .badge-major, .badge-overdue, .badge-ok",
  )].filter(visible);
  const wrappedBadges = badges.filter(wrapped);

  const bar = document.querySelector(".topbar");
  const barStyle = getComputedStyle(bar);
  const barContent = bar.getBoundingClientRect().height
    - parseFloat(barStyle.paddingTop) - parseFloat(barStyle.paddingBottom);
  const barItems = [
    bar.querySelector(".brand"), ...menu, ...bar.querySelectorAll(".topbar-right > *"),
  ].filter(visible);
  const middles = barItems.map((el) => {
    const r = el.getBoundingClientRect();
    return r.top + r.height / 2;
  });

  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    menuItems: menu.length,
    narrowMenu: narrowMenu.map(describe),
    badges: badges.length,
    wrappedBadges: wrappedBadges.map(describe),
    barLines: barContent / lineHeight(bar),
    wrappedBar: barItems.filter(wrapped).map(describe),
    barSpread: Math.max(...middles) - Math.min(...middles),
    barLineHeight: lineHeight(bar),
  };
}"""

CLASSIFICATION = """() => {
  const details = document.querySelector("details#classification");
  if (details) details.open = true;
  const form = document.querySelector("#action-classify");
  const fields = [...form.querySelectorAll(".field")];
  const lefts = new Set(fields.map((f) => Math.round(f.getBoundingClientRect().left)));
  const all = [...document.querySelectorAll("#complaint-panel form")];
  return {
    columns: lefts.size,
    fields: fields.length,
    position: all.indexOf(form),
    forms: all.length,
    height: form.getBoundingClientRect().height,
  };
}"""


def login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#inbox-table")).to_be_visible()


def english_page(browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", timezone_id="Asia/Shanghai", viewport=viewport
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def check(page, artifacts_dir, name: str, *, phone: bool) -> dict:
    page.wait_for_load_state("load")
    width = page.viewport_size["width"]
    lang = page.evaluate("document.documentElement.lang")
    page.screenshot(path=artifacts_dir / f"layout-{name}-{lang}-{width}.png", full_page=True)
    m = page.evaluate(MEASURE)
    where = f"{name} at {width} px ({lang})"
    assert m["scrollWidth"] <= m["innerWidth"], (
        f"{where}: the page is {m['scrollWidth']} px wide in a {m['innerWidth']} px window"
    )
    assert m["menuItems"] >= 4, f"{where}: the menu is missing ({m['menuItems']} links)"
    assert not m["narrowMenu"], f"{where}: menu items wrap into columns: {m['narrowMenu']}"
    assert m["badges"], f"{where}: no status badges on the page"
    assert not m["wrappedBadges"], f"{where}: badges break mid-word: {m['wrappedBadges']}"
    if not phone:  # one line: as tall as a line and its controls, everything side by side
        assert m["barLines"] < 2 and m["barSpread"] < m["barLineHeight"] and not m["wrappedBar"], (
            f"{where}: the top bar is not one line: {m['barLines']:.1f} lines tall, items "
            f"{m['barSpread']:.0f} px apart vertically, wrapped: {m['wrappedBar']}"
        )
    return m


def check_classification(page, *, min_columns: int) -> None:
    c = page.evaluate(CLASSIFICATION)
    assert c["fields"] == 19, c
    assert c["columns"] >= min_columns, (
        f"the classification form is {c['columns']} column(s) wide, {c['height']:.0f} px tall"
    )
    assert c["position"] == 0, (
        f"the classification form is form {c['position'] + 1} of {c['forms']} in the panel, "
        "not at its top"
    )


def test_agent_pages_fit_a_phone_and_a_laptop(page, browser, live_server, artifacts_dir):
    centre = do_department_create(name="客服中心")
    aftersales = do_department_create(name="售后服务部")
    agent = do_user_create(
        username="agent1", password=PASSWORD, role="agent", department=centre, full_name="陈静"
    )
    do_user_create(
        username="lead1",
        password=PASSWORD,
        role="supervisor",
        department=centre,
        full_name="刘海燕",
    )
    do_user_create(username="admin1", password=PASSWORD, role="admin", full_name="系统管理员")
    customer = do_customer_create(
        actor=agent, name="武汉银河连锁超市有限公司", phone="13800138000", kind="organization"
    )
    subjects = [
        "KFR-50LW/N8ZHA1 空调的尺寸和能效等级是多少，能否安装在阳台",
        "新买的洗衣机开箱有划痕，要求换货并上门取件",
        "维修师傅上门后乱收费，要求退还多收的费用",
    ]
    tickets = [
        do_ticket_create(
            actor=agent,
            customer=customer,
            channel="phone",
            type="consultation",
            subject=subject,
            description="客户来电咨询。",
            department=aftersales,
            assignee=agent,
        )
        for subject in subjects
    ]
    do_ticket_update(actor=agent, ticket=tickets[0], changes={"status": "closed"})
    complaint = make_complaint(actor=agent, customer=customer, subject="承诺的赠品一直没有收到")
    pages = {
        "inbox": "/",
        "ticket": f"/tickets/{tickets[0].pk}/",
        "complaint": f"/tickets/{complaint.pk}/",
    }

    # A phone, in Chinese and in English: nothing wider than the screen, the menu one line.
    page.set_viewport_size(PHONE)
    login(page, "agent1")
    for name, url in pages.items():
        page.goto(url)
        check(page, artifacts_dir, name, phone=True)
    check_classification(page, min_columns=2)
    context, en = english_page(browser, live_server, PHONE)
    try:
        login(en, "agent1")
        for name, url in pages.items():
            en.goto(url)
            check(en, artifacts_dir, name, phone=True)
    finally:
        context.close()

    # A laptop: the complaint panel's classification is a grid at its top.
    page.set_viewport_size(LAPTOP)
    for name, url in pages.items():
        page.goto(url)
        check(page, artifacts_dir, name, phone=False)
    check_classification(page, min_columns=4)

    # In English, with the longest menus a desk user gets, the top bar still fits one line.
    context, en = english_page(browser, live_server, LAPTOP)
    try:
        for username in ("lead1", "admin1"):
            login(en, username)
            for name, url in pages.items():
                en.goto(url)
                check(en, artifacts_dir, f"{name}-{username}", phone=False)
    finally:
        context.close()
