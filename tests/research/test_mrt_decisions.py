"""Micro-randomised reminders: decision points recorded by the reminder path, their availability, the
probability over days, reproducible draws, what was sent, and the proximal outcome settled by a task."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.core import mail
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from emotipal.notifications.models import ScheduledReminder
from emotipal.notifications.tasks import deliver_reminder
from emotipal.platform import features
from emotipal.platform.audit.models import AuditEvent
from emotipal.research import mrt, mrt_outcomes
from emotipal.research.models import DecisionPoint, Experiment, ExperimentKind, Participant, ParticipantState
from emotipal.research.mrt_tasks import queue_settlement, settle_decision_point
from tests.factories import World, complete_thought_record, plan_for
from tests.research.experiment_factory import enrol, make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AVAILABLE = features.Availability(True)


def mrt_experiment(world: World, **overrides: Any) -> Experiment:
    values: dict[str, Any] = {
        "mrt_probability": {"constant": 0.5},
        "mrt_window_minutes": 60,
        "seed": 20260310,
    }
    values.update(overrides)
    return make_experiment(
        make_study(world), (), slug="timing", kind=ExperimentKind.MRT, title="Reminder timing", **values
    )


def participant_of(world: World, experiment: Experiment, client: ClientProfile | None = None) -> Participant:
    return enrol(make_participant(world, experiment.study, client or world.client_a))


def deliver_now(reminder_id: int, now: dt.datetime) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver_reminder(reminder_id, now)


def due_reminder(client: ClientProfile, now: dt.datetime) -> ScheduledReminder:
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=client,
        for_date=services.local_today(client),
        defaults={"run_at": now - dt.timedelta(minutes=1), "sent_at": None, "outcome": ""},
    )
    return reminder


def with_homework(world: World, client: ClientProfile, **plan: Any) -> Assignment:
    client.timezone = "UTC"
    client.reminder_time = dt.time(18, 0)
    client.save()
    return services.assign_homework(world.therapist, client, plan_for(world.thought_record, **plan))


def force(experiment: Experiment, participant: Participant, day: dt.date, *, treated: bool) -> None:
    """Set the constant probability just above or below this point's (reproducible) draw."""
    u = mrt.uniform_draw(experiment.seed, participant.pk, day)
    experiment.mrt_probability = {"constant": (1 + u) / 2 if treated else u / 2}
    experiment.save(update_fields=["mrt_probability"])


# --- through the reminder path -----------------------------------------------------------------------------


@pytest.mark.parametrize("treated", [True, False])
def test_the_reminder_goes_out_only_when_randomised_to_one(world: World, treated: bool) -> None:
    experiment = mrt_experiment(world)
    participant = participant_of(world, experiment)
    with_homework(world, world.client_a)
    now = timezone.now()
    day = services.local_today(world.client_a)
    force(experiment, participant, day, treated=treated)
    outcome = deliver_now(due_reminder(world.client_a, now).pk, now)
    point = DecisionPoint.objects.get(experiment=experiment, participant=participant)
    assert (point.day, point.at, point.available, point.treated) == (day, now, True, treated)
    assert point.window_minutes == 60 and point.probability is not None and point.draw is not None
    assert (point.draw < point.probability) is treated
    assert len(mail.outbox) == (1 if treated else 0)
    assert outcome == point.sent == ("sent" if treated else "not randomised to send")
    audit = AuditEvent.objects.get(action="research.mrt.decision", target_id=str(point.pk))
    assert audit.actor_id is None and audit.subject_user_id == world.client_a.user_id
    # The outcome's settlement is queued for the end of the window (database backend).
    task = DBTaskResult.objects.get(task_path__endswith="settle_decision_point")
    assert task.run_after == now + dt.timedelta(minutes=60) and task.args_kwargs["args"] == [point.pk]


def reason_at_reminder(world: World, experiment: Experiment, now: dt.datetime) -> DecisionPoint:
    deliver_now(due_reminder(world.client_a, now).pk, now)
    return DecisionPoint.objects.get(experiment=experiment)


def test_nothing_planned_that_day_is_not_available(world: World) -> None:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    today = services.local_today(world.client_a)
    other_days = [d for d in range(7) if d != today.weekday()]
    with_homework(world, world.client_a, times_per_week=6, practice_days=other_days)
    point = reason_at_reminder(world, experiment, timezone.now())
    assert (point.available, point.unavailable_reason, point.probability, point.draw, point.treated) == (
        False,
        "nothing planned",
        None,
        None,
        False,
    )
    assert point.sent == "nothing due"
    assert not DBTaskResult.objects.filter(task_path__endswith="settle_decision_point").exists()


