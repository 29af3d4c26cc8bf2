"""Collecting a client's download costs the same number of queries for one homework with one entry as for
many homework with many entries each: every kind of row is read once for the whole client."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.privacy.my_data import collect
from tests.factories import World
from tests.privacy.my_data_factory import fill, profile_of
from tests.privacy.test_my_data_content import PATHS


def _queries(world: World, client: object) -> tuple[int, dict[str, int]]:
    profile = profile_of(client)  # type: ignore[arg-type]
    with CaptureQueriesContext(connection) as collected:
        data = collect(profile)
    assert data.entry_count > 0
    http = world.login(profile.user)
    per_download = {}
    for name, path in PATHS.items():
        with CaptureQueriesContext(connection) as served:
            assert http.get(path).status_code == 200
        per_download[name] = len(served)
    return len(collected), per_download


def test_the_number_of_queries_does_not_grow_with_homework_and_entries(world: World) -> None:
    fill(world, world.client_a, "FEW", assignments=1, entries=1)
    fill(world, world.client_b, "MANY", assignments=4, entries=6)
    few, few_downloads = _queries(world, world.client_a)
    many, many_downloads = _queries(world, world.client_b)
    assert many == few, f"collecting: {few} queries for 1 entry, {many} for 24"
    assert many_downloads == few_downloads
    assert few <= 40  # about one per kind of row
