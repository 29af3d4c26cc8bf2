"""Questionnaires end to end in the service layer: save and continue, scoring, risk alerts, escalation,
schedules and expiry, crisis resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.measures import escalation, schedules, services
from emotipal.measures.models import CrisisResource, Heartbeat, Instrument, Response, RiskAlert, Schedule
from emotipal.measures.tasks import ensure_scheduled
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World

ALL_ONES = {f"phq9_{i}": 1 for i in range(1, 10)}


def phq9(world: World) -> Instrument:
    return Instrument.objects.get(key="phq9", clinic=None)


@pytest.fixture
def response(world: World) -> Response:
    return services.ask_now(world.therapist, world.client_a, phq9(world))


def test_shipped_instruments_load_once_and_versions_pin(world: World) -> None:
    assert services.sync_instruments() == []  # already loaded by the world, unchanged
    keys = set(Instrument.objects.values_list("key", flat=True))
    assert {"phq9", "gad7", "skills_confidence"} <= keys
    definition = phq9(world).versions.get().definition
    assert definition["options"][0]["label"] == "Not at all"
    assert (
        definition["items"][8]["text"]
        == "Thoughts that you would be better off dead or of hurting yourself in some way"
    )


def test_a_new_version_never_rescores_old_answers(world: World, response: Response) -> None:
    services.save_answers(
        world.client_a.user, response.pk, {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0}, submit=True
    )
    changed = dict(response.instrument_version.definition)
    changed["bands"] = [{"min": 0, "max": 27, "label": "Any"}]
    version, created = services.store_instrument(changed)
    assert created and version.number == 2
    response.refresh_from_db()
    assert (response.total, response.band, response.instrument_version.number) == (16, "Moderately severe", 1)


def test_save_and_continue_then_submit(world: World, response: Response) -> None:
    services.save_answers(world.client_a.user, response.pk, {"phq9_1": "2", "phq9_2": "1"})
    response.refresh_from_db()
    assert response.status == Response.Status.IN_PROGRESS and response.answers == {"phq9_1": 2, "phq9_2": 1}
    assert response.total is None
    with pytest.raises(services.MeasureError) as caught:
        services.save_answers(world.client_a.user, response.pk, {}, submit=True)
    assert set(caught.value.errors) == {f"phq9_{i}" for i in range(3, 10)}
    rest = {f"phq9_{i}": 0 for i in range(3, 10)}
    result = services.save_answers(world.client_a.user, response.pk, rest, submit=True)
    assert result.response.status == Response.Status.COMPLETED
    assert (result.response.total, result.response.band) == (3, "Minimal")
    assert result.alert is None


@pytest.mark.parametrize(
    ("raw", "item"), [({"phq9_1": "4"}, "phq9_1"), ({"phq9_1": "x"}, "phq9_1"), ({"nope": 1}, "nope")]
)
def test_bad_answers_change_nothing(world: World, response: Response, raw: dict, item: str) -> None:
    with pytest.raises(services.MeasureError) as caught:
        services.save_answers(world.client_a.user, response.pk, raw)
    assert item in caught.value.errors
    response.refresh_from_db()
    assert response.answers == {} and response.status == Response.Status.DUE


def test_someone_elses_questionnaire_is_not_found(world: World, response: Response) -> None:
    with pytest.raises(Http404):
        services.save_answers(world.client_b.user, response.pk, {"phq9_1": 1})


# The real db_worker closes database connections, so these tests commit instead of rolling back.
@pytest.mark.django_db(transaction=True)
def test_partial_answer_on_item_9_raises_the_alert_at_once(
    world: World, response: Response, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = services.save_answers(world.client_a.user, response.pk, {"phq9_9": 1})
    assert result.alert is not None and result.alert.items == {"phq9_9": 1}
    assert AuditEvent.objects.filter(action="risk_alert.create").count() == 1
    # Queued through the Tasks API: the e-mail now, the escalation after the clinic's time.
    tasks = {t.task_path.rsplit(".", 1)[-1]: t for t in DBTaskResult.objects.all()}
    assert set(tasks) == {"email_risk_alert", "escalate_risk_alert"}
    assert tasks["escalate_risk_alert"].run_after is not None
    call_command("db_worker", "--batch", "--no-reload")
    assert mail.outbox[-1].to == [world.therapist.email]
    assert "PHQ" not in mail.outbox[-1].body and world.client_a.user.email not in mail.outbox[-1].body
    # A second save does not raise a second alert.
    assert services.save_answers(world.client_a.user, response.pk, {"phq9_9": 2}).alert is None
    assert RiskAlert.objects.count() == 1


def test_acknowledge_needs_a_note_and_the_right_therapist(world: World, response: Response) -> None:
    alert = services.save_answers(world.client_a.user, response.pk, ALL_ONES, submit=True).alert
    assert alert is not None
    with pytest.raises(services.MeasureError):
        services.acknowledge_alert(world.therapist, alert.pk, "  ")
    with pytest.raises(Http404):
        services.acknowledge_alert(world.foreign_therapist, alert.pk, "called")
    done = services.acknowledge_alert(world.therapist, alert.pk, "Called the client; safety plan reviewed.")
    assert done.acknowledged_by == world.therapist and done.action_note.startswith("Called")
    assert escalation.escalate(alert.pk, now=timezone.now() + dt.timedelta(days=3)) == "acknowledged"


def test_unacknowledged_alert_escalates_to_the_admins(
    world: World, response: Response, django_capture_on_commit_callbacks: Any
) -> None:
    alert = services.save_answers(world.client_a.user, response.pk, ALL_ONES, submit=True).alert
    assert alert is not None
    assert escalation.escalate(alert.pk) == "not yet"
    later = alert.created_at + dt.timedelta(hours=world.clinic.alert_escalation_hours, minutes=1)
    sent_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert escalation.escalate(alert.pk, now=later) == "escalated"
        assert len(mail.outbox) == sent_before  # nothing is sent while the alert row is locked
    assert len(callbacks) == 1
    assert mail.outbox[-1].to == [world.admin.email]
    assert escalation.escalate(alert.pk, now=later) == "already escalated"


def test_crisis_resources_by_language_with_a_default(world: World) -> None:
    assert services.crisis_resources(world.clinic, "es") == [services.DEFAULT_CRISIS]
    CrisisResource.objects.create(
        clinic=world.clinic, language="en", title="Harbour crisis line", body="Call 0800 000 000"
    )
    CrisisResource.objects.create(
        clinic=world.clinic, language="es", title="Línea de crisis", body="Llame al 0800"
    )
    assert services.crisis_resources(world.clinic, "es")[0][0] == "Línea de crisis"
    assert services.crisis_resources(world.clinic, "ar")[0][0] == "Harbour crisis line"


def test_weekly_schedule_creates_one_response_and_it_expires(world: World) -> None:
    today = timezone.localdate()
    schedule = services.add_schedule(
        world.therapist, world.client_a, phq9(world), "weekly", weekday=today.weekday()
    )
    assert Response.objects.filter(schedule=schedule, due_date=today).count() == 1
    assert schedules.generate_due(today=today) == 0  # idempotent
    assert [r.pk for r in services.open_responses(world.client_a)] == [Response.objects.get().pk]
    assert schedules.expire_old(timezone.now() + dt.timedelta(days=10)) == 1
    assert services.open_responses(world.client_a) == []


def test_schedule_rules(world: World) -> None:
    with pytest.raises(services.MeasureError):
        services.add_schedule(world.therapist, world.client_a, phq9(world), "hourly")
    with pytest.raises(Http404):
        services.add_schedule(world.colleague, world.client_a, phq9(world), "weekly")
    assert not Schedule.objects.exists()


def test_before_session_schedule(world: World) -> None:
    from emotipal.homework.reviews import record_session

    today = timezone.localdate()
    record_session(world.therapist, world.client_a, today + dt.timedelta(days=2))
    services.add_schedule(world.therapist, world.client_a, phq9(world), "before_session")
    assert Response.objects.get().due_date == today


@pytest.mark.django_db(transaction=True)
def test_maintenance_keeps_one_chain(world: World) -> None:
    assert ensure_scheduled() is True
    call_command("db_worker", "--batch", "--no-reload")
    beat = Heartbeat.objects.get()
    assert beat.last_run_at is not None and beat.next_run_at > timezone.now()
    assert ensure_scheduled() is False  # a restarted worker does not start a second chain
    from emotipal.measures.maintenance import run

    assert run("1999-01-01T00:00:00+00:00") == ("superseded", None)
