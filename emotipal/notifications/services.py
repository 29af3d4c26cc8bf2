"""Homework reminders at the time each client chose: when the next one is due, and sending one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.models import ClientProfile
from emotipal.homework.queries import today_items
from emotipal.homework.reviews import note_reminders_sent
from emotipal.measures.services import open_responses
from emotipal.notifications.models import ScheduledReminder
from emotipal.platform import clock
from emotipal.platform.audit.services import record

# A task that wakes up this long before its reminder's time belongs to an older schedule: the client has
# since moved their reminder later, and a newer task will send it.
EARLY_TOLERANCE = dt.timedelta(minutes=1)


def next_run_at(client: ClientProfile, now: dt.datetime) -> tuple[dt.date, dt.datetime] | None:
    """The client's next reminder moment: today at their chosen time if still ahead, else tomorrow.

    Both the day and the time are the client's (their zone, else their clinic's), so the reminder keeps its
    local hour across a daylight-saving change. The moment is returned in UTC and compared in UTC: two
    datetimes sharing one zone compare by wall clock, which is wrong in the repeated autumn hour.
    """
    if client.reminder_time is None:
        return None
    zone = clock.zone_for_client(client)
    day = clock.local_today(zone, now)
    run_at = clock.at_local_time(day, client.reminder_time, zone)
    if run_at <= now:
        day += dt.timedelta(days=1)
        run_at = clock.at_local_time(day, client.reminder_time, zone)
    return day, run_at


@dataclass(frozen=True)
class Sent:
    """What happened to one reminder, and whose next reminder to queue after (None: nothing to queue)."""

    outcome: str
    client: ClientProfile | None = None
    after: dt.datetime | None = None


def send_reminder(reminder_id: int, now: dt.datetime | None = None) -> Sent:
    """Send one reminder if homework is still due; say what happened (stored as the outcome).

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
        due = [item for item in today_items(client, reminder.for_date) if item.due_today]
        questionnaires = open_responses(client)
        if due or questionnaires:
            user = client.user

            def render() -> tuple[str, str]:
                # Inside the client's language: gettext here, and the template's and questionnaire's labels.
                lines = "\n".join(
                    [
                        f"- {i.assignment.template_version.title} ({i.assignment.minutes_per_practice} min)"
                        for i in due
                    ]
                    + [f"- {_('Questionnaire')}: {r.instrument_version.name}" for r in questionnaires]
                )
                subject = _("Your EmotiPal practice for today")
                body = _(
                    "Hello %(name)s,\n\nHere is what is waiting for you today:\n%(lines)s\n\n"
                    "Open %(today)s: %(url)s\n\n"
                    "You chose to get this reminder. You can change its time or turn it off in %(settings)s.\n"
                ) % {
                    "name": user,
                    "lines": lines,
                    "today": _("Today"),
                    "url": f"{settings.SITE_URL}{reverse('today')}",
                    "settings": _("Settings"),
                }
                return subject, body

            transaction.on_commit(lambda: send_in_language(language_of(user), [user.email], render))
            note_reminders_sent([i.assignment for i in due], now)
        reminder.sent_at = now
        reminder.outcome = "sent" if due or questionnaires else "nothing due"
        reminder.save(update_fields=["sent_at", "outcome"])
        record(
            None, "reminder." + reminder.outcome.replace(" ", "_"), reminder, subject_user_id=client.user_id
        )
    return Sent(reminder.outcome, client, max(now, reminder.run_at) + dt.timedelta(seconds=1))
