"""Helpers shared by the browser tests."""

from __future__ import annotations

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


def queued_entries(page: Page) -> list[dict[str, Any]]:
    """Everything in this device's outbox (IndexedDB, static/js/outbox-store.js), every user's."""
    result: list[dict[str, Any]] = page.evaluate("window.EmotiPalOutboxStore.all()")
    return result


def wait_for_worker(page: Page) -> None:
    """The service worker is installed and active, so the next pages opened are kept for offline use."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
