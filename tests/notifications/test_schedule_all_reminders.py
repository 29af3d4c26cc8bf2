"""Queuing everyone's next reminder when a worker starts: a batch of clients costs a fixed number of queries,
and a client whose reminder is queued already costs none (no query per client)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from emotipal.accounts.models import ClientProfile, User
from emotipal.notifications.models import ReminderPreference, ScheduledReminder
from emotipal.notifications.tasks import schedule_all_reminders
from tests.factories import World

NOW = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # a Tuesday


def clients_with_reminders(world: World, n: int, prefix: str) -> list[ClientProfile]:
    made = []
    for i in range(n):
        user = User.objects.create(email=f"{prefix}{i}@example.org", display_name=f"Client {prefix}{i}")
        made.append(
            ClientProfile.objects.create(
                user=user,
                clinic=world.clinic,
                therapist=world.therapist,
                reminder_time=dt.time(18, 0),
                timezone="UTC",
            )
        )
    # Half of them chose their own days (weekdays only) and the e-mail channel explicitly.
    for client in made[::2]:
        ReminderPreference.objects.create(client=client, weekdays="01234")
    return made


def queries_of(now: dt.datetime) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as seen:
        queued = schedule_all_reminders(now)
    return queued, len(seen.captured_queries)


def test_a_second_run_asks_the_same_few_queries_for_3_or_30_clients(world: World) -> None:
    clients_with_reminders(world, 3, "few")
    queued, _ = queries_of(NOW)
    assert queued == 3
    assert ScheduledReminder.objects.filter(for_date=NOW.date(), run_at=NOW.replace(hour=18)).count() == 3
    assert DBTaskResult.objects.count() == 1  # one wake for the moment they share
    _, again_few = queries_of(NOW)
    clients_with_reminders(world, 27, "many")
    queries_of(NOW)
    _, again_many = queries_of(NOW)
    assert again_few == again_many <= 6, (again_few, again_many)
    assert DBTaskResult.objects.count() == 1  # nothing queued twice, and still one wake for the moment


def test_each_new_client_costs_the_same_few_queries_not_more_with_more_clients(world: World) -> None:
    clients_with_reminders(world, 3, "few")
    _, few = queries_of(NOW)
    ScheduledReminder.objects.all().delete()
    DBTaskResult.objects.all().delete()
    clients_with_reminders(world, 27, "many")
    _, many = queries_of(NOW)
    per_client = (many - few) / 27
    # The locked get-or-create (savepoint, select, insert), the task row and the task id saved: all writes.
    assert per_client <= 8, per_client


def test_a_moved_reminder_time_is_queued_again_and_the_weekdays_are_kept(world: World) -> None:
    made = clients_with_reminders(world, 4, "c")
    schedule_all_reminders(NOW)
    made[1].reminder_time = dt.time(19, 30)
    made[1].save()
    saturday = dt.datetime(2026, 3, 14, 6, 0, tzinfo=dt.UTC)
    schedule_all_reminders(NOW)
    assert ScheduledReminder.objects.get(client=made[1], for_date=NOW.date()).run_at == NOW.replace(
        hour=19, minute=30
    )
    schedule_all_reminders(saturday)
    # Weekdays-only clients (made[0], made[2]) are next reminded on Monday, the others on Saturday.
    days = dict(
        ScheduledReminder.objects.filter(for_date__gt=NOW.date()).values_list("client_id", "for_date")
    )
    assert days[made[0].pk] == dt.date(2026, 3, 16) and days[made[1].pk] == dt.date(2026, 3, 14)
