"""WCAG 2.1 AA on the pages of the matrix's other clinicians at desktop width, in en, es and ar (axe-core,
tests/browser/a11y_walk.py): a colleague, a therapist of another clinic and the clinic admin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.a11y_walk import matrix_objects, walk_actor
from tests.test_permission_matrix import Objects

__all__ = ["matrix_objects"]  # the fixture, used by name


@pytest.mark.parametrize("actor", ["admin", "colleague", "foreign"])
def test_every_page_of_a_clinician_has_no_serious_accessibility_violation(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any, actor: str
) -> None:
    world, o = matrix_objects
    walk = walk_actor(browser, live_server.url, world, o, actor)
    assert walk.checked > 3 * 3
    assert not walk.failures, walk.report()
