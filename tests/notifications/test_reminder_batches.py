"""Reminders due at one moment go out together: one wake task per moment, batches of reminders per task, one
mail connection per batch (notifications/tasks.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from emotipal.notifications import services as notification_services
from emotipal.notifications import tasks
from emotipal.notifications.models import Delivery, ScheduledReminder
from emotipal.notifications.tasks import deliver_reminders, schedule_next_reminder, wake_due_reminders
from tests.factories import World, plan_for


class CountingBackend(EmailBackend):
    """The test mailbox, counting the connections opened (one backend instance per connection)."""

    opened = 0
    refuse_next = 0  # this many sends raise, as a mail server that drops the connection would

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        CountingBackend.opened += 1

    def send_messages(self, messages: Any) -> int:
        if CountingBackend.refuse_next:
            CountingBackend.refuse_next -= 1
            raise ConnectionResetError("the mail server closed the connection")
        return super().send_messages(messages)


@pytest.fixture
def counting_mail() -> Any:
    CountingBackend.opened = CountingBackend.refuse_next = 0
    with override_settings(EMAIL_BACKEND=f"{__name__}.CountingBackend"):
        yield CountingBackend


def with_homework(world: World, client: ClientProfile, at: dt.datetime) -> None:
    client.reminder_time = at.time().replace(second=0, microsecond=0)
    client.timezone = "UTC"
    client.save()
    services.assign_homework(world.therapist, client, plan_for(world.thought_record))


def due_reminder(client: ClientProfile, run_at: dt.datetime) -> ScheduledReminder:
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=client, for_date=services.local_today(client), defaults={"run_at": run_at, "task_id": ""}
    )
    return reminder


def wakes() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith="wake_reminders"))


def test_clients_with_one_reminder_moment_share_one_wake_task(world: World) -> None:
    later = timezone.now() + dt.timedelta(hours=2)
    with_homework(world, world.client_a, later)
    with_homework(world, world.client_b, later)
    a = ScheduledReminder.objects.get(client=world.client_a)
    b = ScheduledReminder.objects.get(client=world.client_b)
    assert a.run_at == b.run_at and a.task_id == b.task_id
    assert [str(w.id) for w in wakes()] == [a.task_id]
    assert not DBTaskResult.objects.filter(task_path__endswith="send_homework_reminder").exists()

    # Another moment: its own wake; the first stays for the client still at the old one.
    with_homework(world, world.client_b, later + dt.timedelta(minutes=30))
    b = ScheduledReminder.objects.get(client=world.client_b)
    assert b.task_id != a.task_id and len(wakes()) == 2
    assert schedule_next_reminder(world.client_b) == b and len(wakes()) == 2  # again: nothing new


def test_a_wake_sends_its_moments_reminders_in_batches(world: World, monkeypatch: Any) -> None:
    now = timezone.now()
    with_homework(world, world.client_a, now)
    with_homework(world, world.client_b, now)
    moment = now - dt.timedelta(minutes=1)
    a, b = due_reminder(world.client_a, moment), due_reminder(world.client_b, moment)
    monkeypatch.setattr(tasks, "BATCH_SIZE", 1)
    assert wake_due_reminders(moment) == 2
    batches = DBTaskResult.objects.filter(task_path__endswith="send_homework_reminders").order_by(
        "enqueued_at"
    )
    assert [t.args_kwargs["args"] for t in batches] == [[[a.pk]], [[b.pk]]]


def test_a_wake_leaves_later_reminders_and_those_too_old_to_send(world: World) -> None:
    now = timezone.now()
    with_homework(world, world.client_a, now)
    with_homework(world, world.client_b, now)
    due_reminder(world.client_a, now + dt.timedelta(minutes=5))  # its own wake comes later
    due_reminder(world.client_b, now - tasks.CATCH_UP - dt.timedelta(minutes=1))  # a day's reminder long past
    assert wake_due_reminders(now) == 0
    assert not DBTaskResult.objects.filter(task_path__endswith="send_homework_reminders").exists()


# Each reminder's own transaction commits (and sends its e-mail) inside the batch, as on a worker.
@pytest.mark.django_db(transaction=True)
def test_a_batch_shares_one_mail_connection_and_survives_a_dropped_one(
    world: World, counting_mail: Any
) -> None:
    now = timezone.now()
    clients = [world.client_a, world.client_b]
    for client in clients:
        with_homework(world, client, now - dt.timedelta(minutes=5))
    ids = [due_reminder(c, now - dt.timedelta(minutes=5)).pk for c in clients]
    counting_mail.opened = 0
    counting_mail.refuse_next = 1
    assert deliver_reminders(ids) == {"sent": 2}
    statuses = list(
        Delivery.objects.filter(reminder_id__in=ids).order_by("reminder_id").values_list("status", flat=True)
    )
    assert statuses == [Delivery.Status.FAILED, Delivery.Status.DELIVERED]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.client_b.user.email]
    assert counting_mail.opened == 1  # one connection for the batch (closed and reopened after the failure)


def test_the_batch_sends_each_reminder_once_whatever_runs_twice(world: World) -> None:
    now = timezone.now()
    with_homework(world, world.client_a, now - dt.timedelta(minutes=5))
    reminder = due_reminder(world.client_a, now - dt.timedelta(minutes=5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert deliver_reminders([reminder.pk, reminder.pk]) == {"sent": 1, "already sent": 1}
    assert len(mail.outbox) == 1


# The real db_worker closes database connections between runs, so this test commits instead of rolling back.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_wake_and_its_batches(world: World) -> None:
    now = timezone.now()
    earlier = now - dt.timedelta(minutes=10)
    for client in (world.client_a, world.client_b):
        with_homework(world, client, earlier)
        sent_for = due_reminder(client, earlier).for_date
    tasks.wake_reminders.enqueue(now.isoformat())
    call_command("db_worker", "--batch", "--queue-name", "default")
    sent = ScheduledReminder.objects.filter(run_at=earlier).values_list("outcome", flat=True)
    assert list(sent) == ["sent", "sent"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.client_a.user.email, world.client_b.user.email]
    )
    # Each client's next reminder is queued, both on one new wake.
    # After the day the sent ones were for, not after today: sent just after midnight, the next is today's.
    following = ScheduledReminder.objects.filter(for_date__gt=sent_for)
    assert following.count() == 2 and len({r.task_id for r in following}) == 1


def test_a_batch_commits_without_waiting_for_the_disk_and_resets_it(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere commits have no such setting")
    now = timezone.now()
    with_homework(world, world.client_a, now - dt.timedelta(minutes=5))
    reminder = due_reminder(world.client_a, now - dt.timedelta(minutes=5))
    with CaptureQueriesContext(connection) as seen:
        assert deliver_reminders([reminder.pk]) == {"sent": 1}
    sql = [q["sql"] for q in seen.captured_queries]
    assert sql[0] == "SET synchronous_commit TO off" and sql[-1] == "RESET synchronous_commit"


def test_the_next_reminder_is_queued_in_the_transaction_that_marks_it_sent(
    world: World, monkeypatch: Any
) -> None:
    """A failure queuing the successor leaves the reminder unsent (a later wake sends it), not sent with no
    reminder ever again."""
    now = timezone.now()
    with_homework(world, world.client_a, now - dt.timedelta(minutes=5))
    reminder = due_reminder(world.client_a, now - dt.timedelta(minutes=5))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the task queue does not answer")

    monkeypatch.setattr(tasks, "schedule_next_reminders", broken)
    with pytest.raises(ConnectionError), TestCase.captureOnCommitCallbacks(execute=True):
        tasks.deliver_reminder(reminder.pk)
    reminder.refresh_from_db()
    assert reminder.sent_at is None and not mail.outbox


def test_one_failing_reminder_leaves_the_rest_of_its_batch_sent(world: World, monkeypatch: Any) -> None:
    now = timezone.now()
    for client in (world.client_a, world.client_b):
        with_homework(world, client, now - dt.timedelta(minutes=5))
    first, second = (due_reminder(c, now - dt.timedelta(minutes=5)) for c in (world.client_a, world.client_b))
    real = notification_services.link_for

    def failing_for_the_first(reminder_id: int) -> str:
        if reminder_id == first.pk:
            raise RuntimeError("a bug in one client's data")
        return real(reminder_id)

    # A fault inside the batch's transaction, for one reminder only: the batch is sent one at a time.
    monkeypatch.setattr(notification_services, "link_for", failing_for_the_first)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert deliver_reminders([first.pk, second.pk]) == {tasks.FAILED: 1, "sent": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is None and second.outcome == "sent"  # the first waits for the next wake
    assert [m.to for m in mail.outbox] == [[world.client_b.user.email]]
