"""The caseload's count of homework to review (found in SQL, compliance._due_for_review) against the client
page's list (reviews.review_session_for over the client's record, in Python), on random clinics.

The two implement one rule; the caseload sorts and filters on its count, so where they disagree a therapist
would see "2 to review" beside a client whose page lists one."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from emotipal.homework import compliance, reviews
from emotipal.homework.models import Assignment, TherapySession
from emotipal.homework.services import assign_homework
from tests.factories import World, plan_for

GOOD = {"quantity": 3, "quality": 2, "mastery": 2, "understanding": 4}


def _random_homework(world: World, rng: random.Random, today: dt.date) -> None:
    clients = [world.client_a, world.client_b]
    sessions: dict[int, list[TherapySession]] = {}
    for client in clients:
        # Numbers not in date order as well: a session entered late under an earlier number.
        numbers = rng.sample(range(1, 9), rng.randint(0, 5))
        days = rng.sample(range(-30, 15), len(numbers))
        if days and 0 not in days and rng.random() < 0.5:  # a session today: its homework is due today
            days[0] = 0
        sessions[client.pk] = [
            reviews.record_session(world.therapist, client, today + dt.timedelta(days=d), number)
            for number, d in zip(numbers, days, strict=True)
        ]
    for client in clients:
        own = sessions[client.pk]
        for _ in range(rng.randint(0, 5)):
            setting = rng.choice([None, *own]) if own else None
            start = today + dt.timedelta(days=rng.randint(-35, 10))
            if own and rng.random() < 0.3:  # started on a session's day: due in the next one, not that one
                start = rng.choice(own).date
            plan = plan_for(
                world.thought_record,
                session=setting,
                start_date=start,
                end_date=today + dt.timedelta(days=20),
            )
            homework = assign_homework(world.therapist, client, plan)
            others = [s for c, found in sessions.items() if c != client.pk for s in found]
            if (
                others and rng.random() < 0.15
            ):  # a session of someone else's: the rule falls back on the dates
                Assignment.objects.filter(pk=homework.pk).update(session=rng.choice(others))
                homework.refresh_from_db()
            due = reviews.review_session_for(homework, sorted(own, key=lambda s: s.number))
            if due is not None and due.date <= today and homework.start_date <= today and rng.random() < 0.4:
                reviews.submit_therapist_review(world.therapist, homework.pk, due.pk, GOOD)


def _listed(client_id: int, today: dt.date) -> int:
    client = compliance.ClientProfile.objects.get(pk=client_id)
    record = compliance.gather([client], until=today)[client_id]
    sessions = compliance.sessions_by_client([client_id]).get(client_id, [])
    return len(compliance.unreviewed_homework(record, sessions, today))


@pytest.mark.parametrize("seed", range(8))
def test_the_caseloads_count_is_the_client_pages_list_on_random_clinics(world: World, seed: int) -> None:
    rng = random.Random(seed)
    today = timezone.localdate()
    _random_homework(world, rng, today)
    # Each client's own today (their zones differ): a session on one client's today counts, not the other's.
    todays = {world.client_a.pk: today, world.client_b.pk: today - dt.timedelta(days=rng.randint(0, 9))}
    counted = compliance.homework_to_review_counts(todays)
    assert counted == {client_id: _listed(client_id, day) for client_id, day in todays.items()}


def test_no_clients_have_nothing_to_review(world: World) -> None:
    assert compliance.homework_to_review_counts({}) == {}


def test_the_count_takes_two_queries_however_many_clients(
    world: World, django_assert_num_queries: object
) -> None:
    rng = random.Random(99)
    today = timezone.localdate()
    _random_homework(world, rng, today)
    todays = {world.client_a.pk: today, world.client_b.pk: today}
    with django_assert_num_queries(2):  # type: ignore[operator]
        compliance.homework_to_review_counts(todays)
