"""Homework reminders at the time each client chose: when the next one is due, and sending one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.models import ClientProfile
from emotipal.homework.queries import today_items
from emotipal.homework.reviews import note_reminders_sent
from emotipal.measures.services import open_responses
from emotipal.notifications import wording
from emotipal.notifications.availability import availability
from emotipal.notifications.models import ScheduledReminder
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


def next_run_at(client: ClientProfile, now: dt.datetime) -> tuple[dt.date, dt.datetime] | None:
    """The client's next reminder moment: today at their reminder time if still ahead, else tomorrow.

    Both the day and the time are the client's (their zone, else their clinic's), so the reminder keeps its
    local hour across a daylight-saving change. The moment is returned in UTC and compared in UTC: two
    datetimes sharing one zone compare by wall clock, which is wrong in the repeated autumn hour.
    """
    time = reminder_time(client)
    if time is None:
        return None
    zone = clock.zone_for_client(client)
    day = clock.local_today(zone, now)
    run_at = clock.at_local_time(day, time, zone)
    if run_at <= now:
        day += dt.timedelta(days=1)
        run_at = clock.at_local_time(day, time, zone)
    return day, run_at


@dataclass(frozen=True)
class Sent:
    """What happened to one reminder, and whose next reminder to queue after (None: nothing to queue)."""

    outcome: str
    client: ClientProfile | None = None
    after: dt.datetime | None = None


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
        settings_ = features.value(client, "reminders")
        items = today_items(client, reminder.for_date)
        due = [item.assignment for item in items if item.due_today]
        questionnaires = open_responses(client)
        point = availability(client, reminder.for_date, now, settings_, [i.assignment for i in items])
        decision = features.decide_reminder(client, reminder.for_date, now, point)
        if not settings_["enabled"]:
            outcome = OFF_IN_EXPERIMENT
        elif decision is not None and point.available and not decision.send:
            outcome = NOT_RANDOMISED
        elif due or questionnaires:
            outcome = "sent"
            user = client.user
            waiting = Waiting(
                name=str(user),
                due=due,
                questionnaires=questionnaires,
                chosen_by_client=client.reminder_time is not None or not settings_["time"],
            )
            wording_key = str(settings_["wording"])
            transaction.on_commit(
                lambda: send_in_language(
                    language_of(user), [user.email], lambda: wording.render(wording_key, waiting)
                )
            )
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
    return Sent(reminder.outcome, client, max(now, reminder.run_at) + dt.timedelta(seconds=1))
