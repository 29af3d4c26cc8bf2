"""Background tasks (Django Tasks API): the same code runs on the database backend or on RQ.

Queuing a client's next reminder lives here beside the task it queues; sending one is in services.py.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks import task

from emotipal.accounts.models import ClientProfile
from emotipal.notifications.models import Delivery, ScheduledReminder
from emotipal.notifications.push import Payload, backoff, push_once
from emotipal.notifications.services import next_run_at, send_reminder
from emotipal.platform import clock


def deliver_reminder(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Send one reminder (if homework is still due) and queue the client's next one."""
    sent = send_reminder(reminder_id, now)
    for job in sent.pushes:
        send_push.enqueue(job.delivery_id, job.title, job.body, job.link)
    if sent.client is not None:
        schedule_next_reminder(sent.client, now=sent.after)
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


def schedule_next_reminder(client: ClientProfile, now: dt.datetime | None = None) -> ScheduledReminder | None:
    """Make sure the next reminder is queued; calling it again changes nothing unless the time moved."""
    moment = next_run_at(client, now or clock.now())
    if moment is None:
        return None
    day, run_at = moment
    with transaction.atomic():
        reminder, created = ScheduledReminder.objects.select_for_update().get_or_create(
            client=client, for_date=day, defaults={"run_at": run_at}
        )
        if reminder.sent_at is not None or (not created and reminder.run_at == run_at and reminder.task_id):
            return reminder
        reminder.run_at = run_at
        result = send_homework_reminder.using(run_after=run_at).enqueue(reminder.pk)
        reminder.task_id = str(result.id)
        reminder.save(update_fields=["run_at", "task_id"])
    return reminder


def schedule_all_reminders(now: dt.datetime | None = None) -> int:
    """Queue the next reminder of every client with a reminder time (run when a worker starts).

    The time is the client's own or their experiment arm's (services.reminder_time), and only the feature
    registry knows the arm's, so every client is asked: one query each, once per worker start."""
    count = 0
    for client in ClientProfile.objects.select_related("clinic").order_by("pk").iterator():
        if schedule_next_reminder(client, now) is not None:
            count += 1
    return count
