"""Homework reminders at the client's chosen time, run through the Tasks API (database backend and RQ)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.homework import services
from emotipal.notifications.models import ScheduledReminder
from emotipal.notifications.services import next_run_at
from emotipal.notifications.tasks import deliver_reminder, schedule_next_reminder, wake_reminders
from tests.factories import World, complete_thought_record, plan_for


def deliver_now(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Deliver a reminder and run what waits for the commit (the e-mail), as a worker's transaction would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver_reminder(reminder_id, now)


def choose_time(world: World, at: dt.datetime) -> None:
    world.client_a.reminder_time = at.time().replace(second=0, microsecond=0)
    world.client_a.timezone = "UTC"
    world.client_a.save()


def test_next_run_is_today_if_ahead_else_tomorrow(world: World) -> None:
    client = world.client_a
    client.timezone = "Europe/Madrid"
    client.reminder_time = dt.time(18, 30)
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)  # 13:00 in Madrid
    day, run_at = next_run_at(client, now)  # type: ignore[misc]
    assert day == dt.date(2026, 3, 10) and run_at.astimezone(dt.UTC).hour == 17
    day, _ = next_run_at(client, dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC))  # type: ignore[misc]
    assert day == dt.date(2026, 3, 11)
    client.reminder_time = None
    assert next_run_at(client, now) is None


def test_assigning_homework_queues_the_reminder_once(world: World) -> None:
    choose_time(world, timezone.now() + dt.timedelta(hours=1))
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    reminder = ScheduledReminder.objects.get(client=world.client_a)
    task = DBTaskResult.objects.get(id=reminder.task_id)
    assert task.run_after == reminder.run_at
    assert task.task_path.endswith("wake_reminders")
    assert DBTaskResult.objects.count() == 1


# The real db_worker closes database connections between runs, so this test commits instead of rolling back.
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_due_reminder_and_queues_the_next(world: World) -> None:
    now = timezone.now()
    pretend = now - dt.timedelta(hours=2)
    choose_time(world, pretend + dt.timedelta(hours=1))  # its moment was an hour ago
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    reminder = schedule_next_reminder(world.client_a, now=pretend)
    assert reminder is not None and reminder.run_at < now
    call_command("db_worker", "--batch", "--queue-name", "default")
    reminder.refresh_from_db()
    assert reminder.outcome == "sent" and reminder.sent_at is not None
    assert len(mail.outbox) == 1 and "Thought record" in mail.outbox[0].body
    assert mail.outbox[0].to == [world.client_a.user.email]
    assert ScheduledReminder.objects.filter(client=world.client_a, for_date__gt=reminder.for_date).exists()
    assert deliver_now(reminder.pk) == "already sent" and len(mail.outbox) == 1


def test_no_email_when_the_practice_is_already_done(world: World) -> None:
    now = timezone.now()
    choose_time(world, now - dt.timedelta(minutes=5))
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(complete_thought_record(), 1, 1, 1)
    )
    # Just after midnight the assignment has already queued today's reminder (its time is still ahead today),
    # so take that row over rather than adding a second one for the same day.
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=world.client_a,
        for_date=services.local_today(world.client_a),
        defaults={"run_at": now - dt.timedelta(minutes=5)},
    )
    assert deliver_now(reminder.pk, now=now) == "nothing due"
    assert not mail.outbox


def test_a_moved_reminder_time_supersedes_the_old_task(world: World) -> None:
    now = timezone.now()
    reminder = ScheduledReminder.objects.create(
        client=world.client_a, for_date=now.date(), run_at=now + dt.timedelta(hours=3)
    )
    assert deliver_now(reminder.pk, now=now) == "superseded"
    assert not mail.outbox


REDIS_URL = os.environ.get("EMOTIPAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("EMOTIPAL_REQUIRE_SERVICES"):
            raise
        pytest.skip(
            f"Redis is not reachable at {REDIS_URL} (CI sets EMOTIPAL_REQUIRE_SERVICES and requires it)"
        )


@pytest.fixture
def rq_backend(db: None):  # type: ignore[no-untyped-def]
    redis_or_skip()
    import django_rq

    from emotipal.platform.rq_queues import rq_queues

    queues = rq_queues(REDIS_URL, default_timeout=60)  # as settings.py configures it: one pool
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # django-tasks drops its cached backends when TASKS changes (setting_changed), so this swaps the backend.
    with override_settings(RQ_QUEUES=queues, TASKS=tasks):
        queue = django_rq.get_queue("default")
        queue.connection.flushdb()
        yield queue
        queue.connection.flushdb()


def test_rq_backend_runs_the_reminder_task(world: World, rq_backend) -> None:  # type: ignore[no-untyped-def]
    from django_tasks_rq import Job
    from rq import SimpleWorker
    from rq.registry import ScheduledJobRegistry

    now = timezone.now()
    choose_time(world, now + dt.timedelta(hours=1))
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    # Scheduled for later: RQ keeps it in its scheduled registry at the client's chosen time.
    scheduled = ScheduledJobRegistry(queue=rq_backend)
    reminder = ScheduledReminder.objects.get(client=world.client_a)
    assert reminder.task_id in scheduled.get_job_ids()
    assert abs(scheduled.get_scheduled_time(reminder.task_id).timestamp() - reminder.run_at.timestamp()) < 1

    ScheduledReminder.objects.filter(pk=reminder.pk).delete()
    due = ScheduledReminder.objects.create(
        client=world.client_a,
        for_date=services.local_today(world.client_a),
        run_at=now - dt.timedelta(minutes=1),
    )
    result = wake_reminders.enqueue(now.isoformat())
    # SimpleWorker runs jobs in this process, so it sees this test's database transaction (whose commit
    # would send the e-mail: run those callbacks too). The wake queues the batch; burst runs it too.
    with TestCase.captureOnCommitCallbacks(execute=True):
        SimpleWorker([rq_backend], connection=rq_backend.connection, job_class=Job).work(burst=True)
    result.refresh()
    assert result.status.name == "SUCCESSFUL", result.errors
    assert result.return_value == 1
    due.refresh_from_db()
    assert due.outcome == "sent"
    assert len(mail.outbox) == 1


def test_reminder_lists_open_questionnaires(world: World) -> None:
    from emotipal.measures.models import Instrument
    from emotipal.measures.services import ask_now

    now = timezone.now()
    ask_now(world.therapist, world.client_a, Instrument.objects.get(key="gad7", clinic=None))
    reminder = ScheduledReminder.objects.create(
        client=world.client_a,
        for_date=services.local_today(world.client_a),
        run_at=now - dt.timedelta(minutes=1),
    )
    assert deliver_now(reminder.pk, now=now) == "sent"
    assert "Questionnaire: GAD-7" in mail.outbox[0].body
