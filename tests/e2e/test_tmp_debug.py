def test_debug(page, live_server):
    seen = []
    page.on("response", lambda r: seen.append((r.status, r.url, r.headers.get("content-type"))))
    page.on("console", lambda m: seen.append(("console", m.text)))
    page.goto("/accounts/login/")
    page.wait_for_load_state("networkidle")
    for s in seen:
        print(s)
    print(page.evaluate("getComputedStyle(document.body).fontFamily + ' | ' + document.styleSheets.length + ' | ' + document.styleSheets[0].cssRules.length"))
