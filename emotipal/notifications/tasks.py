"""Background tasks (Django Tasks API): the same code runs on the database backend or on RQ.

Queuing a client's next reminder lives here beside the task it queues; sending one is in services.py.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks import task

from emotipal.accounts.models import ClientProfile
from emotipal.notifications.models import Delivery, ReminderPreference, ScheduledReminder
from emotipal.notifications.preferences import preferences_of_many
from emotipal.notifications.push import Payload, backoff, push_once
from emotipal.notifications.services import next_run_at, send_reminder
from emotipal.platform import clock, features


def deliver_reminder(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Send one reminder (if homework is still due) and queue the client's next one."""
    sent = send_reminder(reminder_id, now)
    for job in sent.pushes:
        send_push.enqueue(job.delivery_id, job.title, job.body, job.link)
    if sent.client is not None:
        schedule_next_reminder(sent.client, now=sent.after, pref=sent.pref)
    return sent.outcome


def deliver_push(delivery_id: int, title: str, body: str, link: str) -> bool:
    """One push attempt; when the service asked for patience (429, 5xx, unreachable), queue the next one
    after a growing wait, up to push.MAX_RETRIES. True when another attempt was queued."""
    again = push_once(delivery_id, Payload(title, body, link))
    if again:
        retries = Delivery.objects.values_list("retries", flat=True).get(pk=delivery_id)
        send_push.using(run_after=clock.now() + backoff(retries - 1)).enqueue(delivery_id, title, body, link)
    return again


@task()
def send_push(delivery_id: int, title: str, body: str, link: str) -> bool:
    return deliver_push(delivery_id, title, body, link)


@task()
def send_homework_reminder(reminder_id: int) -> str:
    return deliver_reminder(reminder_id)


def schedule_next_reminder(
    client: ClientProfile, now: dt.datetime | None = None, pref: ReminderPreference | None = None
) -> ScheduledReminder | None:
    """Make sure the next reminder is queued; calling it again changes nothing unless the time moved."""
    moment = next_run_at(client, now or clock.now(), pref)
    if moment is None:
        return None
    return _queue(client, *moment)


def _queue(client: ClientProfile, day: dt.date, run_at: dt.datetime) -> ScheduledReminder:
    with transaction.atomic():
        reminder, _ = ScheduledReminder.objects.select_for_update().get_or_create(
            client=client, for_date=day, defaults={"run_at": run_at}
        )
        if _queued_already(reminder, run_at):  # a row just created has no task yet
            return reminder
        reminder.run_at = run_at
        result = send_homework_reminder.using(run_after=run_at).enqueue(reminder.pk)
        reminder.task_id = str(result.id)
        reminder.save(update_fields=["run_at", "task_id"])
    return reminder


def _queued_already(reminder: ScheduledReminder, run_at: dt.datetime) -> bool:
    """Sent already, or its task is queued for this very moment: nothing to do."""
    return reminder.sent_at is not None or (reminder.run_at == run_at and bool(reminder.task_id))


# Clients read per batch: their preferences, experiment arms and reminder rows one query each per batch.
BATCH = 1000


def schedule_all_reminders(now: dt.datetime | None = None) -> int:
    """Queue the next reminder of every client with a reminder time (run when a worker starts); the number
    of clients whose next reminder is queued.

    The time is the client's own or their experiment arm's (services.reminder_time), so every client is
    asked; preferences, arms and the reminder rows already there are read for a batch of clients at a time.
    A client whose next reminder is queued for the same moment already costs no more queries; the others go
    through the locked, one-client path (_queue)."""
    now = now or clock.now()
    count = 0
    clients = ClientProfile.objects.select_related("clinic").order_by("pk")
    last = 0
    while batch := list(clients.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        features.preload(batch)
        prefs = preferences_of_many(batch)
        moments = {c.pk: next_run_at(c, now, prefs[c.pk]) for c in batch}
        days = {m[0] for m in moments.values() if m is not None}
        existing = {
            (r.client_id, r.for_date): r
            for r in ScheduledReminder.objects.filter(client__in=[c.pk for c in batch], for_date__in=days)
        }
        for client in batch:
            moment = moments[client.pk]
            if moment is None:
                continue
            count += 1
            there = existing.get((client.pk, moment[0]))
            if there is None or not _queued_already(there, moment[1]):
                _queue(client, *moment)
    return count
