"""Power by simulation through the Tasks API: a request is checked, queued on commit and computed by a worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from emotipal.research.actions import experiments as actions
from emotipal.research.actions.experiment_power import PowerRequest, request_power
from emotipal.research.errors import ResearchError
from emotipal.research.models import Experiment
from tests.factories import World
from tests.research.study_factory import make_study

ARMS = (actions.ArmDraft("on", "On"), actions.ArmDraft("off", "Off"))


def draft_experiment(world: World) -> Experiment:
    study = make_study(world)
    return actions.create_experiment(
        world.researcher, study, actions.ExperimentDraft(title="Power", arms=ARMS)
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_computes_the_power_and_states_the_trials(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = draft_experiment(world)
    big = PowerRequest(outcome="phq9_change", effect=-4.0, n_clients=60, n_trials=40, weeks=8)
    null = PowerRequest(outcome="phq9_change", effect=-0.01, n_clients=20, n_trials=40, weeks=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert request_power(world.researcher, experiment, big) == 0
        assert request_power(world.researcher, experiment, null) == 1
    assert [t.task_path.rsplit(".", 1)[-1] for t in DBTaskResult.objects.all()] == ["run_power", "run_power"]
    experiment.refresh_from_db()
    assert [r["status"] for r in experiment.power_runs] == ["queued", "queued"]
    call_command("db_worker", "--batch", "--no-reload")
    experiment.refresh_from_db()
    strong, weak = (r["result"] for r in experiment.power_runs)
    # The experiment's seed is drawn when it is made, so the trials differ between runs. The design's power is
    # about 0.87 (200 trials: 0.865); 40 trials fall to 0.8 in about one run in seven (CI saw 32 of 40), and
    # to 0.5 or below (20 of 40) with probability about 4e-8, while a powerless design (0.05) gets above it
    # with probability about 2e-17.
    assert strong["n_trials"] == 40 and strong["power"] > 0.5
    assert weak["power"] < 0.4  # an effect of 0.01 points is close to alpha
    assert strong["ci_low"] <= strong["power"] <= strong["ci_high"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome": "gad7_change"}, "cannot produce"),
        ({"effect": 0.0}, "other than 0"),
        ({"effect": float("nan")}, "other than 0"),
        ({"n_clients": 3}, "between 4"),
        ({"n_trials": 5}, "between 20"),
        ({"alpha": 0.7}, "significance"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_queued(world: World, change: dict, message: str) -> None:
    experiment = draft_experiment(world)
    values = {"outcome": "phq9_change", "effect": -3.0, "n_clients": 40, **change}
    with pytest.raises(ResearchError, match=message):
        request_power(world.researcher, experiment, PowerRequest(**values))
    experiment.refresh_from_db()
    assert experiment.power_runs == [] and not DBTaskResult.objects.exists()
