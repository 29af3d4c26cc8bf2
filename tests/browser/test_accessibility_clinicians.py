"""WCAG 2.1 AA on the clinic admin's pages at desktop width, in English and Arabic (axe-core,
tests/browser/a11y_walk.py). The colleague and the therapist of another clinic have the therapist's role and
pages (walked in test_accessibility_therapist.py); the permission matrix checks what each may open."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.a11y_walk import matrix_objects, walk_actor
from tests.test_permission_matrix import Objects

__all__ = ["matrix_objects"]  # the fixture, used by name


@pytest.mark.parametrize("actor", ["admin"])
def test_every_page_of_a_clinician_has_no_serious_accessibility_violation(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any, actor: str
) -> None:
    world, o = matrix_objects
    walk = walk_actor(browser, live_server.url, world, o, actor)
    assert walk.checked > 2 * 3
    assert not walk.failures, walk.report()
