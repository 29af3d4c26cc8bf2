"""WCAG 2.1 AA on the clients' and visitors' pages at phone width, checked by axe-core in Chromium.

The pages are the permission matrix's: every GET route a client may open (200 there) is opened here by that
client, logged in through the real login form, in English, Spanish and Arabic (right to left). A page with a
serious or critical violation fails the test with the rule and the elements. The staff pages are walked by
test_accessibility_therapist.py, test_accessibility_clinicians.py and test_accessibility_research.py (one
file each, so that xdist's `--dist loadfile` runs them side by side).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.a11y_walk import LANGUAGES, Walk, matrix_objects, walk_actor, walk_pages
from tests.browser.axe import axe_violations
from tests.browser_helpers import PHONE
from tests.test_permission_matrix import Objects

__all__ = ["matrix_objects"]  # the fixture, used by name

# Pages anyone may open without logging in (the allauth ones are not in the matrix's own routes).
ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/password/reset/", "/invite/not-a-real-token/"]


def test_visitors_pages_have_no_serious_accessibility_violation(live_server: Any, browser: Any) -> None:
    walk = Walk()
    walk_pages(browser, live_server.url, None, ANONYMOUS_PAGES, PHONE, walk, "anon")
    assert walk.checked == 3 * len(ANONYMOUS_PAGES)
    assert not walk.failures, walk.report()


# One client stands for both (the same pages with other data); the permission matrix keeps them apart.
@pytest.mark.parametrize("actor", ["client_a", "coach"])
def test_every_page_of_a_client_or_coach_has_no_serious_accessibility_violation(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any, actor: str
) -> None:
    world, o = matrix_objects
    walk = walk_actor(browser, live_server.url, world, o, actor, PHONE, LANGUAGES)
    assert walk.checked > 3  # the walk really went through the matrix's pages
    assert not walk.failures, walk.report()


def test_axe_reports_what_it_should(browser: Any) -> None:
    # Without this, a broken injection (or a rule set that matches nothing) would make the walk above pass.
    page = browser.new_page(viewport=PHONE)
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png">'
        '<button></button><input type="text"></main></body></html>'
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "button-name", "label"} <= found
    page.close()
