"""Background tasks (Django Tasks API): the same code runs on the database backend or on RQ.

Queuing a client's next reminder lives here beside the task it queues; sending one is in services.py.

Reminders are not one task each: every reminder due at one moment (clients who chose 08:00 in one zone share
it) is sent by one wake task queued for that moment, which splits them into batches of BATCH_SIZE, each a
task on whichever worker is free. A task per reminder cost more than the reminder's own work (RQ's overhead
alone was 38 s for 10,000 tasks on two workers: bench/bench_reminders.py), and a batch shares one SMTP
connection. A wake also sends what an earlier wake of the last CATCH_UP missed (its task lost with Redis).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence

from django.db import transaction
from django.db.models import Q
from django_tasks import task

from emotipal.accounts.models import ClientProfile
from emotipal.notifications.models import ReminderPreference, ScheduledReminder
from emotipal.notifications.preferences import preferences_of_many
from emotipal.notifications.push import Payload, backoff, push_many
from emotipal.notifications.services import PushJob, next_run_at, send_reminders, shared_mail_connection
from emotipal.platform import clock, features
from emotipal.platform.bulk import update_each
from emotipal.platform.commits import without_waiting_for_the_disk

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # reminders per task: a few seconds of a worker, and enough tasks for every worker
CATCH_UP = dt.timedelta(hours=1)  # how far back a wake looks for reminders still unsent
FAILED = "failed"  # a batch's count of reminders whose sending raised (left unsent for the next wake)


def deliver_reminder(
    reminder_id: int,
    now: dt.datetime | None = None,
    push: Callable[[Sequence[PushJob]], object] | None = None,
    wakes: dict[dt.datetime, str] | None = None,
) -> str:
    """Send one reminder (if homework is still due) and queue the client's next one: a batch of one
    (_deliver), its pushes each a task of its own unless `push` sends them."""
    return _deliver([reminder_id], now, push or _push_tasks, wakes if wakes is not None else {})[0]


def _deliver(
    reminder_ids: Sequence[int],
    now: dt.datetime | None,
    push: Callable[[Sequence[PushJob]], object],
    wakes: dict[dt.datetime, str],
) -> list[str]:
    """Send reminders and queue their clients' next ones, in one transaction: a reminder is marked sent only
    with its successor queued, and the e-mails and pushes go out after the commit. Each one's outcome.

    `push` sends the push deliveries (a batch sends them in its own task, and only a retry becomes a task);
    `wakes` the wake tasks queued already, by moment."""
    with transaction.atomic():
        sents = send_reminders(reminder_ids, now)
        schedule_next_reminders([(s.client, s.after, s.pref) for s in sents if s.client is not None], wakes)
    jobs = [job for sent in sents for job in sent.pushes]
    if jobs:
        push(jobs)
    return [sent.outcome for sent in sents]


def deliver_reminders(reminder_ids: Iterable[int], now: dt.datetime | None = None) -> dict[str, int]:
    """Send a batch of reminders in one transaction, over one SMTP connection, pushes sent here, the commit
    not waiting for the disk (platform.commits: a database crash may send a reminder twice); how many ended
    with each outcome.

    When the batch fails, its transaction rolls back and each of its reminders is sent alone, in its own
    transaction: one that fails again is logged and counted as FAILED, and the rest go on; it is still
    unsent, and the next wake within CATCH_UP tries it again."""
    ids = list(reminder_ids)
    with shared_mail_connection(), without_waiting_for_the_disk():
        try:
            outcomes = _deliver(ids, now, deliver_pushes, {})
        except Exception:  # one reminder's error must not keep the rest of the batch from their clients
            log.exception("a batch of %s reminders failed; sending them one at a time", len(ids))
            outcomes = [_deliver_alone(reminder_id, now) for reminder_id in ids]
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _deliver_alone(reminder_id: int, now: dt.datetime | None) -> str:
    # Its own wakes: those the failed batch queued were rolled back with it (database backend).
    try:
        return deliver_reminder(reminder_id, now, push=deliver_pushes)
    except Exception:
        log.exception("reminder %s failed; a later wake tries it again", reminder_id)
        return FAILED


def wake_due_reminders(moment: dt.datetime) -> int:
    """Queue a task per batch of the reminders due at `moment` (and those of the CATCH_UP before it that
    are still unsent); the number of reminders queued. Two wakes, or a wake and a retried batch, never send
    one reminder twice: each is sent under its row's lock, and a second attempt finds it sent (the one
    exception is a database crash losing the last commits: deliver_reminders)."""
    due = list(
        ScheduledReminder.objects.filter(
            sent_at__isnull=True, run_at__lte=moment, run_at__gt=moment - CATCH_UP
        )
        .order_by("run_at", "pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(due), BATCH_SIZE):
        send_homework_reminders.enqueue(due[start : start + BATCH_SIZE])
    return len(due)


def _push_tasks(jobs: Sequence[PushJob]) -> None:
    for job in jobs:
        send_push.enqueue(job.delivery_id, job.title, job.body, job.link)


def deliver_push(delivery_id: int, title: str, body: str, link: str) -> bool:
    """One push attempt; when the service asked for patience (429, 5xx, unreachable), queue the next one
    after a growing wait, up to push.MAX_RETRIES. True when another attempt was queued."""
    return bool(deliver_pushes([PushJob(delivery_id, title, body, link)]))


def deliver_pushes(jobs: Sequence[PushJob]) -> list[PushJob]:
    """One attempt of each push (push.push_many); each the service asked to wait for queued again after a
    growing wait, up to push.MAX_RETRIES. The pushes queued again."""
    again = push_many([(job.delivery_id, Payload(job.title, job.body, job.link)) for job in jobs])
    retried = [job for job in jobs if job.delivery_id in again]
    for job in retried:
        retries = again[job.delivery_id]
        send_push.using(run_after=clock.now() + backoff(retries - 1)).enqueue(
            job.delivery_id, job.title, job.body, job.link
        )
    return retried


@task()
def send_push(delivery_id: int, title: str, body: str, link: str) -> bool:
    return deliver_push(delivery_id, title, body, link)


@task()
def send_homework_reminder(reminder_id: int) -> str:
    """One reminder: the tasks queued before reminders were sent in batches. A reminder queued since for the
    same moment may have taken this task's id as its wake (_wake_at), so it wakes that moment's others too."""
    outcome = deliver_reminder(reminder_id)
    moment = ScheduledReminder.objects.filter(pk=reminder_id).values_list("run_at", flat=True).first()
    if moment is not None:
        wake_due_reminders(moment)
    return outcome


@task()
def send_homework_reminders(reminder_ids: list[int]) -> dict[str, int]:
    return deliver_reminders(reminder_ids)


@task()
def wake_reminders(moment: str) -> int:
    return wake_due_reminders(dt.datetime.fromisoformat(moment))


def schedule_next_reminder(
    client: ClientProfile,
    now: dt.datetime | None = None,
    pref: ReminderPreference | None = None,
    wakes: dict[dt.datetime, str] | None = None,
) -> ScheduledReminder | None:
    """Make sure the next reminder is queued; calling it again changes nothing unless the time moved."""
    queued = schedule_next_reminders([(client, now, pref)], wakes if wakes is not None else {})
    return queued.get(client.pk)


def schedule_next_reminders(
    clients: Sequence[tuple[ClientProfile, dt.datetime | None, ReminderPreference | None]],
    wakes: dict[dt.datetime, str],
) -> dict[int, ScheduledReminder]:
    """schedule_next_reminder for many clients (each with the moment after which, and their preference when
    read already), their rows locked and written a few queries for all; the reminders queued, by client id."""
    moments = []
    for client, now, pref in clients:
        moment = next_run_at(client, now or clock.now(), pref)
        if moment is not None:
            moments.append((client, *moment))
    return _queue(moments, wakes)


def _queue(
    moments: Sequence[tuple[ClientProfile, dt.date, dt.datetime]], wakes: dict[dt.datetime, str]
) -> dict[int, ScheduledReminder]:
    """Queue each client's reminder of that day at that moment (its row made if missing, else moved, under
    the row's lock); a row queued for that very moment already is left as it is. The reminders, by client."""
    if not moments:
        return {}
    wanted = {(client.pk, day): run_at for client, day, run_at in moments}
    with transaction.atomic():
        rows = _locked(wanted)
        missing = [
            ScheduledReminder(client=c, for_date=day, run_at=run_at, task_id=_wake_at(run_at, wakes))
            for c, day, run_at in moments
            if (c.pk, day) not in rows
        ]
        if missing:
            # Another process may make one of them meanwhile: its row is kept, then found and moved below.
            ScheduledReminder.objects.bulk_create(missing, ignore_conflicts=True)
            rows |= _locked({(r.client_id, r.for_date): r.run_at for r in missing})
        moved = []
        for key, run_at in wanted.items():
            reminder = rows[key]
            if not _queued_already(reminder, run_at):
                reminder.run_at = run_at
                reminder.task_id = _wake_at(run_at, wakes)
                moved.append(reminder)
        update_each(moved, ["run_at", "task_id"])
    return {client_id: rows[(client_id, day)] for client_id, day in wanted}


