"""The accessibility walk shared by the test_accessibility*.py files: the permission matrix's GET pages of one
actor, opened once per language, each checked by axe-core (tests/browser/axe.py).

The walk is split over several test files by actor because the suite runs with `--dist loadfile`: each file
goes to one xdist worker, so files (not tests inside one file) are what spreads the walk over the two cores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from emotipal.accounts.models import User
from emotipal.accounts.services import create_api_token
from tests.browser.axe import axe_violations, describe
from tests.browser_helpers import log_in
from tests.factories import build_world, complete_thought_record, plan_for
from tests.test_permission_matrix import PAGES, Objects, actor_user

LANGUAGES = ("en", "es", "ar")
# Staff pages in English and Arabic: right to left is the layout that differs (Spanish lays out as English,
# and every string's translation is checked by tests/i18n). Clients' and visitors' pages get all three.
STAFF_LANGUAGES = ("en", "ar")
DESKTOP = {"width": 1280, "height": 900}
# Per page: a page that never finishes loading fails with its address instead of hanging the whole walk.
PAGE_TIMEOUT_MS = 15000


def pages_of(actor: str, o: Objects) -> list[str]:
    """Every page the matrix lets this actor open (200), once each."""
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


@dataclass
class Walk:
    """What a walk found: pages with violations (or that did not load), pages skipped and why, pages checked."""

    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    checked: int = 0

    def report(self) -> str:
        return "\n\n".join(self.failures) + ("\nskipped:\n" + "\n".join(self.skipped) if self.skipped else "")


def wrap_fragment(body: str) -> str:
    """A fragment that is one item of a list or table on its page (htmx swaps it in place) goes in one here."""
    start = body.lstrip()[:4].lower()
    if start.startswith("<li"):
        return f"<ul>{body}</ul>"
    if start.startswith("<tr"):
        return f"<table>{body}</table>"
    return body


def check(page: Any, base: str, path: str, walk: Walk, label: str, language: str) -> None:
    """Open one page and run axe on it; downloads and non-HTML answers are noted as skipped."""
    url = base + path
    try:
        response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
    except PlaywrightError as exc:
        if "Download is starting" in str(exc):  # a file (calendar, CSV, PDF): nothing to check in a browser
            walk.skipped.append(f"{label} {url}: a download")
            return
        walk.failures.append(f"[{label}] {url}\ndid not load: {str(exc).splitlines()[0]}")
        return
    headers = response.headers if response else {}
    if "text/html" not in (headers.get("content-type") or ""):
        walk.skipped.append(f"{label} {url}: not HTML ({headers.get('content-type')})")
        return
    if "sandbox" in (headers.get("content-security-policy") or ""):
        # The analysis report is served with CSP `sandbox` (no scripts, an opaque origin): axe cannot run in
        # it, and waiting for it was what hung the walk. Its markup is checked by test_analysis_report_a11y.
        walk.skipped.append(f"{label} {url}: sandboxed document (CSP sandbox), scripts cannot run")
        return
    body = response.text() if response else ""
    if "<html" not in body[:500].lower():
        # An htmx fragment (e.g. the assign page's exercise section), opened on its own: checked inside a
        # minimal page of ours with the site's styles, so its own content is judged, not the missing shell.
        page.set_content(
            f'<!DOCTYPE html><html lang="{language}"><head><title>fragment</title>'
            f'<link rel="stylesheet" href="{base}/static/css/emotipal.css"></head>'
            f"<body><main>{wrap_fragment(body)}</main></body></html>",
            wait_until="load",
        )
    try:
        found = axe_violations(page)
    except PlaywrightError as exc:
        walk.failures.append(f"[{label}] {url}\naxe did not finish: {str(exc).splitlines()[0]}")
        return
    walk.checked += 1
    if found:
        walk.failures.append(f"[{label}] {url}\n{describe(found)}")


def walk_pages(
    browser: Any,
    base: str,
    email: str | None,
    paths: Iterable[str],
    viewport: dict[str, int],
    walk: Walk,
    actor: str,
    languages: Iterable[str] = LANGUAGES,
) -> None:
    """Log in once (when `email` is given), then open every path once per language."""
    paths = list(paths)
    context = browser.new_context(viewport=viewport, accept_downloads=False)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        if email:
            log_in(page, base, email)
        for language in languages:
            # The signed-in user's language chooses the page's language (the visitor's comes from the browser).
            User.objects.update(language=language)
            context.set_extra_http_headers({"Accept-Language": language})
            for path in paths:
                check(page, base, path, walk, f"{actor}, {language}, {viewport['width']}px", language)
    finally:
        context.close()


def walk_actor(
    browser: Any,
    base: str,
    world: Any,
    o: Objects,
    actor: str,
    viewport: dict[str, int] = DESKTOP,
    languages: Iterable[str] = STAFF_LANGUAGES,
) -> Walk:
    walk = Walk()
    paths = pages_of(actor, o)
    walk_pages(browser, base, actor_user(world, actor).email, paths, viewport, walk, actor, languages)
    return walk
