"""A client never has the same questionnaire open twice: not from two schedules, not from a schedule and
"ask now", not after answering one copy, not from two schedulers running at once, and not in the database
(one open copy per client and instrument). The migration closes existing duplicates as "superseded"."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotipal.homework.reviews import record_session
from emotipal.measures import schedules, services
from emotipal.measures.models import OPEN_STATUSES, Instrument, Response, Schedule
from emotipal.measures.queries import latest_version
from emotipal.platform import clock
from tests.factories import World

ALL_ONES = {f"phq9_{i}": 1 for i in range(1, 10)}


def phq9() -> Instrument:
    return Instrument.objects.get(key="phq9", clinic=None)


def open_counts() -> Counter[tuple[int, int]]:
    rows = Response.objects.filter(status__in=OPEN_STATUSES).values_list("client_id", "instrument_id")
    return Counter(rows)


def test_two_schedules_for_one_questionnaire_open_one_copy(world: World) -> None:
    today = timezone.localdate()
    record_session(world.therapist, world.client_a, today + dt.timedelta(days=2))
    services.add_schedule(world.therapist, world.client_a, phq9(), "weekly", weekday=today.weekday())
    services.add_schedule(world.therapist, world.client_a, phq9(), "before_session")
    assert schedules.generate_due() == 0
    assert len(services.open_responses(world.client_a)) == 1


def test_ask_now_and_a_schedule_open_one_copy(world: World) -> None:
    asked = services.ask_now(world.therapist, world.client_a, phq9())
    assert services.ask_now(world.therapist, world.client_a, phq9()) == asked  # the same one, not a second
    today = timezone.localdate()
    services.add_schedule(world.therapist, world.client_a, phq9(), "weekly", weekday=today.weekday())
    assert [r.pk for r in services.open_responses(world.client_a)] == [asked.pk]


def test_answering_one_copy_does_not_bring_the_schedules_copy_back(world: World) -> None:
    """The demo's bug: an unscheduled copy answered today, then the weekly run opened its own copy."""
    asked = services.ask_now(world.therapist, world.client_a, phq9())
    services.save_answers(world.client_a.user, asked.pk, ALL_ONES, submit=True)
    today = timezone.localdate()
    services.add_schedule(world.therapist, world.client_a, phq9(), "weekly", weekday=today.weekday())
    assert schedules.generate_due() == 0
    assert services.open_responses(world.client_a) == []


def test_an_expired_copy_does_not_block_next_weeks(world: World) -> None:
    today = timezone.localdate()
    services.add_schedule(world.therapist, world.client_a, phq9(), "weekly", weekday=today.weekday())
    next_week = timezone.now() + dt.timedelta(days=7)
    assert schedules.generate_due(now=next_week) == 1  # last week's copy expired on the way
    assert Counter(Response.objects.values_list("status", flat=True)) == {"expired": 1, "due": 1}


def test_the_database_refuses_a_second_open_copy(world: World) -> None:
    first = services.ask_now(world.therapist, world.client_a, phq9())
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            client=world.client_a, instrument_version=first.instrument_version, due_date=first.due_date
        )
    # A closed copy does not count: history keeps every administration.
    Response.objects.filter(pk=first.pk).update(status=Response.Status.COMPLETED)
    Response.objects.create(
        client=world.client_a, instrument_version=first.instrument_version, due_date=first.due_date
    )
    assert Response.objects.count() == 2


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("weekly"), st.integers(0, 6), st.integers(1, 14)),
        st.tuples(st.just("before_session"), st.integers(0, 4), st.integers(1, 14)),
        st.tuples(st.just("ask_now"), st.just(0), st.integers(1, 14)),
        st.tuples(st.just("answer"), st.just(0), st.just(0)),
        st.tuples(st.just("days_pass"), st.integers(1, 9), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_schedule_sequences_never_open_two_copies(
    world: World, steps: list[tuple[str, int, int]]
) -> None:
    with transaction.atomic():  # each example starts from the same world
        moment = clock.now()
        for op, number, days in steps:
            with clock.replaying(moment):
                if op == "weekly":
                    services.add_schedule(
                        world.therapist, world.client_a, phq9(), op, weekday=number, expires_after_days=days
                    )
                elif op == "before_session":
                    session_day = clock.local_today(dt.UTC, moment) + dt.timedelta(days=number)
                    if not world.client_a.sessions.filter(date=session_day).exists():
                        record_session(world.therapist, world.client_a, session_day)
                    services.add_schedule(
                        world.therapist, world.client_a, phq9(), op, expires_after_days=days
                    )
                elif op == "ask_now":
                    services.ask_now(world.therapist, world.client_a, phq9(), days_open=days)
                elif op == "answer":
                    for response in services.open_responses(world.client_a):
                        if response.is_open:
                            services.save_answers(world.client_a.user, response.pk, ALL_ONES, submit=True)
                else:
                    moment += dt.timedelta(days=number)
                schedules.generate_due(now=moment)
            assert max(open_counts().values(), default=0) <= 1, steps
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_open_one_copy(world: World) -> None:
    today = timezone.localdate()
    made = [
        Schedule.objects.create(
            client=world.client_a,
            instrument=phq9(),
            kind="weekly",
            weekday=today.weekday(),
            created_by=world.therapist,
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(len(made))
    results: list[Any] = [None] * len(made)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = schedules.generate_due(
                [Schedule.objects.select_related("client__clinic", "instrument").get(pk=made[index].pk)]
            )
        except Exception as exc:  # reported by the assertion below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(made))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1]
    assert Response.objects.filter(client=world.client_a, status__in=OPEN_STATUSES).count() == 1


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_migration_supersedes_existing_duplicates_keeping_the_started_one(world: World) -> None:
    version = latest_version(phq9())
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate([("measures", "0002_encrypt_health_data")])
        old = (
            MigrationExecutor(connection)
            .loader.project_state([("measures", "0002_encrypt_health_data")])
            .apps
        )
        OldResponse = old.get_model("measures", "Response")
        today = timezone.localdate()
        started = OldResponse.objects.create(
            client_id=world.client_a.pk,
            instrument_version_id=version.pk,
            due_date=today,
            status="in_progress",
        )
        later = OldResponse.objects.create(
            client_id=world.client_a.pk, instrument_version_id=version.pk, due_date=today, status="due"
        )
        other_client = OldResponse.objects.create(
            client_id=world.client_b.pk, instrument_version_id=version.pk, due_date=today, status="due"
        )
    finally:
        _migrate(latest)
    statuses = dict(Response.objects.values_list("pk", "status"))
    assert statuses == {started.pk: "in_progress", later.pk: "superseded", other_client.pk: "due"}
    assert set(Response.objects.values_list("instrument_id", flat=True)) == {phq9().pk}
