"""WCAG 2.1 AA on the therapist's pages (axe-core, tests/browser/a11y_walk.py): every page of the permission
matrix at desktop width, and the pages a therapist also opens on a phone at 375 px, in English and Arabic."""

from __future__ import annotations

from typing import Any

from tests.browser.a11y_walk import STAFF_LANGUAGES, Walk, matrix_objects, walk_actor, walk_pages
from tests.browser_helpers import PHONE
from tests.test_permission_matrix import Objects

__all__ = ["matrix_objects"]  # the fixture, used by name


def test_every_therapist_page_has_no_serious_accessibility_violation_at_desktop_width(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any
) -> None:
    world, o = matrix_objects
    walk = walk_actor(browser, live_server.url, world, o, "therapist")
    assert walk.checked > len(STAFF_LANGUAGES) * 10
    assert not walk.failures, walk.report()


def test_the_therapists_main_pages_have_no_serious_accessibility_violation_on_a_phone(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any
) -> None:
    world, o = matrix_objects
    client = world.client_a.pk
    main_pages = [
        "/clients/",
        f"/clients/{client}/",
        f"/clients/{client}/assign/",
        f"/clients/{client}/assign/exercise/?template_version={world.thought_record.pk}",
        f"/clients/{client}/sessions/{o.session2.pk}/",
        "/library/",
    ]
    walk = Walk()
    walk_pages(
        browser, live_server.url, world.therapist.email, main_pages, PHONE, walk, "therapist", STAFF_LANGUAGES
    )
    assert walk.checked == len(STAFF_LANGUAGES) * len(main_pages)
    assert not walk.failures, walk.report()
