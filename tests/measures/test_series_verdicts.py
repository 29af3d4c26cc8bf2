"""The caseload's risk flags for a whole clinic come from kept verdicts: the same answer as computing every
series from its scores (caseload_flags), no score decrypted for a series that has not changed, and a series
that has changed in any way (a new score, a response superseded, completion times corrected) recomputed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.measures import queries, verdicts
from emotipal.measures.models import Response, SeriesVerdict
from tests.factories import World
from tests.measures.test_caseload_flags import Counting, _scores

pytestmark = pytest.mark.django_db


def _risks(world: World) -> dict[int, tuple[int, list[str]]]:
    ids = [world.client_a.pk, world.client_b.pk]
    flags = verdicts.risk_flags(ids)  # a defaultdict: a client with no flag has the empty one
    return {pk: (flags[pk].open_alerts, flags[pk].deteriorated) for pk in ids}


def _computed(world: World) -> dict[int, tuple[int, list[str]]]:
    ids = [world.client_a.pk, world.client_b.pk]
    flags = queries.caseload_flags(ids)
    return {pk: (flags[pk].open_alerts, sorted(flags[pk].deteriorated)) for pk in ids}


def test_kept_verdicts_agree_with_the_scores_and_a_second_read_decrypts_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scores(world.client_a, [6, 8, 9, 12, 15, 19])  # reliably worse
    _scores(world.client_b, [20, 18, 15, 11, 8, 5])  # reliably better
    counting = Counting()
    monkeypatch.setattr(queries, "decrypt_json", counting)
    assert (
        _risks(world) == _computed(world) == {world.client_a.pk: (0, ["PHQ-9"]), world.client_b.pk: (0, [])}
    )
    assert SeriesVerdict.objects.count() == 2
    counting.calls = 0
    with CaptureQueriesContext(connection) as ctx:
        assert _risks(world) == {world.client_a.pk: (0, ["PHQ-9"]), world.client_b.pk: (0, [])}
    assert counting.calls == 0
    assert len(ctx.captured_queries) == 3  # open alerts, fingerprints, kept verdicts: however many series


def test_a_new_score_that_changes_the_verdict_is_seen_on_the_next_read(world: World) -> None:
    _scores(world.client_a, [6, 7, 6])
    assert _risks(world)[world.client_a.pk] == (0, [])
    _scores(world.client_a, [19])  # a week later: 6 -> 19
    assert _risks(world)[world.client_a.pk] == (0, ["PHQ-9"])
    assert SeriesVerdict.objects.get(client=world.client_a).status == verdicts.DETERIORATED


def test_a_superseded_latest_score_and_corrected_completion_times_are_recomputed(world: World) -> None:
    _scores(world.client_a, [6, 8, 19])
    assert _risks(world)[world.client_a.pk] == (0, ["PHQ-9"])
    latest = Response.objects.filter(client=world.client_a).order_by("-completed_at").first()
    assert latest is not None
    Response.objects.filter(pk=latest.pk).update(status=Response.Status.SUPERSEDED)
    assert _risks(world)[world.client_a.pk] == (0, [])  # 6 -> 8 now
    Response.objects.filter(pk=latest.pk).update(status=Response.Status.COMPLETED)
    assert _risks(world)[world.client_a.pk] == (0, ["PHQ-9"])
    # The 19 was in fact the first score (its completion time corrected): 19 -> 8 is no deterioration.
    first = Response.objects.filter(client=world.client_a).order_by("completed_at").first()
    assert first is not None
    Response.objects.filter(pk=latest.pk).update(completed_at=first.completed_at - dt.timedelta(days=7))
    assert _risks(world) == _computed(world)
    assert _risks(world)[world.client_a.pk] == (0, [])


def test_a_series_without_totals_is_kept_with_no_verdict_and_not_recomputed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scores(world.client_b, [None, None])
    counting = Counting()
    monkeypatch.setattr(queries, "decrypt_json", counting)
    nothing = {world.client_a.pk: (0, []), world.client_b.pk: (0, [])}
    assert _risks(world) == nothing
    assert counting.calls == 2 and SeriesVerdict.objects.get(client=world.client_b).status == ""
    assert _risks(world) == nothing and counting.calls == 2


def test_a_removed_series_leaves_no_flag(world: World) -> None:
    _scores(world.client_a, [6, 19])
    assert _risks(world)[world.client_a.pk] == (0, ["PHQ-9"])
    Response.objects.filter(client=world.client_a).delete()
    assert _risks(world)[world.client_a.pk] == (0, [])


def test_two_readers_recomputing_the_same_series_keep_one_verdict(world: World) -> None:
    _scores(world.client_a, [6, 19])
    key = (world.client_a.pk, Response.objects.filter(client=world.client_a).first().instrument_id)  # type: ignore[union-attr]
    stale = verdicts.fingerprints([world.client_a.pk])
    assert list(stale) == [key]
    verdicts.refresh(stale)
    verdicts.refresh(stale)  # a second request that saw the same stale series
    assert SeriesVerdict.objects.filter(client=world.client_a).count() == 1


def test_the_caseload_filters_at_risk_from_kept_verdicts_and_shows_the_latest_scores(world: World) -> None:
    _scores(world.client_a, [6, 9, 19])
    _scores(world.client_b, [12, 11])
    http = world.login(world.therapist)
    page = http.get("/clients/?show=at_risk").content.decode()
    assert str(world.client_a.user) in page and str(world.client_b.user) not in page
    assert "reliably worse" in page
    everyone = http.get("/clients/").content.decode()
    assert "PHQ-9 19" in everyone and "PHQ-9 11" in everyone  # the shown clients' latest totals


def test_kept_verdicts_go_with_the_client(world: World) -> None:
    _scores(world.client_a, [6, 19])
    verdicts.risk_flags([world.client_a.pk])
    ClientProfile.objects.filter(pk=world.client_a.pk).delete()
    assert not SeriesVerdict.objects.filter(client_id=world.client_a.pk).exists()
    assert timezone.now()  # the rest of the clinic is untouched


def test_recomputing_many_changed_series_costs_the_queries_of_one(world: World) -> None:
    from tests.homework.test_caseload_page import add_client

    _scores(world.client_a, [6, 19])
    with CaptureQueriesContext(connection) as one:
        verdicts.risk_flags([world.client_a.pk])
    many = [add_client(world, f"Series {i}", f"series{i}@example.org") for i in range(12)]
    for client in many:
        _scores(client, [5, 18])
    with CaptureQueriesContext(connection) as twelve:
        flags = verdicts.risk_flags([c.pk for c in many])
    assert len(twelve.captured_queries) == len(one.captured_queries)
    assert all(flags[c.pk].deteriorated == ["PHQ-9"] for c in many)