def _locked(keys: Iterable[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], ScheduledReminder]:
    """The reminder rows of these (client id, day) pairs that exist, locked, in id order."""
    by_day: dict[dt.date, list[int]] = {}
    for client_id, day in keys:
        by_day.setdefault(day, []).append(client_id)
    which = Q()
    for day, client_ids in by_day.items():
        which |= Q(for_date=day, client_id__in=client_ids)
    rows = ScheduledReminder.objects.select_for_update().filter(which).order_by("pk")
    return {(r.client_id, r.for_date): r for r in rows}


def _wake_at(run_at: dt.datetime, wakes: dict[dt.datetime, str]) -> str:
    """The id of a wake task queued for `run_at`: one another reminder of the same moment has, one this
    batch queued, else a new one. Two clients queued at once may both queue one; the second wake finds their
    reminders sent."""
    if run_at not in wakes:
        shared = (
            ScheduledReminder.objects.filter(run_at=run_at, sent_at__isnull=True)
            .exclude(task_id="")
            .values_list("task_id", flat=True)
            .first()
        )
        wakes[run_at] = shared or str(wake_reminders.using(run_after=run_at).enqueue(run_at.isoformat()).id)
    return wakes[run_at]


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
    through the locked path (_queue), a few queries for the whole batch."""
    now = now or clock.now()
    count = 0
    clients = ClientProfile.objects.select_related("clinic").order_by("pk")
    last = 0
    wakes: dict[dt.datetime, str] = {}
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
        to_queue = []
        for client in batch:
            moment = moments[client.pk]
            if moment is None:
                continue
            count += 1
            there = existing.get((client.pk, moment[0]))
            if there is None or not _queued_already(there, moment[1]):
                to_queue.append((client, *moment))
        _queue(to_queue, wakes)
    return count
