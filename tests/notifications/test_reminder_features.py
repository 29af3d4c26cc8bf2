"""The "reminders" feature per arm: on or off, the arm's time, and its wording, in the mail really sent."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from emotipal.notifications.models import ScheduledReminder
from emotipal.notifications.services import next_run_at
from emotipal.notifications.tasks import deliver_reminder, schedule_all_reminders
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, plan_for
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

SIGNED_LINK = re.compile(r"/r/[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+/")

pytestmark = pytest.mark.django_db


def deliver_now(reminder_id: int, now: dt.datetime) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver_reminder(reminder_id, now)


def due_reminder(client: ClientProfile, now: dt.datetime) -> ScheduledReminder:
    """Today's reminder of the client, due a minute ago (taking over the row the assignment may have queued)."""
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=client,
        for_date=services.local_today(client),
        defaults={"run_at": now - dt.timedelta(minutes=1), "sent_at": None, "outcome": ""},
    )
    return reminder


def with_homework(world: World, client: ClientProfile) -> None:
    client.timezone = "UTC"
    client.reminder_time = dt.time(18, 0)
    client.save()
    services.assign_homework(world.therapist, client, plan_for(world.thought_record))


def in_arms(world: World, arms: dict[str, dict[str, object]]) -> dict[str, ClientProfile]:
    """client_a in the first arm, client_b in the second, of a running parallel experiment."""
    study = make_study(world)
    keys = list(arms)
    experiment = make_experiment(study, [(k, {"reminders": arms[k]}) for k in keys])
    placed = {}
    for key, client in zip(keys, (world.client_a, world.client_b), strict=False):
        place_in_arm(experiment, make_participant(world, study, client), key)
        placed[key] = ClientProfile.objects.select_related("user").get(pk=client.pk)
    return placed


def test_reminders_off_sends_nothing_and_says_why_while_on_sends(world: World) -> None:
    with_homework(world, world.client_a)
    with_homework(world, world.client_b)
    clients = in_arms(world, {"off": {"enabled": False}, "on": {"enabled": True}})
    now = timezone.now()
    off = due_reminder(clients["off"], now)
    on = due_reminder(clients["on"], now)
    assert deliver_now(off.pk, now) == "off in experiment"
    assert mail.outbox == []
    off.refresh_from_db()
    assert off.outcome == "off in experiment" and off.sent_at is not None
    assert AuditEvent.objects.filter(action="reminder.off_in_experiment", target_id=str(off.pk)).count() == 1
    assert deliver_now(on.pk, now) == "sent"
    assert [m.to for m in mail.outbox] == [[world.client_b.user.email]]
    assert "Thought record" in mail.outbox[0].body


def test_the_arm_time_overrides_the_clients_and_applies_to_a_client_without_one(world: World) -> None:
    world.client_a.timezone = world.client_b.timezone = "UTC"
    world.client_a.reminder_time = dt.time(18, 0)
    world.client_b.reminder_time = None
    world.client_a.save()
    world.client_b.save()
    now = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)
    # Outside any experiment: the client's own time, and none for a client who chose none.
    assert next_run_at(world.client_a, now) == (now.date(), now.replace(hour=18))
    assert next_run_at(world.client_b, now) is None
    clients = in_arms(world, {"early": {"time": "07:30"}, "late": {"time": "20:15"}})
    assert next_run_at(clients["early"], now) == (now.date(), now.replace(hour=7, minute=30))
    assert next_run_at(clients["late"], now) == (now.date(), now.replace(hour=20, minute=15))
    # A worker start queues the arm's reminder for the client who chose no time of their own.
    assert schedule_all_reminders(now) >= 2
    assert ScheduledReminder.objects.get(client=world.client_b).run_at == now.replace(hour=20, minute=15)


def test_a_study_time_for_a_client_who_chose_none_says_where_it_comes_from(world: World) -> None:
    with_homework(world, world.client_a)
    world.client_a.reminder_time = None
    world.client_a.save()
    clients = in_arms(world, {"early": {"time": "07:30"}})
    now = timezone.now()
    assert deliver_now(due_reminder(clients["early"], now).pk, now) == "sent"
    body = mail.outbox[0].body
    assert "comes with the study you joined" in body and "You chose to get this reminder" not in body


def send_one(world: World, client: ClientProfile) -> mail.EmailMessage:
    now = timezone.now()
    before = len(mail.outbox)
    assert deliver_now(due_reminder(client, now).pk, now) == "sent"
    assert len(mail.outbox) == before + 1
    return mail.outbox[-1]


def test_each_wording_arm_gets_its_own_words_and_no_experiment_gets_todays(world: World) -> None:
    with_homework(world, world.client_a)
    with_homework(world, world.client_b)
    outside = send_one(world, world.client_a)  # before any experiment: today's reminder
    assert outside.subject == "Your EmotiPal practice for today"
    assert outside.body.startswith(
        f"Hello {world.client_a.user},\n\nHere is what is waiting for you today:\n"
    )
    assert "- Thought record (20 min)" in outside.body
    assert outside.body.endswith(
        "You chose to get this reminder. You can change its time or turn it off in Settings.\n"
    )

    clients = in_arms(world, {"encouraging": {"wording": "encouraging"}, "brief": {"wording": "brief"}})
    encouraging = send_one(world, clients["encouraging"])
    assert encouraging.subject == "A few minutes for yourself today"
    assert "Every practice counts" in encouraging.body and "- Thought record (20 min)" in encouraging.body
    brief = send_one(world, clients["brief"])
    assert brief.subject == "EmotiPal: practice today"
    assert brief.body.splitlines()[0].startswith("1 thing is waiting for you today: http")
    assert "Thought record" not in brief.body and "Every practice counts" not in brief.body


def test_a_standard_wording_arm_is_todays_reminder(world: World) -> None:
    with_homework(world, world.client_a)
    reference = send_one(world, world.client_a)
    clients = in_arms(world, {"standard": {"wording": "standard", "enabled": True}})
    in_arm = send_one(world, clients["standard"])
    assert (in_arm.subject, without_link_signature(in_arm.body)) == (
        reference.subject,
        without_link_signature(reference.body),
    )


def without_link_signature(body: str) -> str:
    """The body with its reminder link's signature blanked: the signature holds the second it was made
    (two sends a second apart differ there, and only there)."""
    blanked, links = SIGNED_LINK.subn("/r/<signed>/", body)
    assert links == 1, body
    return blanked


def test_wordings_are_rendered_in_the_clients_language(world: World) -> None:
    with_homework(world, world.client_a)
    world.client_a.user.language = "es"
    world.client_a.user.save()
    clients = in_arms(world, {"standard": {"wording": "standard"}})
    message = send_one(world, clients["standard"])
    assert message.subject != "Your EmotiPal practice for today"  # the existing Spanish translation
