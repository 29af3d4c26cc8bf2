"""Homework reminders at the time each client chose: when the next one is due, and sending one."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import translation

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment
from emotipal.homework.queries import TodayItem, today_items_of_many
from emotipal.homework.reviews import note_reminders_sent
from emotipal.measures.models import Response
from emotipal.measures.services import open_responses_of_many
from emotipal.notifications import wording
from emotipal.notifications.availability import Point, availability_of_many
from emotipal.notifications.links import link_for
from emotipal.notifications.models import Delivery, PushSubscription, ReminderPreference, ScheduledReminder
from emotipal.notifications.preferences import local_time_for, preference_of, preferences_of_many, wanted_on
from emotipal.notifications.wording import Waiting
from emotipal.platform import clock, features
from emotipal.platform.audit.services import event_for, record_each
from emotipal.platform.bulk import update_each
from emotipal.platform.features import DecisionAsk

log = logging.getLogger(__name__)

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
    """Send one reminder if homework is still due: a batch of one (send_reminders)."""
    return send_reminders([reminder_id], now)[0]


def send_reminders(reminder_ids: Sequence[int], now: dt.datetime | None = None) -> list[Sent]:
    """Send each reminder whose homework is still due, in one transaction for the batch; say what happened
    to each, in order (the outcome is stored on its row).

    A reminder follows the client's "reminders" feature (features.value): off in their experiment's arm,
    nothing is sent; otherwise it is worded as the arm says. Each run is a decision point of a micro-randomised
    trial the client may be in: its availability is computed here and the trial (research, through
    features.decide_reminders) decides; at an available point the e-mail goes out only if the trial says so.
    At an unavailable one the reminder does what it does outside a trial (there is no practice left to
    remind of; open questionnaires are still listed). What was done is told back (features.note_reminders_sent).

    The batch reads what its reminders need with a query per kind (preferences, homework, questionnaires,
    practices done, decisions) and writes its rows in bulk, so its queries do not grow with its size. The
    e-mails go out once the rows that say they were sent are committed, never while those rows are locked.
    Queuing each client's next reminder is the caller's (notifications.tasks), so this module never imports
    the tasks that call it."""
    now = now or clock.now()
    # No savepoint of its own: its caller's transaction (which also queues the next reminders) is all or none.
    with transaction.atomic(savepoint=False):
        locked = _lock(reminder_ids)
        found = {pk: _settled(reminder, now) for pk, reminder in locked.items()}
        waiting = [reminder for pk, reminder in locked.items() if found[pk] is None]
        prefs = preferences_of_many([reminder.client for reminder in waiting])
        for reminder in waiting:
            if not wanted_on(reminder.for_date, prefs[reminder.client_id]):
                # Queued before the client dropped this weekday: the task that queued the new day's sends.
                found[reminder.pk] = Sent("not a chosen day")
        found.update(_send([r for r in waiting if found[r.pk] is None], prefs, now))
    return _in_order(reminder_ids, found)


def _lock(reminder_ids: Sequence[int]) -> dict[int, ScheduledReminder]:
    """The batch's reminder rows, locked (each with its client and user) in id order: two batches that share
    reminders take their locks in one order, so the second waits for the first instead of deadlocking, then
    finds those reminders sent."""
    rows = (
        ScheduledReminder.objects.select_for_update()
        .select_related("client__user")
        .filter(pk__in=set(reminder_ids))
        .order_by("pk")
    )
    return {reminder.pk: reminder for reminder in rows}


def _settled(reminder: ScheduledReminder, now: dt.datetime) -> Sent | None:
    """What a reminder that is not to be sent now gets (None: it is to be sent, if its day is still chosen)."""
    if reminder.sent_at is not None:
        return Sent("already sent")
    if now < reminder.run_at - EARLY_TOLERANCE:
        return Sent("superseded")
    return None


def _in_order(reminder_ids: Sequence[int], found: dict[int, Sent | None]) -> list[Sent]:
    """Each id's outcome, in order; an id given twice finds the second time what the first left: a sent
    reminder is "already sent", one left unsent gets the same outcome again (with nothing more to queue)."""
    seen: set[int] = set()
    sents = []
    for reminder_id in reminder_ids:
        sent = found.get(reminder_id) or Sent("missing")
        if reminder_id in seen:
            sent = Sent("already sent" if sent.client is not None else sent.outcome)
        seen.add(reminder_id)
        sents.append(sent)
    return sents


def _send(
    reminders: list[ScheduledReminder], prefs: dict[int, ReminderPreference], now: dt.datetime
) -> dict[int, Sent]:
    """Decide, send (queue the channels of) and mark sent each of these reminders, due and on a chosen day."""
    if not reminders:
        return {}
    clients = [reminder.client for reminder in reminders]
    _read_clinics(clients)
    features.preload(clients)
    settings_ = {r.pk: features.value(r.client, "reminders") for r in reminders}
    items = _today_items(reminders)
    questionnaires = open_responses_of_many(clients)
    points = availability_of_many(
        [
            Point(
                r.client, r.for_date, settings_[r.pk], [i.assignment for i in items[r.pk]], prefs[r.client_id]
            )
            for r in reminders
        ],
        now,
    )
    decisions = features.decide_reminders(
        [DecisionAsk(r.client, r.for_date, now, point) for r, point in zip(reminders, points, strict=True)]
    )
    letters: list[Letter] = []
    due_all: list[Assignment] = []
    for reminder, point, decision in zip(reminders, points, decisions, strict=True):
        due = [item.assignment for item in items[reminder.pk] if item.due_today]
        letter = _letter(reminder, settings_[reminder.pk], prefs[reminder.client_id], due, questionnaires)
        reminder.outcome = _outcome(settings_[reminder.pk], point, decision, letter)
        if reminder.outcome == "sent" and letter is not None:
            letters.append(letter)
            due_all.extend(due)
        reminder.sent_at = now
    pushes = queue_channels(letters)
    note_reminders_sent(due_all, now)
    update_each(reminders, ["sent_at", "outcome"])
    features.note_reminders_sent([(d, r.outcome) for r, d in zip(reminders, decisions, strict=True)])
    record_each(
        event_for(None, "reminder." + r.outcome.replace(" ", "_"), r, subject_user_id=r.client.user_id)
        for r in reminders
    )
    return {
        r.pk: Sent(
            r.outcome,
            r.client,
            max(now, r.run_at) + dt.timedelta(seconds=1),
            pushes.get(r.pk, ()),
            prefs[r.client_id],
        )
        for r in reminders
    }


def _read_clinics(clients: list[ClientProfile]) -> None:
    """Load, in one query, the clinics of the clients without a zone of their own (theirs is the clinic's)."""
    zoneless = [c for c in clients if clock.zone(c.timezone) is None]
    if zoneless:
        prefetch_related_objects(zoneless, "clinic")


def _today_items(reminders: list[ScheduledReminder]) -> dict[int, list[TodayItem]]:
    """Each reminder's Today (by reminder id) on its own day: a query or two per day in the batch (one day,
    unless a wake catches up across a client's midnight)."""
    by_day: dict[dt.date, list[ScheduledReminder]] = {}
    for reminder in reminders:
        by_day.setdefault(reminder.for_date, []).append(reminder)
    items: dict[int, list[TodayItem]] = {}
    for day, same_day in by_day.items():
        found = today_items_of_many([r.client for r in same_day], day)
        items.update({r.pk: found[r.client_id] for r in same_day})
    return items


def _letter(
    reminder: ScheduledReminder,
    settings_: dict[str, Any],
    pref: ReminderPreference,
    due: list[Assignment],
    questionnaires: dict[int, list[Response]],
) -> Letter | None:
    """What the reminder would say, when there is anything to say (None: nothing is waiting)."""
    client = reminder.client
    waiting_for = questionnaires[client.pk]
    if not due and not waiting_for:
        return None
    waiting = Waiting(
        name=str(client.user),
        due=due,
        questionnaires=waiting_for,
        chosen_by_client=client.reminder_time is not None or not settings_["time"],
        link=link_for(reminder.pk),
    )
    return Letter(reminder, waiting, str(settings_["wording"]), pref)


def _outcome(
    settings_: dict[str, Any],
    point: features.Availability,
    decision: features.ReminderDecision | None,
    letter: Letter | None,
) -> str:
    if not settings_["enabled"]:
        return OFF_IN_EXPERIMENT
    if decision is not None and point.available and not decision.send:
        return NOT_RANDOMISED
    return "sent" if letter is not None else "nothing due"


@dataclass(frozen=True)
class Letter:
    """A reminder to send: what it says, in which wording, through the channels the client chose."""

    reminder: ScheduledReminder
    waiting: Waiting
    wording: str
    pref: ReminderPreference


@dataclass(frozen=True)
class Email:
    delivery: Delivery
    user: Any
    waiting: Waiting
    wording: str


def queue_channels(letters: Sequence[Letter]) -> dict[int, tuple[PushJob, ...]]:
    """One delivery row per channel each client chose (one INSERT for the batch): the e-mails go out on
    commit, the pushes are returned (by reminder id) for the caller to send or queue (each retried on its
    own). No channel chosen: no row, nothing sent."""
    subscriptions = _subscriptions([letter.reminder.client for letter in letters if letter.pref.by_push])
    rows: list[Delivery] = []
    emails: list[Email] = []
    pushes: list[tuple[int, Delivery, str, str, str]] = []
    for letter in letters:
        client = letter.reminder.client
        user = client.user
        if letter.pref.by_email and user.email:
            email = Delivery(reminder=letter.reminder, channel=Delivery.Channel.EMAIL)
            rows.append(email)
            emails.append(Email(email, user, letter.waiting, letter.wording))
        if not letter.pref.by_push:
            continue
        with translation.override(language_of(user)):
            title, body = (str(part) for part in wording.push_text(letter.waiting))
        for sub in subscriptions.get(client.pk, []):
            delivery = Delivery(reminder=letter.reminder, channel=Delivery.Channel.PUSH, subscription=sub)
            rows.append(delivery)
            pushes.append((letter.reminder.pk, delivery, title, body, letter.waiting.link or ""))
    Delivery.objects.bulk_create(rows)
    if emails:
        transaction.on_commit(lambda: send_emails(emails))
    jobs: dict[int, tuple[PushJob, ...]] = {}
    for reminder_id, delivery, title, body, link in pushes:
        jobs[reminder_id] = (*jobs.get(reminder_id, ()), PushJob(delivery.pk, title, body, link))
    return jobs


def _subscriptions(clients: list[ClientProfile]) -> dict[int, list[PushSubscription]]:
    """The clients' active push subscriptions (by client id, oldest first), in one query."""
    found: dict[int, list[PushSubscription]] = {}
    if clients:
        subs = PushSubscription.objects.filter(client__in=[c.pk for c in clients], active=True).order_by("pk")
        for sub in subs:
            found.setdefault(sub.client_id, []).append(sub)
    return found


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


def send_emails(emails: Sequence[Email]) -> None:
    """Send the e-mails and say on each row whether the mail server took it, all rows in one UPDATE (a
    refusal is kept, not raised: the reminder rows are committed already, and the push channel may still
    reach the client)."""
    connection = _mail_connection.get()
    done = []
    for email in emails:
        try:
            send_in_language(
                language_of(email.user),
                [email.user.email],
                partial(wording.render, email.wording, email.waiting),
                connection,
            )
        except (OSError, smtplib.SMTPException) as exc:
            if connection is not None:
                connection.close()  # a broken connection: the next e-mail opens a new one
            status, answer = Delivery.Status.FAILED, str(exc)[:2000]
        except Exception:  # a bug in one e-mail must not keep the rest of the batch from their clients
            log.exception("reminder e-mail %s failed; its row stays queued", email.delivery.pk)
            continue
        else:
            status, answer = Delivery.Status.DELIVERED, ""
        delivery = email.delivery
        delivery.status, delivery.service_answer = status, answer
        delivery.sent_at = delivery.finished_at = clock.now()
        done.append(delivery)
    update_each(done, ["status", "sent_at", "finished_at", "service_answer"])
