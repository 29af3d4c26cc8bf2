"""The caseload's outcome flags decrypt only the ends of each series: the first and the latest response
with a total (the caseload sorts every client by them), with the same figures as reading every score."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.measures import queries
from emotipal.measures.models import Instrument, Response, score_blob
from emotipal.measures.services import latest_version, sync_instruments
from tests.factories import World

pytestmark = pytest.mark.django_db


def _scores(client: ClientProfile, totals: list[float | None]) -> None:
    sync_instruments()
    version = latest_version(Instrument.objects.get(clinic__isnull=True, key="phq9"))
    start = timezone.now() - dt.timedelta(weeks=len(totals))
    for week, total in enumerate(totals):
        done = start + dt.timedelta(weeks=week)
        Response.objects.create(
            client=client,
            instrument_version=version,
            due_date=done.date(),
            status=Response.Status.COMPLETED,
            answers={},
            completed_at=done,
            scores=score_blob(total, None, None) if total is not None else {},
        )


class Counting:
    def __init__(self) -> None:
        self.calls = 0
        self.real = queries.decrypt_json

    def __call__(self, token: str | None) -> object:
        self.calls += 1
        return self.real(token)


def test_reliable_worsening_from_first_to_latest_with_only_the_ends_decrypted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scores(world.client_a, [6, 8, 9, 12, 15, 19])  # PHQ-9 6 -> 19: reliably worse
    _scores(world.client_b, [20, 18, 15, 11, 8, 5])  # 20 -> 5: reliably better
    counting = Counting()
    monkeypatch.setattr(queries, "decrypt_json", counting)
    flags = queries.caseload_flags([world.client_a.pk, world.client_b.pk])
    assert counting.calls == 4  # two ends of two series, not twelve scores
    worse, better = flags[world.client_a.pk], flags[world.client_b.pk]
    assert worse.deteriorated == ["PHQ-9"] and better.deteriorated == []
    assert worse.latest == {"PHQ-9": 19} and better.latest == {"PHQ-9": 5}
    (change,) = worse.changes
    assert (change.first, change.latest, change.n, change.status) == (6, 19, 6, "reliable_deterioration")
    assert better.changes[0].status == "reliable_improvement"


def test_responses_without_a_total_at_either_end_are_walked_past(world: World) -> None:
    _scores(world.client_a, [None, 7, 10, 18, None])
    (change,) = queries.caseload_flags([world.client_a.pk])[world.client_a.pk].changes
    assert (change.first, change.latest, change.n) == (7, 18, 3)
    assert change.first_at < change.latest_at


def test_one_scored_response_is_one_score_and_none_is_no_change(world: World) -> None:
    _scores(world.client_a, [None, 11, None])
    _scores(world.client_b, [None, None])
    flags = queries.caseload_flags([world.client_a.pk, world.client_b.pk])
    (change,) = flags[world.client_a.pk].changes
    assert (change.first, change.latest, change.n, change.status) == (11, 11, 1, None)
    assert flags[world.client_b.pk].changes == [] and flags[world.client_b.pk].latest == {}
