"""The client's reminder settings page and the push subscription endpoint: clear refusals, nothing changed."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.homework import services
from emotipal.notifications.models import PushSubscription, ReminderPreference, ScheduledReminder
from tests.factories import World, plan_for

URL = "/settings/reminders/"
PUSH = "/settings/reminders/push/"
GOOD = {"time": "08:15", "by_email": "on", "weekdays": ["0", "2", "4"], "quiet_start": "", "quiet_end": ""}


def test_saving_stores_the_choice_and_queues_the_reminder(world: World) -> None:
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    http = world.login(world.client_a.user)
    with_push = GOOD | {"by_push": "on", "quiet_start": "22:00", "quiet_end": "07:00"}
    response = http.post(URL, with_push, follow=True)
    assert response.status_code == 200 and "Your reminder settings are saved." in response.content.decode()
    pref = ReminderPreference.objects.get(client=world.client_a)
    assert (pref.by_email, pref.by_push, pref.weekdays) == (True, True, "024")
    assert (pref.quiet_start, pref.quiet_end) == (dt.time(22, 0), dt.time(7, 0))
    world.client_a.refresh_from_db()
    assert world.client_a.reminder_time == dt.time(8, 15)
    reminder = ScheduledReminder.objects.filter(client=world.client_a, sent_at__isnull=True).get()
    assert reminder.for_date.weekday() in (0, 2, 4) and reminder.run_at > timezone.now()
    assert DBTaskResult.objects.filter(id=reminder.task_id).exists()


def test_bad_choices_get_clear_messages_and_change_nothing(world: World) -> None:
    http = world.login(world.client_a.user)
    cases = [
        (GOOD | {"by_email": ""}, "Choose at least one way to get the reminder."),
        (GOOD | {"weekdays": []}, "Choose at least one day, or leave the time empty."),
        (GOOD | {"quiet_start": "22:00"}, "Give both the start and the end of the quiet hours, or neither."),
        (GOOD | {"quiet_start": "07:00", "quiet_end": "09:00"}, "This time is inside your quiet hours."),
        (GOOD | {"time": "25:99"}, "Enter a valid time."),
    ]
    for data, message in cases:
        response = http.post(URL, data)
        assert response.status_code == 200 and message in response.content.decode(), message
    assert not ReminderPreference.objects.exists()
    world.client_a.refresh_from_db()
    assert world.client_a.reminder_time is None


def test_the_browser_subscribes_and_removes_its_subscription(world: World) -> None:
    http = world.login(world.client_a.user)
    sub = {"endpoint": "https://push.example.org/send/abc", "keys": {"p256dh": "BNc", "auth": "tBH"}}
    assert http.post(PUSH, json.dumps(sub), content_type="application/json").status_code == 201
    assert (
        http.post(PUSH, json.dumps(sub), content_type="application/json").status_code == 201
    )  # again: one row
    row = PushSubscription.objects.get()
    assert row.client == world.client_a and row.active
    bad = http.post(
        PUSH,
        json.dumps({"endpoint": "http://plain.example.org/x", "keys": {}}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "could not be used" in bad.json()["error"]
    assert PushSubscription.objects.count() == 1
    # Client B cannot switch off client A's browser by naming its endpoint.
    other = world.login(world.client_b.user)
    remove = json.dumps({"remove": True, "endpoint": sub["endpoint"]})
    assert other.post(PUSH, remove, content_type="application/json").json() == {"removed": 0}
    assert http.post(PUSH, remove, content_type="application/json").json() == {"removed": 1}
    row.refresh_from_db()
    assert not row.active and row.ended_because == "removed"


def test_the_settings_page_offers_the_vapid_key(world: World) -> None:
    from django.conf import settings

    page = world.login(world.client_a.user).get(URL).content.decode()
    assert f'data-key="{settings.VAPID_PUBLIC_KEY}"' in page and "Allow notifications here" in page
