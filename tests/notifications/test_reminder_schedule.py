"""When the next reminder goes out: the client's days, quiet hours and zone, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from emotipal.notifications.models import ReminderPreference
from emotipal.notifications.services import next_run_at
from tests.factories import World


def at(world: World, zone: str, time: dt.time, **pref: object) -> None:
    world.client_a.timezone = zone
    world.client_a.reminder_time = time
    world.client_a.save()
    if pref:
        ReminderPreference.objects.update_or_create(client=world.client_a, defaults=pref)


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "before_change"),
    [
        ("Europe/Madrid", dt.date(2026, 3, 28)),  # clocks go forward in the night to Sunday 29 March
        ("Europe/Madrid", dt.date(2026, 10, 24)),  # and back in the night to Sunday 25 October
        ("America/New_York", dt.date(2026, 3, 7)),  # forward in the night to Sunday 8 March
        ("America/New_York", dt.date(2026, 10, 31)),  # back in the night to Sunday 1 November
    ],
)
def test_eight_in_the_morning_stays_eight_across_the_change(
    world: World, zone: str, before_change: dt.date
) -> None:
    at(world, zone, dt.time(8, 0))
    after_first = dt.datetime.combine(before_change, dt.time(9, 0), tzinfo=ZoneInfo(zone))
    day, run_at = next_run_at(world.client_a, after_first)  # type: ignore[misc]
    assert day == before_change + dt.timedelta(days=1)
    assert local(run_at, zone).time() == dt.time(8, 0)
    first = dt.datetime.combine(before_change, dt.time(8, 0), tzinfo=ZoneInfo(zone))
    # The UTC gap between the two reminders is a day plus or minus the hour the clocks moved.
    assert (run_at - first) != dt.timedelta(days=1)


def test_a_time_in_the_skipped_hour_goes_out_an_hour_later_that_day(world: World) -> None:
    # 02:30 does not exist in Madrid on 29 March 2026 (02:00 -> 03:00): the reminder comes at 03:30 local,
    # the moment 02:30 would have been on the clock before the change; the next day it is 02:30 again.
    at(world, "Europe/Madrid", dt.time(2, 30))
    evening = dt.datetime(2026, 3, 28, 22, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    day, run_at = next_run_at(world.client_a, evening)  # type: ignore[misc]
    assert day == dt.date(2026, 3, 29) and local(run_at, "Europe/Madrid").time() == dt.time(3, 30)
    _, next_day = next_run_at(world.client_a, run_at)  # type: ignore[misc]
    assert local(next_day, "Europe/Madrid").time() == dt.time(2, 30)


def test_only_on_the_chosen_days(world: World) -> None:
    at(world, "America/New_York", dt.time(18, 0), weekdays="25")  # Wednesday and Saturday
    monday = dt.datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    day, _ = next_run_at(world.client_a, monday)  # type: ignore[misc]
    assert day == dt.date(2026, 3, 4)
    day, _ = next_run_at(world.client_a, dt.datetime(2026, 3, 4, 19, 0, tzinfo=ZoneInfo("America/New_York")))  # type: ignore[misc]
    assert day == dt.date(2026, 3, 7)
    ReminderPreference.objects.filter(client=world.client_a).update(weekdays="")
    assert next_run_at(world.client_a, monday) is None


def test_a_time_inside_quiet_hours_waits_until_they_end(world: World) -> None:
    # Quiet hours across midnight (22:00-07:30); an experiment's 06:00 reminder would fall inside them.
    at(world, "Europe/Madrid", dt.time(6, 0), quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 30))
    evening = dt.datetime(2026, 5, 4, 21, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    day, run_at = next_run_at(world.client_a, evening)  # type: ignore[misc]
    assert day == dt.date(2026, 5, 5) and local(run_at, "Europe/Madrid").time() == dt.time(7, 30)


def test_a_reminder_queued_for_a_day_since_dropped_sends_nothing(world: World) -> None:
    from django.core import mail

    from emotipal.notifications.models import ScheduledReminder
    from tests.notifications.test_reminders import deliver_now

    now = dt.datetime.now(dt.UTC)
    at(world, "UTC", dt.time(0, 0), weekdays="".join(str(d) for d in range(7) if d != now.weekday()))
    reminder = ScheduledReminder.objects.create(client=world.client_a, for_date=now.date(), run_at=now)
    assert deliver_now(reminder.pk, now=now) == "not a chosen day" and not mail.outbox
