"""Named fixture users, as in the permission matrix: two clients of one therapist, a colleague in the same
clinic, a therapist of another clinic, a clinic admin and a researcher."""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from emotipal.library.services import sync_library
from tests.factories import World, build_world, complete_thought_record, plan_for


@pytest.fixture
def library(db: Any) -> None:
    sync_library()


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def assignment_a(world: World) -> Assignment:
    return services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))


@pytest.fixture
def entry_a(world: World, assignment_a: Assignment) -> Entry:
    entry, _ = services.submit_entry(
        world.client_a.user,
        assignment_a.pk,
        services.Submission(answers=complete_thought_record(), effort=3, difficulty=2, helpfulness=3),
    )
    return entry


@pytest.fixture(autouse=True)
def english_between_tests() -> Any:
    """A request activates its user's language in the test thread; each test starts in English again."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