def test_practice_already_done_before_the_reminder_is_not_available(world: World) -> None:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    assignment = with_homework(world, world.client_a)
    services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(complete_thought_record(), 1, 1, 1)
    )
    point = reason_at_reminder(world, experiment, timezone.now() + dt.timedelta(seconds=1))
    assert (point.available, point.unavailable_reason, point.treated) == (False, "already done", False)
    assert not mail.outbox


def test_practice_done_after_the_reminder_moment_does_not_count_as_already_done(world: World) -> None:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    assignment = with_homework(world, world.client_a)
    services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(complete_thought_record(), 1, 1, 1)
    )
    point = reason_at_reminder(world, experiment, timezone.now() - dt.timedelta(minutes=30))
    assert point.available is True


def test_reminders_off_in_an_arm_or_no_channel_is_paused(world: World) -> None:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    with_homework(world, world.client_a)
    parallel = make_experiment(experiment.study)
    place_in_arm(parallel, Participant.objects.get(client=world.client_a), "off")
    point = reason_at_reminder(world, experiment, timezone.now())
    assert (point.available, point.unavailable_reason, point.sent) == (False, "paused", "off in experiment")
    assert not mail.outbox
    # No channel: the account is deactivated (reminders otherwise on).
    with_homework(world, world.client_b)
    participant_of(world, experiment, world.client_b)
    world.client_b.user.is_active = False
    world.client_b.user.save()
    now = timezone.now()
    deliver_now(due_reminder(world.client_b, now).pk, now)
    point = DecisionPoint.objects.get(experiment=experiment, participant__client=world.client_b)
    assert (point.available, point.unavailable_reason) == (False, "paused")


def test_a_client_in_no_mrt_and_a_withdrawn_participant_get_no_decision_points(world: World) -> None:
    experiment = mrt_experiment(world)
    participant = participant_of(world, experiment)
    with_homework(world, world.client_b)  # client_b is in no study
    now = timezone.now()
    assert deliver_now(due_reminder(world.client_b, now).pk, now) == "sent"
    assert mrt.decide(world.client_b, now.date(), now, AVAILABLE) is None
    participant.state = ParticipantState.WITHDRAWN
    participant.save()
    assert mrt.decide(world.client_a, now.date(), now, AVAILABLE) is None
    for state in (ParticipantState.CONSENTED, ParticipantState.LOST, ParticipantState.COMPLETED):
        participant.state = state
        participant.save()
        assert mrt.decide(world.client_a, now.date(), now, AVAILABLE) is None
    experiment.state = "stopped"
    experiment.save()
    participant.state = ParticipantState.ENROLLED
    participant.save()
    assert mrt.decide(world.client_a, now.date(), now, AVAILABLE) is None
    assert not DecisionPoint.objects.exists()


# --- the decision itself ----------------------------------------------------------------------------------


def test_deciding_twice_returns_the_stored_decision(world: World) -> None:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    now = timezone.now()
    first = mrt.decide(world.client_a, now.date(), now, AVAILABLE)
    # A second run (even one that now thinks the point unavailable) gets the decision already made.
    again = mrt.decide(
        world.client_a, now.date(), now + dt.timedelta(minutes=5), features.Availability(False, "paused")
    )
    assert first == again and first is not None and first.decision_id is not None
    assert DecisionPoint.objects.count() == 1
    assert AuditEvent.objects.filter(action="research.mrt.decision").count() == 1


def test_draws_are_reproducible_from_seed_participant_and_day(world: World) -> None:
    day = dt.date(2026, 3, 10)
    assert mrt.uniform_draw(7, 3, day) == mrt.uniform_draw(7, 3, day)
    assert len({mrt.uniform_draw(7, 3, day), mrt.uniform_draw(8, 3, day), mrt.uniform_draw(7, 4, day)}) == 3
    assert mrt.uniform_draw(7, 3, day) != mrt.uniform_draw(7, 3, day + dt.timedelta(days=1))
    experiment = mrt_experiment(world)
    participant = participant_of(world, experiment)
    decision = mrt.decide(world.client_a, day, timezone.now(), AVAILABLE)
    point = DecisionPoint.objects.get()
    assert point.draw == mrt.uniform_draw(experiment.seed, participant.pk, day)
    assert decision is not None and decision.send is (point.draw < 0.5) is point.treated


