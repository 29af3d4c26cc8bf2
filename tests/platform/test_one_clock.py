"""One clock for the project: whose day it is, questionnaire schedules and reminders on the client's day and
hour (also across daylight-saving changes), and clinic time zones that must be real IANA zones."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse

from emotipal.accounts import services as account_services
from emotipal.accounts.models import ClientProfile, Clinic, Invitation
from emotipal.homework import services
from emotipal.measures import schedules
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument, Response
from emotipal.notifications.models import ScheduledReminder
from emotipal.notifications.services import next_run_at
from emotipal.notifications.tasks import deliver_reminder, schedule_next_reminder
from emotipal.platform import clock
from tests.factories import World, plan_for

AUCKLAND, HONOLULU, BERLIN = "Pacific/Auckland", "Pacific/Honolulu", "Europe/Berlin"
# 09:30 UTC on Thursday 10 December 2026: Wednesday 23:30 in Honolulu, Thursday 22:30 in Auckland.
INSTANT = dt.datetime(2026, 12, 10, 9, 30, tzinfo=dt.UTC)


def deliver_now(reminder_id: int, now: dt.datetime | None = None) -> str:
    """Deliver a reminder and run what waits for the commit (the e-mail), as a worker's transaction would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver_reminder(reminder_id, now)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the project's one clock to a fixed instant (the clock module, never the database)."""

    def freeze(at: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return freeze


def in_zone(client: ClientProfile, zone: str, reminder: dt.time | None = None) -> ClientProfile:
    client.timezone = zone
    client.reminder_time = reminder
    client.save(update_fields=["timezone", "reminder_time"])
    return client


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --- the clock ---------------------------------------------------------------------------------------------


def test_one_instant_two_local_dates() -> None:
    auckland, honolulu = clock.zone(AUCKLAND), clock.zone(HONOLULU)
    assert auckland is not None and honolulu is not None
    assert clock.local_today(auckland, INSTANT) == dt.date(2026, 12, 10)
    assert clock.local_today(honolulu, INSTANT) == dt.date(2026, 12, 9)
    assert clock.local_date(INSTANT, honolulu) == dt.date(2026, 12, 9)
    assert INSTANT.date() == dt.date(2026, 12, 10)  # the server's (UTC) date: Honolulu's tomorrow


def test_zone_names_are_checked_not_trusted() -> None:
    assert clock.zone("Europe/Berlin") is not None
    for bad in ("", "Mars/Olympus", "../../etc/passwd", " Europe/Berlin", "x" * 65):
        assert clock.zone(bad) is None
    with pytest.raises(ValidationError):
        clock.validate_zone("Mars/Olympus")


def test_a_client_without_a_zone_lives_in_the_clinics(world: World, frozen: Any) -> None:
    frozen(INSTANT)
    world.clinic.timezone = HONOLULU
    world.clinic.save(update_fields=["timezone"])
    client = in_zone(world.client_a, "")
    client.refresh_from_db()
    assert clock.zone_for_client(client).key == HONOLULU
    assert services.local_today(client) == dt.date(2026, 12, 9)
    in_zone(client, AUCKLAND)
    assert services.local_today(client) == dt.date(2026, 12, 10)  # their own zone wins


# --- clinic time zones -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../../etc/passwd", "UTC+13"])
def test_a_clinic_zone_that_is_not_a_zone_is_refused(world: World, bad: str) -> None:
    admin = world.login(world.admin)
    response = admin.post(reverse("clinic_admin"), {"action": "policy", "timezone": bad})
    assert response.status_code == 400
    assert "is not a time zone" in response.content.decode()
    assert Clinic.objects.get(pk=world.clinic.pk).timezone == "UTC"


def test_a_clinic_admin_sets_the_clinics_zone_and_new_clients_start_in_it(world: World) -> None:
    admin = world.login(world.admin)
    response = admin.post(reverse("clinic_admin"), {"action": "policy", "timezone": AUCKLAND})
    assert response.status_code == 302
    clinic = Clinic.objects.get(pk=world.clinic.pk)
    assert clinic.timezone == AUCKLAND
    # Saving the policy without a zone keeps it.
    admin.post(reverse("clinic_admin"), {"action": "policy", "require_staff_mfa": "on"})
    assert Clinic.objects.get(pk=world.clinic.pk).timezone == AUCKLAND

    new = account_services.invite(
        clinic=clinic,
        email="kiri@example.org",
        role=Invitation.CLIENT,
        invited_by=world.admin,
        therapist=world.therapist,
    )
    user = account_services.accept_invitation(
        new.url.rstrip("/").rsplit("/", 1)[-1], password="a-Long-pass-99"
    )
    assert ClientProfile.objects.get(user=user).timezone == AUCKLAND


# --- questionnaire schedules -------------------------------------------------------------------------------


def test_a_weekly_questionnaire_opens_on_the_clients_day(world: World, frozen: Any) -> None:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    # 11:30 UTC on Thursday: already Friday 00:30 in Auckland.
    frozen(utc(2026, 12, 10, 11, 30))
    auckland = in_zone(world.client_b, AUCKLAND)
    measures.add_schedule(world.therapist, auckland, phq9, "weekly", weekday=4)  # Fridays
    response = Response.objects.get(client=auckland)
    assert response.due_date == dt.date(2026, 12, 11)
    # Open three days after, until 23:59 on Monday in Auckland.
    assert response.expires_at == utc(2026, 12, 14, 10, 59)

    # Wednesday 23:30 in Honolulu: a Thursday questionnaire is not due yet, although it is Thursday in UTC.
    frozen(INSTANT)
    honolulu = in_zone(world.client_a, HONOLULU)
    measures.add_schedule(world.therapist, honolulu, phq9, "weekly", weekday=3)
    assert not Response.objects.filter(client=honolulu).exists()
    frozen(utc(2026, 12, 10, 10, 30))  # Thursday 00:30 in Honolulu
    assert schedules.generate_due() == 1
    response = Response.objects.get(client=honolulu)
    assert response.due_date == dt.date(2026, 12, 10)
    assert response.expires_at == utc(2026, 12, 14, 9, 59)  # Sunday 23:59 in Honolulu


def test_asking_now_is_due_on_the_clients_today(world: World, frozen: Any) -> None:
    frozen(INSTANT)
    honolulu = in_zone(world.client_a, HONOLULU)
    response = measures.ask_now(world.therapist, honolulu, Instrument.objects.get(key="gad7", clinic=None))
    assert response.due_date == dt.date(2026, 12, 9)
    assert response.expires_at == utc(2026, 12, 13, 9, 59)  # Saturday 23:59 in Honolulu


# --- reminders ---------------------------------------------------------------------------------------------


def test_a_reminder_fires_at_the_clients_hour_on_the_clients_day(world: World) -> None:
    client = in_zone(world.client_a, HONOLULU, dt.time(19, 0))
    # Homework on Wednesdays only: Wednesday evening in Honolulu is Thursday morning in UTC.
    monday = dt.date(2026, 12, 7)
    assignment = services.assign_homework(
        world.therapist,
        client,
        plan_for(
            world.thought_record,
            times_per_week=1,
            practice_days=[2],
            start_date=monday,
            end_date=monday + dt.timedelta(days=13),
        ),
    )
    reminder = schedule_next_reminder(client, now=utc(2026, 12, 10, 4, 0))  # Wednesday 18:00 there
    assert reminder is not None
    assert reminder.for_date == dt.date(2026, 12, 9)
    assert reminder.run_at == utc(2026, 12, 10, 5, 0)  # 19:00 in Honolulu
    mail.outbox.clear()
    assert deliver_now(reminder.pk, now=reminder.run_at) == "sent"
    assert assignment.template_version.title in mail.outbox[0].body
    following = ScheduledReminder.objects.get(client=client, for_date=dt.date(2026, 12, 10))
    assert following.run_at == utc(2026, 12, 11, 5, 0)


def test_a_client_without_a_zone_is_reminded_in_the_clinics(world: World) -> None:
    world.clinic.timezone = AUCKLAND
    world.clinic.save(update_fields=["timezone"])
    client = in_zone(world.client_a, "", dt.time(19, 0))
    client.refresh_from_db()
    day, run_at = next_run_at(client, INSTANT)  # type: ignore[misc]  # Thursday 22:30 in Auckland
    assert day == dt.date(2026, 12, 11) and run_at == utc(2026, 12, 11, 6, 0)  # Friday 19:00 there


def test_the_reminder_keeps_its_local_hour_over_the_spring_change(world: World) -> None:
    # Europe/Berlin moves from UTC+1 to UTC+2 on Sunday 28 March 2027.
    client = in_zone(world.client_a, BERLIN, dt.time(19, 0))
    saturday = schedule_next_reminder(client, now=utc(2027, 3, 27, 12, 0))
    assert saturday is not None and saturday.run_at == utc(2027, 3, 27, 18, 0)
    deliver_now(saturday.pk, now=saturday.run_at)
    sunday = ScheduledReminder.objects.get(client=client, for_date=dt.date(2027, 3, 28))
    assert sunday.run_at == utc(2027, 3, 28, 17, 0)  # still 19:00 on the wall clock
    assert sunday.run_at.astimezone(clock.zone(BERLIN)).hour == 19


def test_a_reminder_in_the_skipped_hour_comes_just_after_it(world: World) -> None:
    client = in_zone(world.client_a, BERLIN, dt.time(2, 30))  # 02:30 does not exist on 28 March 2027
    day, run_at = next_run_at(client, utc(2027, 3, 27, 23, 0))  # type: ignore[misc]
    assert day == dt.date(2027, 3, 28)
    assert run_at == utc(2027, 3, 28, 1, 30)  # 03:30 summer time
    assert run_at.tzinfo == dt.UTC


def test_the_repeated_autumn_hour_does_not_lose_the_next_reminder(world: World) -> None:
    # On 31 October 2027 Berlin's clocks go from 03:00 back to 02:00: 02:00-03:00 happens twice.
    client = in_zone(world.client_a, BERLIN, dt.time(2, 30))
    # 01:15 UTC is 02:15 the second time round; today's 02:30 (00:30 UTC) was an hour ago.
    day, run_at = next_run_at(client, utc(2027, 10, 31, 1, 15))  # type: ignore[misc]
    assert day == dt.date(2027, 11, 1)
    assert run_at == utc(2027, 11, 1, 1, 30)  # 02:30 winter time
