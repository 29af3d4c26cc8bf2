"""Scheduling homework reminders at the time each client chose, through the Tasks API."""

from __future__ import annotations

import datetime as dt

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


def schedule_next_reminder(client: ClientProfile, now: dt.datetime | None = None) -> ScheduledReminder | None:
    """Make sure the next reminder is queued; calling it again changes nothing unless the time moved."""
    from emotipal.notifications.tasks import send_homework_reminder

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


def send_reminder(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Send one reminder if homework is still due; return what happened (stored as the outcome)."""
    now = now or clock.now()
    with transaction.atomic():
        reminder = (
            ScheduledReminder.objects.select_for_update()
            .select_related("client__user")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None:
            return "missing"
        if reminder.sent_at is not None:
            return "already sent"
        if now < reminder.run_at - EARLY_TOLERANCE:
            return "superseded"
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

            send_in_language(language_of(user), [user.email], render)
            note_reminders_sent([i.assignment for i in due], now)
        reminder.sent_at = now
        reminder.outcome = "sent" if due or questionnaires else "nothing due"
        reminder.save(update_fields=["sent_at", "outcome"])
        record(
            None, "reminder." + reminder.outcome.replace(" ", "_"), reminder, subject_user_id=client.user_id
        )
    schedule_next_reminder(client, now=max(now, reminder.run_at) + dt.timedelta(seconds=1))
    return reminder.outcome


def schedule_all_reminders(now: dt.datetime | None = None) -> int:
    """Queue the next reminder of every client who chose a time (run when a worker starts)."""
    count = 0
    for client in ClientProfile.objects.filter(reminder_time__isnull=False):
        if schedule_next_reminder(client, now) is not None:
            count += 1
    return count
