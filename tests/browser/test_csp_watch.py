"""The Content-Security-Policy holds in a real browser: an inline script injected into a page is blocked and
the watcher in conftest.py (which fails every browser test whose pages log a violation) hears it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser_helpers import log_in
from tests.factories import build_world


def test_an_injected_inline_script_is_blocked_and_reported(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.injected = true";
        document.body.appendChild(s); const d = document.createElement("div"); d.setAttribute("style", "color: red");
        document.body.appendChild(d); }"""
    )
    for _ in range(40):  # the violation events are dispatched after the task that caused them
        if len(browser.violations) >= 2:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.injected === undefined")
    heard = list(browser.violations)
    browser.violations.clear()  # heard on purpose: the autouse check must not fail this test
    context.close()
    assert any("script-src" in v for v in heard), heard
    assert any("style-src" in v for v in heard), heard


def test_the_api_docs_draw_under_the_policy(transactional_db: Any, live_server: Any, browser: Any) -> None:
    # Swagger UI is vendored (ninja's static files) and its settings are a JSON block: it draws with no
    # violation (the autouse check fails this test otherwise) and with nothing from the internet.
    world = build_world()
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url))
    log_in(page, live_server.url, world.therapist.email)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert outside == []
    context.close()
