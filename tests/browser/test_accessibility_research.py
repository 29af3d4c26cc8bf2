"""WCAG 2.1 AA on the researcher's and the trainee's pages at desktop width, in English and Arabic (axe-core,
tests/browser/a11y_walk.py). The study's investigator sees every research page; the statistician and a
researcher off the team see fewer of the same pages (the permission matrix checks which)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.a11y_walk import matrix_objects, walk_actor
from tests.test_permission_matrix import Objects

__all__ = ["matrix_objects"]  # the fixture, used by name


@pytest.mark.parametrize("actor", ["researcher", "trainee"])
def test_every_page_of_a_researcher_or_trainee_has_no_serious_accessibility_violation(
    matrix_objects: tuple[Any, Objects], live_server: Any, browser: Any, actor: str
) -> None:
    world, o = matrix_objects
    walk = walk_actor(browser, live_server.url, world, o, actor)
    assert walk.checked > 2 * 2
    assert not walk.failures, walk.report()
