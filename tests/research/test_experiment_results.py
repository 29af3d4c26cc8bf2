"""The results sections of an experiment's page: CONSORT, arm effects, power requests, the MRT's effect."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emotipal.platform.audit.models import AuditEvent
from emotipal.research.models import (
    Experiment,
    ExperimentKind,
    ExperimentState,
    JobStatus,
    StudyAnalysis,
    StudyExport,
)
from tests.factories import World
from tests.research.consent_helpers import signed
from tests.research.experiment_factory import make_experiment
from tests.research.study_factory import make_study
from tests.research.team_factory import join, researcher_at
from tests.research.test_mrt_analysis import recorded_trial

pytestmark = pytest.mark.django_db


def page_url(experiment: Experiment, rest: str = "") -> str:
    return f"/research/studies/{experiment.study.slug}/experiments/{experiment.pk}/{rest}"


def running_trial(world: World) -> Experiment:
    study = make_study(world)
    experiment = make_experiment(study, title="Reminders <script>alert(1)</script>", method="simple")
    signed(world, study, world.client_a)
    signed(world, study, world.client_b)
    return experiment


def test_the_page_draws_the_consort_flow_from_the_participant_states(world: World) -> None:
    experiment = running_trial(world)
    page = world.login(world.researcher).get(page_url(experiment)).content.decode()
    assert "<svg" in page and "consort-box" in page
    assert "<script>alert(1)</script>" not in page  # the title inside the SVG is escaped
    table = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>(\d+)</td>", page)
    numbers = {(stage, arm): int(n) for stage, arm, n in table}
    assert numbers[("Assessed for eligibility", "")] == 2
    assert numbers[("Randomised", "")] == 2
    assert sum(n for (stage, arm), n in numbers.items() if stage.startswith("Allocated")) == 2


def test_arm_effects_come_from_the_latest_analysis_of_an_export(world: World) -> None:
    experiment = running_trial(world)
    http = world.login(world.researcher)
    assert "No analysis has been run yet" in http.get(page_url(experiment)).content.decode()
    export = StudyExport.objects.create(
        study=experiment.study, requested_by=world.researcher, status=JobStatus.DONE
    )
    StudyAnalysis.objects.create(
        export=export,
        requested_by=world.researcher,
        status=JobStatus.FAILED,
        message="too few participants",
        finished_at=timezone.now(),
        summary={"trials": {experiment.slug: {"html": "<h2>Arm effects: reminders</h2>", "comparisons": []}}},
    )
    page = http.get(page_url(experiment)).content.decode()
    assert "<h2>Arm effects: reminders</h2>" in page


def test_a_manager_asks_for_the_power_and_bad_input_queues_nothing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    http = world.login(world.researcher)
    bad = http.post(
        page_url(experiment, "power/"),
        {"outcome": "phq9_change", "effect": "lots", "n_clients": "50", "n_trials": "100"},
        follow=True,
    )
    assert "The effect must be a number" in bad.content.decode()
    assert not DBTaskResult.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ok = http.post(
            page_url(experiment, "power/"),
            {"outcome": "phq9_change", "effect": "-3,5", "n_clients": "50", "n_trials": "100", "weeks": "8"},
            follow=True,
        )
    assert "Simulating 100 trials" in ok.content.decode() and 'hx-trigger="every 3s"' in ok.content.decode()
    experiment.refresh_from_db()
    assert experiment.power_runs[0]["request"]["effect"] == -3.5
    assert DBTaskResult.objects.count() == 1
    assert AuditEvent.objects.filter(action="research.experiment.power_requested").count() == 1
    statistician = researcher_at(world.clinic, "stat@example.org")
    join(study, statistician)
    assert world.login(statistician).post(page_url(experiment, "power/"), {"effect": "1"}).status_code == 404


def test_an_mrt_page_shows_the_excursion_effect(world: World) -> None:
    experiment, _frame, _truth = recorded_trial(world, 12, 20)
    page = world.login(world.researcher).get(page_url(experiment)).content.decode()
    assert "Effect of a reminder, averaged over decision points" in page
    assert "Change in the effect per day in treatment" in page
    assert experiment.kind == ExperimentKind.MRT