def test_the_probability_follows_the_schedule_over_days_in_treatment(world: World) -> None:
    schedule = {"schedule": [[0, 0.6], [7, 0.4], [14, 0.2]]}
    experiment = mrt_experiment(world, mrt_probability=schedule)
    participant = participant_of(world, experiment)
    enrolled = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    Participant.objects.filter(pk=participant.pk).update(enrolled_at=enrolled)
    world.client_a.timezone = "UTC"
    world.client_a.save()
    expected = {0: 0.6, 6: 0.6, 7: 0.4, 13: 0.4, 14: 0.2, 30: 0.2}
    for offset, p in expected.items():
        day = enrolled.date() + dt.timedelta(days=offset)
        moment = dt.datetime.combine(day, dt.time(18, 0), tzinfo=dt.UTC)
        decision = mrt.decide(world.client_a, day, moment, AVAILABLE)
        assert decision is not None and decision.probability == p, offset


def test_over_400_points_the_share_treated_is_the_probability(world: World) -> None:
    experiment = mrt_experiment(world, mrt_probability={"constant": 0.3})
    participant_of(world, experiment)
    start = dt.date(2026, 1, 1)
    moment = timezone.now()
    sent = [mrt.decide(world.client_a, start + dt.timedelta(days=i), moment, AVAILABLE) for i in range(400)]
    share = sum(1 for d in sent if d is not None and d.send) / 400
    points = list(DecisionPoint.objects.filter(experiment=experiment))
    assert len(points) == 400 and all(p.treated == (p.draw < 0.3) for p in points)  # type: ignore[operator]
    # Binomial(400, 0.3): standard error 0.023; four of them either side.
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 400), share


# --- the proximal outcome -----------------------------------------------------------------------------------


def decided_point(world: World, at: dt.datetime) -> tuple[DecisionPoint, Assignment]:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    assignment = with_homework(world, world.client_a)
    Assignment.objects.filter(pk=assignment.pk).update(first_opened_at=at - dt.timedelta(days=2))
    decision = mrt.decide(world.client_a, at.date(), at, AVAILABLE)
    assert decision is not None
    return DecisionPoint.objects.get(pk=decision.decision_id), assignment


def start_draft(assignment: Assignment, at: dt.datetime) -> None:
    draft = services.open_draft(assignment)
    Entry.objects.filter(pk=draft.pk).update(started_at=at)


def test_a_practice_started_within_the_window_is_the_outcome(world: World) -> None:
    at = timezone.now() - dt.timedelta(hours=3)
    point, assignment = decided_point(world, at)
    start_draft(assignment, at + dt.timedelta(minutes=45))
    with override_settings(TASKS=IMMEDIATE):
        result = settle_decision_point.enqueue(point.pk)
    assert result.return_value == "started"
    point.refresh_from_db()
    assert point.outcome is True and point.outcome_at == at + dt.timedelta(minutes=45)
    # Settling again changes nothing.
    with override_settings(TASKS=IMMEDIATE):
        assert settle_decision_point.enqueue(point.pk).return_value == "already settled"
    assert mrt_outcomes.settle_due() == 0
    assert AuditEvent.objects.filter(action="research.mrt.outcome").count() == 1


def test_a_practice_started_after_the_window_is_no_outcome(world: World) -> None:
    at = timezone.now() - dt.timedelta(hours=3)
    point, assignment = decided_point(world, at)
    start_draft(assignment, at + dt.timedelta(minutes=61))
    with override_settings(TASKS=IMMEDIATE):
        assert settle_decision_point.enqueue(point.pk).return_value == "not started"
    point.refresh_from_db()
    assert point.outcome is False and point.outcome_at == at + dt.timedelta(minutes=60)


def test_a_first_opening_within_the_window_counts_and_an_open_window_waits(world: World) -> None:
    at = timezone.now() - dt.timedelta(minutes=30)
    point, assignment = decided_point(world, at)
    Assignment.objects.filter(pk=assignment.pk).update(first_opened_at=at + dt.timedelta(minutes=10))
    assert mrt_outcomes.settle(point.pk) == "window open"
    assert mrt_outcomes.settle_due() == 0
    later = at + dt.timedelta(minutes=61)
    assert mrt_outcomes.settle_due(later) == 1
    point.refresh_from_db()
    assert point.outcome is True and point.outcome_at == at + dt.timedelta(minutes=10)
    assert mrt_outcomes.settle_due(later) == 0


def test_unavailable_points_get_no_outcome_and_no_task_on_a_backend_that_cannot_wait(world: World) -> None:
    experiment = mrt_experiment(world)
    participant_of(world, experiment)
    at = timezone.now() - dt.timedelta(hours=3)
    decision = mrt.decide(world.client_a, at.date(), at, features.Availability(False, "already done"))
    assert decision is not None and decision.send is False and decision.probability is None
    assert mrt_outcomes.settle(decision.decision_id or 0) == "not available"
    assert mrt_outcomes.settle_due() == 0
    with override_settings(TASKS=IMMEDIATE):
        assert queue_settlement(DecisionPoint.objects.get()) is False
