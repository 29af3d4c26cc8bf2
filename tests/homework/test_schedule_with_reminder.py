""" "Schedule it with a reminder" after an obstacle: the client gives the time (and place) of the next
practice; the homework's practice time, the place and the client's reminder time change, and the next reminder
is queued at that time. Bad input changes nothing; another client's obstacle is not found."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.homework import reviews, services
from emotipal.homework.models import Assignment, Barrier
from emotipal.notifications.models import ReminderPreference, ScheduledReminder
from emotipal.platform import clock
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, plan_for


def obstacle(world: World) -> tuple[Assignment, Barrier]:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    barrier = reviews.report_barrier(
        world.client_a.user, assignment.pk, clock.client_today(world.client_a), "forgot"
    )
    return assignment, barrier


def url(barrier: Barrier) -> str:
    return f"/obstacles/{barrier.pk}/"


def test_the_time_and_place_set_the_reminder(world: World) -> None:
    assignment, barrier = obstacle(world)
    http = world.login(world.client_a.user)
    page = http.get(url(barrier)).content.decode()
    assert 'name="practice_time"' in page and "When and where will you do it next?" in page
    response = http.post(
        url(barrier),
        {"strategy": "schedule_reminder", "practice_time": "18:30", "practice_place": "Kitchen table"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/today/"
    assert "The reminder will come then." in response.content.decode()
    assignment.refresh_from_db()
    barrier.refresh_from_db()
    world.client_a.refresh_from_db()
    assert barrier.strategy == "schedule_reminder"
    assert assignment.practice_time == dt.time(18, 30) and assignment.practice_place == "Kitchen table"
    assert world.client_a.reminder_time == dt.time(18, 30)
    reminder = ScheduledReminder.objects.get(client=world.client_a, sent_at__isnull=True)
    local = reminder.run_at.astimezone(clock.zone_for_client(world.client_a))
    assert (local.hour, local.minute) == (18, 30) and reminder.run_at > timezone.now()
    assert DBTaskResult.objects.filter(id=reminder.task_id).exists()
    event = AuditEvent.objects.get(action="barrier.schedule_reminder")
    assert "Kitchen" not in str(event.detail)  # the place is clinical text: encrypted, not audited


def test_bad_input_is_refused_and_changes_nothing(world: World) -> None:
    assignment, barrier = obstacle(world)
    ReminderPreference.objects.create(
        client=world.client_a, quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0)
    )
    http = world.login(world.client_a.user)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"practice_time": ""}, "Choose a time, for example 18:30."),
        ({"practice_time": "25:99"}, "Choose a time, for example 18:30."),
        ({"practice_time": "23:00"}, "is inside your quiet hours"),
        ({"practice_time": "18:00", "practice_place": "x" * 201}, "Keep this to 200 characters or fewer."),
        ({"practice_time": "18:00", "practice_place": "bad\x00text"}, "NUL character"),
    ]
    for data, message in cases:
        response = http.post(url(barrier), {"strategy": "schedule_reminder", **data})
        assert response.status_code == 400 and message in response.content.decode(), message
        if "NUL" not in message:  # refused by the middleware before the page: no form to mark
            assert 'aria-invalid="true"' in response.content.decode()
    assignment.refresh_from_db()
    barrier.refresh_from_db()
    world.client_a.refresh_from_db()
    assert barrier.strategy == "" and assignment.practice_time is None
    assert world.client_a.reminder_time is None
    assert not ScheduledReminder.objects.exists()


def test_switched_off_reminders_are_said(world: World) -> None:
    _, barrier = obstacle(world)
    ReminderPreference.objects.create(client=world.client_a, by_email=False, by_push=False)
    response = world.login(world.client_a.user).post(
        url(barrier), {"strategy": "schedule_reminder", "practice_time": "09:00"}, follow=True
    )
    assert "Reminders are switched off in your settings" in response.content.decode()


def test_another_clients_obstacle_is_not_found(world: World) -> None:
    _, barrier = obstacle(world)
    response = world.login(world.client_b.user).post(
        url(barrier), {"strategy": "schedule_reminder", "practice_time": "09:00"}
    )
    assert response.status_code == 404
    world.client_b.refresh_from_db()
    assert world.client_b.reminder_time is None
