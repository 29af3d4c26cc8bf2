"""The client's Today is installable (Chromium's own check), the worker keeps Today for offline use, and
logging out leaves nothing of it on the phone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser_helpers import PHONE, log_in, open_menu, wait_until
from tests.factories import build_world


def test_today_installs_works_offline_and_logout_clears_it(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, base, world.client_a.user.email)
    page.goto(f"{base}/today/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the worker, which keeps a copy
    wait_until(page, "caches.open('emotipal-pages').then(c => c.keys()).then(k => k.length > 0)")
    cdp = context.new_cdp_session(page)
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    # Playwright's contexts are off-the-record profiles, which Chromium never installs from; every other
    # check (manifest fields, icons, a worker controlling the page) must pass.
    assert [e for e in errors if e != "in-incognito"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")

    context.set_offline(True)
    page.goto(f"{base}/today/")
    expect(page.locator("nav")).to_contain_text("Today")
    context.set_offline(False)

    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("localStorage.length") == 0
    context.close()
