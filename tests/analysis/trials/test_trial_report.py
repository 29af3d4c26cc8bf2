"""trial_report on data sets written by the simulator with arms: the arm effects are recovered."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from emotipal.analysis.compliance.dataset import AnalysisInputError
from emotipal.analysis.simulate import NO_MISSING, ArmDesign, simulate_clinic, write_dataset
from emotipal.analysis.trials.trial_report import (
    ALLOCATION_COLUMNS,
    report_html,
    score_change,
    trial_report,
)

TEMPLATES = {"note": [{"id": "situation", "type": "short_text", "label": "Situation", "required": True}]}
WEEKS = 8


def _write(
    directory: Path, design: ArmDesign, *, n_clients: int = 120, n_therapists: int = 4, seed: int = 5
) -> Path:
    clinic = simulate_clinic(
        n_clients=n_clients,
        n_therapists=n_therapists,
        weeks=WEEKS,
        seed=seed,
        true_r=0.0,
        missing=NO_MISSING,
        templates=TEMPLATES,
        arms=design,
    )
    write_dataset(clinic, directory)
    return directory


@pytest.fixture(scope="module")
def client_trial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    design = ArmDesign(arms=(("control", 1), ("nudge", 1)), effect_engagement=0.8, effect_improvement=3.0)
    return _write(tmp_path_factory.mktemp("client_trial"), design)


def test_arm_effects_are_recovered(client_trial: Path) -> None:
    report = trial_report(
        client_trial,
        "simulated-trial",
        reference="control",
        primary=("objective_percentage",),
        secondary=("phq9_change", "phq9_weekly"),
    )
    assert report.arms == ("control", "nudge") and report.unit == "client"
    assert report.n_allocated == {"control": 60, "nudge": 60}
    by = {c.outcome: c for c in report.comparisons}
    assert set(by) == {"objective_percentage", "phq9_change"}
    engagement = by["objective_percentage"]
    assert engagement.difference > 0 and engagement.p < 0.01 and engagement.effect_size > 0
    # True improvement 3 points larger: the change (last minus baseline) is 3 lower, adjusted for baseline.
    change = by["phq9_change"]
    assert change.ci_low <= -3.0 <= change.ci_high
    assert change.adjusted_for == ("phq9_baseline",)
    assert change.n_arm + change.n_reference == 120
    (slope,) = report.time_by_arm
    assert slope.ci_low <= -3.0 / (WEEKS - 1) <= slope.ci_high and slope.p < 0.05
    html = report_html(report)
    assert "Planned practices done (%) (primary)" in html and "phq9_baseline" in html
    assert "Intention to treat" in html


def test_null_design_covers_zero(tmp_path: Path) -> None:
    directory = _write(tmp_path, ArmDesign(arms=(("a", 1), ("b", 1))), n_clients=80, seed=9)
    report = trial_report(directory, "simulated-trial", primary=("objective_percentage", "phq9_change"))
    assert report.reference == "a" and any("Reference arm: a" in n for n in report.notes)
    for c in report.comparisons:
        assert c.ci_low <= 0.0 <= c.ci_high


def test_therapist_randomised_trial_is_clustered(tmp_path: Path) -> None:
    design = ArmDesign(arms=(("a", 1), ("b", 1)), unit="therapist", effect_engagement=0.5)
    directory = _write(tmp_path, design, n_clients=60, n_therapists=6)
    report = trial_report(
        directory, "simulated-trial", primary=("objective_percentage",), secondary=("phq9_weekly",)
    )
    (c,) = report.comparisons
    assert "cluster-robust (CR2" in c.se_method and "6 clusters" in c.se_method
    assert "cluster-robust" in c.es_name
    assert "does not include" in report.time_by_arm[0].model
    assert any("Randomised by therapist (6 units)" in n for n in report.notes)


def test_gad7_change_from_questionnaire_responses(client_trial: Path, tmp_path: Path) -> None:
    for f in client_trial.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    allocations = pd.read_csv(tmp_path / "allocations.csv")
    rows = []
    for i, (key, arm) in enumerate(zip(allocations.client_key, allocations.arm, strict=True)):
        base = 8 + i % 9
        drop = (5 if arm == "nudge" else 1) + (i % 3 - 1)
        rows.append(
            {
                "client_key": key,
                "instrument": "gad7",
                "status": "completed",
                "total": base,
                "completed_day": 0,
            }
        )
        rows.append(
            {
                "client_key": key,
                "instrument": "gad7",
                "status": "completed",
                "total": base - drop,
                "completed_day": 50,
            }
        )
    rows.append(
        {"client_key": "c001", "instrument": "gad7", "status": "due", "total": "", "completed_day": ""}
    )
    pd.DataFrame(rows).to_csv(tmp_path / "questionnaire_responses.csv", index=False)
    report = trial_report(tmp_path, "simulated-trial", reference="control", primary=("gad7_change",))
    (c,) = report.comparisons
    assert c.difference == pytest.approx(-4.0, abs=0.3) and c.ci_low < -3.5


def test_score_change() -> None:
    assert score_change({0: 20, 3: 15, 7: 9}, 0) == (20, -11)
    assert score_change({1: 18, 2: 16, 5: 10}, 2) == (16, -6)  # the latest score at or before allocation
    assert score_change({4: 12, 6: 8}, 2) == (12, -4)  # none before: the first
    assert score_change({0: 12}, 0) is None


def test_input_errors(client_trial: Path, tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError, match=r"allocations\.csv: file not found"):
        trial_report(tmp_path, "x")
    with pytest.raises(
        AnalysisInputError, match="no allocations for experiment 'other' \\(it has: simulated-trial\\)"
    ):
        trial_report(client_trial, "other")
    with pytest.raises(AnalysisInputError, match="unknown outcome\\(s\\) nonsense"):
        trial_report(client_trial, "simulated-trial", primary=("nonsense",))
    with pytest.raises(AnalysisInputError, match="reference arm 'zz' is not an arm"):
        trial_report(client_trial, "simulated-trial", reference="zz")
    for f in client_trial.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    with (tmp_path / "allocations.csv").open("a", newline="") as fh:
        csv.writer(fh).writerow(["simulated-trial", 1, "c001", "client", "c001", "nudge", 999, 0, "manual"])
    with pytest.raises(AnalysisInputError, match="line 122: client 'c001' is allocated twice"):
        trial_report(tmp_path, "simulated-trial")
    (tmp_path / "allocations.csv").write_text("experiment,client_key\nx,c001\n")
    with pytest.raises(AnalysisInputError, match="column\\(s\\) unit, unit_key, arm, allocated_day missing"):
        trial_report(tmp_path, "x")


def test_html_is_escaped(client_trial: Path, tmp_path: Path) -> None:
    for f in client_trial.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    allocations = pd.read_csv(tmp_path / "allocations.csv")
    allocations["experiment"] = "<b>trial</b>"
    allocations["arm"] = allocations["arm"].replace({"nudge": "<i>nudge</i>"})
    allocations.to_csv(tmp_path / "allocations.csv", index=False)
    html = report_html(
        trial_report(tmp_path, "<b>trial</b>", reference="control", primary=("objective_count",))
    )
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;trial&lt;/b&gt;" in html and "&lt;i&gt;nudge&lt;/i&gt;" in html
    assert list(allocations.columns) == list(ALLOCATION_COLUMNS)
