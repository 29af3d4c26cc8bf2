"""Helpers shared by the browser tests."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page

from tests.factories import PASSWORD

PHONE = {"width": 375, "height": 740}


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_menu(page: Page) -> None:
    """At phone width the navigation folds behind "Menu" (emotipal.js): open it before using a nav item."""
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def wait_until(page: Page, expression: str, arg: Any = None, timeout: float = 15.0) -> None:
    """Until the page's expression (which may return a promise: IndexedDB, caches) comes out true.

    Not page.wait_for_function: it takes a returned promise itself as the truthy answer, so an asynchronous
    condition would pass at once (microsoft/playwright#29132). page.evaluate waits for the promise.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        page.wait_for_timeout(100)


def queued_entries(page: Page) -> list[dict[str, Any]]:
    """Everything in this device's outbox (IndexedDB, static/js/outbox-store.js), every user's."""
    result: list[dict[str, Any]] = page.evaluate("window.EmotiPalOutboxStore.all()")
    return result


def wait_for_worker(page: Page) -> None:
    """The service worker is installed and active, so the next pages opened are kept for offline use."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


class Outage:
    """The live server answering 503 to everything, as a phone without signal would see nothing get through.
    Playwright applies its offline emulation and routes to a service worker only once the worker has
    started, and Background Sync starts a stopped worker: for a moment its send can reach the server. With
    this, that send is kept on the phone, as offline."""

    def __init__(self, live_server: Any) -> None:
        self.httpd = live_server.thread.httpd
        self.app = self.httpd.get_app()
        self.down = False
        self.httpd.set_app(self)

    @classmethod
    def of(cls, live_server: Any) -> Outage:
        existing = live_server.thread.httpd.get_app()
        return existing if isinstance(existing, cls) else cls(live_server)

    @classmethod
    def end(cls, live_server: Any) -> None:
        """The server as it was (after each browser test, so a test that failed offline leaves no outage)."""
        existing = live_server.thread.httpd.get_app()
        if isinstance(existing, cls):
            existing.httpd.set_app(existing.app)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.down:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "5")])
            return [b""]
        return self.app(environ, start_response)
