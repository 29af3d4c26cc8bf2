"""The daily questionnaire job reads what it needs for all schedules at once: with everything opened already
it asks the same few queries for 3 clients or 30 (it used to ask several per schedule)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.accounts.models import ClientProfile, User
from emotipal.homework.reviews import record_session
from emotipal.measures import schedules, services
from emotipal.measures.models import Instrument, Response
from tests.factories import World


def clients_with_schedules(world: World, n: int, prefix: str) -> list[ClientProfile]:
    """n clients, each with a weekly PHQ-9 due today and a GAD-7 before a session in two days."""
    today = timezone.localdate()
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    gad7 = Instrument.objects.get(key="gad7", clinic=None)
    made = []
    for i in range(n):
        user = User.objects.create(email=f"{prefix}{i}@example.org", display_name=f"Client {prefix}{i}")
        client = ClientProfile.objects.create(user=user, clinic=world.clinic, therapist=world.therapist)
        record_session(world.therapist, client, today + dt.timedelta(days=2))
        services.add_schedule(world.therapist, client, phq9, "weekly", weekday=today.weekday())
        services.add_schedule(world.therapist, client, gad7, "before_session")
        made.append(client)
    return made


def queries_of_a_run() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as seen:
        created = schedules.generate_due()
    return created, len(seen.captured_queries)


def test_a_run_with_everything_opened_costs_the_same_for_3_or_30_clients(world: World) -> None:
    few = clients_with_schedules(world, 3, "few")
    assert Response.objects.filter(client__in=few).count() == 6  # add_schedule opened each one already
    created, few_queries = queries_of_a_run()
    assert created == 0
    clients_with_schedules(world, 27, "many")
    created, many_queries = queries_of_a_run()
    assert created == 0
    assert few_queries == many_queries <= 3, (few_queries, many_queries)


def test_the_job_opens_what_is_missing_once(world: World) -> None:
    made = clients_with_schedules(world, 5, "c")
    Response.objects.filter(client=made[1]).delete()
    Response.objects.filter(client=made[3], instrument__key="gad7").delete()
    created, _ = queries_of_a_run()
    assert created == 3
    assert Response.objects.filter(client__in=made).count() == 10
    assert queries_of_a_run()[0] == 0
