"""Homework reminders at the time each client chose: when the next one is due, and sending one."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.utils import translation

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.models import ClientProfile
from emotipal.homework.queries import today_items
from emotipal.homework.reviews import note_reminders_sent
from emotipal.measures.services import open_responses
from emotipal.notifications import wording
from emotipal.notifications.availability import availability
from emotipal.notifications.links import link_for
from emotipal.notifications.models import Delivery, PushSubscription, ReminderPreference, ScheduledReminder
from emotipal.notifications.preferences import local_time_for, preference_of, wanted_on
from emotipal.notifications.wording import Waiting
from emotipal.platform import clock, features
from emotipal.platform.audit.services import record

# A task that wakes up this long before its reminder's time belongs to an older schedule: the client has
# since moved their reminder later, and a newer task will send it.
EARLY_TOLERANCE = dt.timedelta(minutes=1)


def reminder_time(client: ClientProfile) -> dt.time | None:
    """The client's reminder time: the one their experiment's arm sets, else their own choice (None: none).

    An arm's time applies even to a client who chose no reminder time: a trial of reminder times (or of
    reminders on against off) needs every participant in the arm to get the arm's reminder, as the protocol
    they consented to says; the e-mail then says it comes with the study and how to leave it. An arm that
    turns reminders off still has its decision points at this time (see send_reminder), so the row of each
    day says why nothing was sent."""
    arm_time = features.value(client, "reminders")["time"]
    if arm_time:
        return dt.time.fromisoformat(arm_time)
    return client.reminder_time


def next_run_at(
    client: ClientProfile, now: dt.datetime, pref: ReminderPreference | None = None
) -> tuple[dt.date, dt.datetime] | None:
    """The client's next reminder moment: the first of their chosen weekdays (from today) whose reminder
    time is still ahead, moved to the end of their quiet hours when it falls inside them.

    Both the day and the time are the client's (their zone, else their clinic's), so the reminder keeps its
    local hour across a daylight-saving change; a time in the hour skipped in spring goes out one hour later
    on the wall clock that day (clock.at_local_time). The moment is returned in UTC and compared in UTC: two
    datetimes sharing one zone compare by wall clock, which is wrong in the repeated autumn hour.
    `pref`: the client's preference when the caller has read it already (else it is read here).
    """
    time = reminder_time(client)
    if time is None:
        return None
    pref = pref or preference_of(client)
    if not pref.weekdays:
        return None
    local = local_time_for(time, pref)
    zone = clock.zone_for_client(client)
    day = clock.local_today(zone, now)
    for _ in range(8):
        run_at = clock.at_local_time(day, local, zone)
        if run_at > now and wanted_on(day, pref):
            return day, run_at
        day += dt.timedelta(days=1)
    return None


@dataclass(frozen=True)
class Sent:
    """What happened to one reminder, and whose next reminder to queue after (None: nothing to queue)."""

    outcome: str
    client: ClientProfile | None = None
    after: dt.datetime | None = None
    pushes: tuple[PushJob, ...] = ()  # push deliveries for the caller to queue (tasks never imported here)
    pref: ReminderPreference | None = None  # the preference read, so queuing the next one reads it no more


@dataclass(frozen=True)
class PushJob:
    delivery_id: int
    title: str
    body: str
    link: str


# Outcomes of a reminder beyond "sent" and "nothing due" (stored on ScheduledReminder, audited as reminder.*).
OFF_IN_EXPERIMENT = "off in experiment"  # the client's experiment arm turns reminders off
NOT_RANDOMISED = "not randomised to send"  # a micro-randomised trial decided no reminder at this point


def send_reminder(reminder_id: int, now: dt.datetime | None = None) -> Sent:
    """Send one reminder if homework is still due; say what happened (stored as the outcome).

    The reminder follows the client's "reminders" feature (features.value): off in their experiment's arm,
    nothing is sent; otherwise it is worded as the arm says. Each run is a decision point of a micro-randomised
    trial the client may be in: its availability is computed here and the trial (research, through
    features.decide_reminder) decides; at an available point the e-mail goes out only if the trial says so.
    At an unavailable one the reminder does what it does outside a trial (there is no practice left to
    remind of; open questionnaires are still listed). What was done is told back (features.note_reminder_sent).

    The e-mail goes out once the row that says it was sent is committed, never while that row is locked.
    Queuing the client's next reminder is the caller's (notifications.tasks), so this module never imports
    the tasks that call it."""
    now = now or clock.now()
    pushes: tuple[PushJob, ...] = ()
    with transaction.atomic():
        reminder = (
            ScheduledReminder.objects.select_for_update()
            .select_related("client__user")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None:
            return Sent("missing")
        if reminder.sent_at is not None:
            return Sent("already sent")
        if now < reminder.run_at - EARLY_TOLERANCE:
            return Sent("superseded")
        client = reminder.client
        pref = preference_of(client)
        if not wanted_on(reminder.for_date, pref):
            # Queued before the client dropped this weekday: the task that queued the new day's sends.
            return Sent("not a chosen day")
        settings_ = features.value(client, "reminders")
        items = today_items(client, reminder.for_date)
        due = [item.assignment for item in items if item.due_today]
        questionnaires = open_responses(client)
        point = availability(client, reminder.for_date, now, settings_, [i.assignment for i in items], pref)
        decision = features.decide_reminder(client, reminder.for_date, now, point)
        if not settings_["enabled"]:
            outcome = OFF_IN_EXPERIMENT
        elif decision is not None and point.available and not decision.send:
            outcome = NOT_RANDOMISED
        elif due or questionnaires:
            outcome = "sent"
            waiting = Waiting(
                name=str(client.user),
                due=due,
                questionnaires=questionnaires,
                chosen_by_client=client.reminder_time is not None or not settings_["time"],
                link=link_for(reminder.pk),
            )
            pushes = queue_channels(reminder, waiting, str(settings_["wording"]), pref)
            note_reminders_sent(due, now)
        else:
            outcome = "nothing due"
        reminder.sent_at = now
        reminder.outcome = outcome
        reminder.save(update_fields=["sent_at", "outcome"])
        features.note_reminder_sent(decision, outcome)
        record(
            None, "reminder." + reminder.outcome.replace(" ", "_"), reminder, subject_user_id=client.user_id
        )
    after = max(now, reminder.run_at) + dt.timedelta(seconds=1)
    return Sent(reminder.outcome, client, after, pushes, pref)


def queue_channels(
    reminder: ScheduledReminder, waiting: Waiting, wording_key: str, pref: ReminderPreference
) -> tuple[PushJob, ...]:
    """One delivery row per channel the client chose: the e-mail goes out on commit, the pushes are returned
    for the caller to queue as tasks (each retried on its own). No channel chosen: no row, nothing sent."""
    client = reminder.client
    user = client.user
    if pref.by_email and user.email:
        email = Delivery.objects.create(reminder=reminder, channel=Delivery.Channel.EMAIL)
        transaction.on_commit(lambda: send_email(email.pk, user, waiting, wording_key))
    if not pref.by_push:
        return ()
    language = language_of(user)
    with translation.override(language):
        title, body = (str(part) for part in wording.push_text(waiting))
    jobs = []
    for sub in PushSubscription.objects.filter(client=client, active=True).order_by("pk"):
        delivery = Delivery.objects.create(reminder=reminder, channel=Delivery.Channel.PUSH, subscription=sub)
        jobs.append(PushJob(delivery.pk, title, body, waiting.link or ""))
    return tuple(jobs)


# The mail connection a batch of reminders shares (None: each e-mail opens its own).
_mail_connection: ContextVar[Any] = ContextVar("reminder_mail_connection", default=None)


@contextmanager
def shared_mail_connection() -> Iterator[None]:
    """E-mails sent inside share one connection to the mail server (opened at the first, closed at the end;
    after a failure the next e-mail opens a new one)."""
    connection = get_connection()
    token = _mail_connection.set(connection)
    try:
        yield
    finally:
        _mail_connection.reset(token)
        connection.close()


def send_email(delivery_id: int, user: Any, waiting: Waiting, wording_key: str) -> None:
    """Send the e-mail and say on its row whether the mail server took it (a refusal is kept, not raised:
    the reminder row is committed already, and the push channel may still reach the client)."""
    connection = _mail_connection.get()
    try:
        send_in_language(
            language_of(user), [user.email], lambda: wording.render(wording_key, waiting), connection
        )
    except (OSError, smtplib.SMTPException) as exc:
        if connection is not None:
            connection.close()  # a broken connection: the next e-mail opens a new one
        status, answer = Delivery.Status.FAILED, str(exc)[:2000]
    else:
        status, answer = Delivery.Status.DELIVERED, ""
    now = clock.now()
    Delivery.objects.filter(pk=delivery_id).update(
        status=status, sent_at=now, finished_at=now, service_answer=answer
    )
