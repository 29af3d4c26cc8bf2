"""WCAG 2.1 AA on the clients' and visitors' pages at phone width, checked by axe-core in Chromium.

The pages are the permission matrix's: every GET route a client may open (200 there) is opened here by that
client, logged in through the real login form, in English, Spanish and Arabic (right to left). A page with a
serious or critical violation fails the test with the rule and the elements.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from emotipal.accounts.models import User
from emotipal.accounts.services import create_api_token
from tests.browser.axe import axe_violations, describe
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, complete_thought_record, plan_for
from tests.test_permission_matrix import PAGES, Objects, actor_user

# Pages anyone may open without logging in (the allauth ones are not in the matrix's own routes).
ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/password/reset/", "/invite/not-a-real-token/"]
LANGUAGES = ["en", "es", "ar"]
# The clients, their support person and visitors, whose pages the issue is about; the staff pages are not
# walked yet (see issue 13).
ACTORS_CHECKED = ("anon", "client_a", "client_b", "coach")


def pages_of(actor: str, o: Objects) -> list[str]:
    """Every page the matrix lets this actor open, once each."""
    seen: dict[str, None] = {}
    for rows in PAGES.values():
        for row in rows:
            if row.method == "get" and row.expect.get(actor) == 200 and row.data is None:
                seen.setdefault(row.path(o))
    return list(seen)


@pytest.fixture
def matrix_objects(transactional_db: Any) -> Iterator[tuple[Any, Objects]]:
    from emotipal.homework import services

    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    entry, _ = services.submit_entry(
        world.client_a.user,
        assignment.pk,
        services.Submission(answers=complete_thought_record(), effort=3, difficulty=2, helpfulness=3),
    )
    token = create_api_token(world.client_a.user, "a11y").token.pk
    yield world, Objects(world, assignment, entry, token)


def check(page: Any, url: str) -> str | None:
    try:
        response = page.goto(url)
    except PlaywrightError as exc:  # a file (calendar, CSV, PDF) is downloaded, not shown
        if "Download is starting" in str(exc):
            return None
        raise
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return None
    page.wait_for_load_state("load")
    found = axe_violations(page)
    return f"{url}\n{describe(found)}" if found else None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_of_every_role_has_no_serious_accessibility_violation(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any, language: str
) -> None:
    world, o = matrix_objects
    User.objects.update(language=language)
    base = live_server.url
    failures: list[str] = []
    opened = 0
    for actor in ACTORS_CHECKED:
        context = browser.new_context(viewport=PHONE, locale=language)
        context.set_default_timeout(15000)
        page = context.new_page()
        if actor == "anon":
            paths = ANONYMOUS_PAGES
        else:
            log_in(page, base, actor_user(world, actor).email)
            paths = pages_of(actor, o)
        for path in paths:
            problem = check(page, base + path)
            opened += 1
            if problem:
                failures.append(f"[{actor}, {language}] {problem}")
        context.close()
    assert opened > 10  # the walk really went through the matrix's pages
    assert not failures, "\n\n".join(failures)


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
