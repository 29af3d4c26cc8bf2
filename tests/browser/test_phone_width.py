"""Every page of every kind of user fits a phone (375 px): the page itself never scrolls sideways. A data
table may scroll inside its own box (WCAG 1.4.10 allows it); the page around it may not.

The pages are the permission matrix's GET pages that the actor may open (200), in English; the accessibility
walks open the same pages with axe, the clients' at phone width and the staff's at desktop width. Actors who
see a subset of another's pages (client B, a clinician of another clinic, a researcher off the team) are
left to that other actor's walk.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.a11y_walk import PAGE_TIMEOUT_MS, matrix_objects, pages_of
from tests.browser_helpers import PHONE, log_in
from tests.test_permission_matrix import Objects, actor_user

__all__ = ["matrix_objects"]  # the fixture, used by name

WIDTHS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
ACTORS = ["client_a", "coach", "therapist", "colleague", "admin", "researcher", "statistician", "trainee"]


def sideways(page: Page) -> str | None:
    """How far the open page scrolls sideways, or None when it does not."""
    scroll, width = page.evaluate(WIDTHS)
    return f"{scroll} px wide on a {width} px screen" if scroll > width else None


@pytest.mark.parametrize("actor", ACTORS)
def test_no_page_scrolls_sideways_on_a_phone(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any, actor: str
) -> None:
    world, o = matrix_objects
    context = browser.new_context(viewport=PHONE, accept_downloads=False)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    log_in(page, live_server.url, actor_user(world, actor).email)
    checked, problems = 0, []
    for path in pages_of(actor, o):
        try:
            response = page.goto(live_server.url + path, wait_until="load")
        except PlaywrightError as exc:
            if "Download is starting" in str(exc):  # a calendar, CSV or PDF: no page to lay out
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        checked += 1
        if (found := sideways(page)) is not None:
            problems.append(f"{path}: {found}")
    context.close()
    assert checked > 3  # the walk really went through the matrix's pages
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_page_that_scrolls_sideways(browser: Any) -> None:
    page = browser.new_page(viewport=PHONE)
    page.set_content('<html><body><div style="width: 600px">wide</div></body></html>')
    assert sideways(page) is not None
    page.set_content(
        '<html><body><div style="overflow-x: auto"><table><tr><td style="width: 600px">w'
        "</td></tr></table></div></body></html>"
    )
    assert sideways(page) is None
    page.close()
