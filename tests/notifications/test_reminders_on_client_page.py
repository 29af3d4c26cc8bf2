"""The care team sees whether a client's reminders are on, when, by which channels, and whether they arrive
(the last four weeks); never the other clinic's client."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from emotipal.notifications.models import Delivery, ReminderPreference, ScheduledReminder
from tests.factories import World


def test_the_client_page_says_how_reminders_go(world: World) -> None:
    http = world.login(world.therapist)
    page = http.get(f"/clients/{world.client_a.pk}/").content.decode()
    assert "Reminders are off." in page  # no time chosen
    world.client_a.reminder_time = dt.time(19, 0)
    world.client_a.save()
    ReminderPreference.objects.create(client=world.client_a, by_email=True, by_push=True)
    now = timezone.now()
    for days_ago, status in ((2, "delivered"), (3, "delivered"), (4, "failed"), (40, "failed")):
        reminder = ScheduledReminder.objects.create(
            client=world.client_a,
            for_date=(now - dt.timedelta(days=days_ago)).date(),
            run_at=now - dt.timedelta(days=days_ago),
        )
        Delivery.objects.create(reminder=reminder, channel="email", status=status)
    page = http.get(f"/clients/{world.client_a.pk}/").content.decode()
    assert "Reminders on: 7 p.m., by e-mail, phone notification." in page
    assert "Last four weeks: 2 delivered, 1 failed." in page  # the one 40 days ago is outside


def test_switched_off_channels_read_as_off(world: World) -> None:
    world.client_a.reminder_time = dt.time(8, 0)
    world.client_a.save()
    ReminderPreference.objects.create(client=world.client_a, by_email=False, by_push=False)
    page = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").content.decode()
    assert "Reminders are off." in page
