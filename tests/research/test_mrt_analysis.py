"""The MRT analysis of recorded decision points equals WCLS on the simulated data they were made from.

Coverage of the simulated truth over 200 trials is tested on the pure estimator (tests/analysis/trials/
test_mrt.py); equality here carries it to what the platform records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.trials import mrt
from emotipal.analysis.trials.mrt_simulate import simulate_mrt
from emotipal.research.experiment_analysis import DAY, decision_frame, mrt_analysis
from emotipal.research.models import DecisionPoint, ExperimentKind, Participant, ParticipantState
from tests.factories import World, make_user
from tests.research.experiment_factory import make_experiment
from tests.research.study_factory import make_study

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def recorded_trial(world: World, n: int, days: int, seed: int = 3):
    frame, truth = simulate_mrt(
        n, days, probability=0.4, effect_intercept=0.12, effect_slope=-0.001, seed=seed
    )
    study = make_study(world)
    experiment = make_experiment(study, arms=(), slug="timing", kind=ExperimentKind.MRT)
    points = []
    for pid, rows in frame.groupby("participant"):
        client = ClientProfile.objects.create(
            user=make_user(f"mrt{pid}@example.org", f"Mrt {pid}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        participant = Participant.objects.create(
            study=study,
            client=client,
            invited_by=world.therapist,
            state=ParticipantState.ENROLLED,
            enrolled_at=START,
        )
        for row in rows.itertuples():
            available = bool(row.available)
            points.append(
                DecisionPoint(
                    experiment=experiment,
                    participant=participant,
                    day=START.date() + dt.timedelta(days=int(row.day)),
                    at=START + dt.timedelta(days=int(row.day), hours=9),
                    available=available,
                    probability=float(row.probability) if available else None,
                    treated=bool(row.treated) if available else False,
                    window_minutes=120,
                    outcome=bool(row.outcome) if available else None,
                )
            )
    DecisionPoint.objects.bulk_create(points)
    return experiment, frame, truth


def test_the_recorded_points_give_the_same_estimate_as_the_simulated_frame(world: World) -> None:
    experiment, frame, _truth = recorded_trial(world, 12, 20)
    assert not frame.empty
    direct = mrt.excursion_effect(frame, moderators=["day"])
    stored = mrt_analysis(experiment)
    assert stored.by_day is not None and stored.overall is not None
    for ours, theirs in zip(stored.by_day.effect, direct.effect, strict=True):
        assert ours.estimate == pytest.approx(theirs.estimate, abs=1e-12)
        assert ours.se == pytest.approx(theirs.se, abs=1e-12)
    assert stored.overall.n_available == int(frame["available"].sum())
    assert set(decision_frame(experiment)[DAY]) == set(frame["day"])


def test_points_whose_window_is_open_wait_and_an_empty_trial_says_so(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, arms=(), slug="timing", kind=ExperimentKind.MRT)
    assert mrt_analysis(experiment).message
    participant = Participant.objects.create(
        study=study,
        client=world.client_a,
        invited_by=world.therapist,
        state="enrolled",
        enrolled_at=timezone.now(),
    )
    DecisionPoint.objects.create(
        experiment=experiment,
        participant=participant,
        day=timezone.localdate(),
        at=timezone.now(),
        available=True,
        probability=0.5,
        treated=True,
        window_minutes=120,
    )
    assert decision_frame(experiment).empty
