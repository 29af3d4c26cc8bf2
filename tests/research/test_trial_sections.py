"""The study analysis task reports each experiment's arm effects from the export's allocations table."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotipal.analysis.simulate import ArmDesign, load_templates, simulate_clinic, write_dataset
from emotipal.analysis.trials.trial_report import trial_report
from emotipal.research.analysis_tasks import trial_sections
from tests.factories import World
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

pytestmark = pytest.mark.django_db


def test_each_allocated_experiment_gets_its_arm_effects(world: World, tmp_path: Path) -> None:
    clinic = simulate_clinic(
        n_clients=40,
        weeks=8,
        seed=5,
        templates=load_templates(),
        arms=ArmDesign(arms=(("a", 1), ("b", 1)), effect_improvement=3.0),
    )
    write_dataset(clinic, tmp_path)
    study = make_study(world)
    experiment = make_experiment(study, arms=(("a", {}), ("b", {})), slug="simulated-trial")
    experiment.primary_outcomes = ["phq9_change"]
    experiment.save()
    place_in_arm(experiment, make_participant(world, study), "a")
    make_experiment(study, slug="never-allocated")
    sections = trial_sections(tmp_path, study.pk)
    assert list(sections) == ["simulated-trial"]
    expected = trial_report(tmp_path, "simulated-trial", primary=["phq9_change"])
    got = sections["simulated-trial"]["comparisons"]
    assert [c["difference"] for c in got] == [c.difference for c in expected.comparisons]
    assert "PHQ-9 change" in sections["simulated-trial"]["html"]
    assert got[0]["ci_low"] < got[0]["difference"] < got[0]["ci_high"]


def test_an_export_without_allocations_has_no_trial_sections(world: World, tmp_path: Path) -> None:
    study = make_study(world)
    assert trial_sections(tmp_path, study.pk) == {}
