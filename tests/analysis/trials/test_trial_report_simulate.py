"""The simulator's arms: allocation by unit, effects on the latents, allocations.csv and the command line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from emotipal.analysis import simulate
from emotipal.analysis.simulate import ALLOCATION_COLUMNS, ArmDesign, parse_arms, simulate_clinic

TEMPLATES = {"note": [{"id": "situation", "type": "short_text", "label": "Situation", "required": True}]}
SMALL: dict[str, Any] = {
    "n_clients": 30,
    "n_therapists": 3,
    "weeks": 6,
    "seed": 4,
    "true_r": 0.0,
    "templates": TEMPLATES,
}


def test_arms_without_effects_leave_the_clinic_unchanged() -> None:
    plain = simulate_clinic(**SMALL)
    trial = simulate_clinic(**SMALL, arms=ArmDesign(arms=(("a", 1), ("b", 2))))
    assert trial.entries == plain.entries and trial.scores == plain.scores
    assert [c.arm for c in plain.clients] == [None] * 30
    assert Counter(c.arm for c in trial.clients) == {"a": 10, "b": 20}  # permuted blocks of 1:2


def test_effects_shift_the_latents_of_the_other_arms_only() -> None:
    base = simulate_clinic(**SMALL, arms=ArmDesign(arms=(("a", 1), ("b", 1))))
    moved = simulate_clinic(
        **SMALL, arms=ArmDesign(arms=(("a", 1), ("b", 1)), effect_engagement=0.5, effect_improvement=2.0)
    )
    for before, after in zip(base.clients, moved.clients, strict=True):
        assert before.arm == after.arm and before.quality == after.quality
        if after.arm == "a":
            assert after == before
        else:
            assert after.improvement == pytest.approx(before.improvement + 2.0)
            inv = simulate.NormalDist().inv_cdf
            assert inv(after.engagement) == pytest.approx(inv(before.engagement) + 0.5)


@pytest.mark.parametrize(("unit", "n_units"), [("therapist", 3), ("clinic", 2)])
def test_cluster_units_share_an_arm(unit: str, n_units: int) -> None:
    clinic = simulate_clinic(**SMALL, arms=ArmDesign(arms=(("a", 1), ("b", 1)), unit=unit))
    by_unit: dict[str, set[str]] = {}
    for a in clinic.allocations:
        by_unit.setdefault(a.unit_key, set()).add(a.arm)
    assert len(by_unit) == n_units and all(len(arms) == 1 for arms in by_unit.values())
    assert {a.arm for a in clinic.allocations} == {"a", "b"}
    therapist = {c.key: c.therapist_key for c in clinic.clients}
    if unit == "therapist":
        assert all(a.unit_key == therapist[a.client_key] for a in clinic.allocations)


def test_command_line_writes_the_allocation_log(tmp_path: Path) -> None:
    code = simulate.main(
        [
            "--clients", "24", "--weeks", "5", "--therapists", "2", "--truth-clients", "0", "--true-r", "0",
            "--arms", "ctl:1,app:1", "--arm-effect-improvement", "2", "--arm-unit", "therapist",
            "--out", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    allocations = pd.read_csv(tmp_path / "allocations.csv")
    assert tuple(allocations.columns) == ALLOCATION_COLUMNS
    assert len(allocations) == 24 and set(allocations.unit) == {"therapist"}
    clients = pd.read_csv(tmp_path / "clients.csv")
    assert dict(zip(clients.key, clients.arm, strict=True)) == dict(
        zip(allocations.client_key, allocations.arm, strict=True)
    )
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["arms"]["effect_improvement_phq9"] == 2.0 and truth["arms"]["reference"] == "ctl"
    assert truth["arms"]["time_slope_difference"] == pytest.approx(-0.5)
    assert sum(truth["arms"]["n_allocated"].values()) == 24


def test_no_arms_no_allocation_files(tmp_path: Path) -> None:
    assert (
        simulate.main(
            [
                "--clients",
                "8",
                "--weeks",
                "3",
                "--truth-clients",
                "0",
                "--true-r",
                "0",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert not (tmp_path / "allocations.csv").exists()
    assert "arm" not in pd.read_csv(tmp_path / "clients.csv").columns
    assert "arms" not in json.loads((tmp_path / "truth.json").read_text())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--arms", "a:1"], "at least two arms"),
        (["--arms", "a:x,b:1"], "not an arm as key:ratio"),
        (["--arms", "a:1,a:1"], "unique"),
        (["--arms", "a:0,b:1"], "whole numbers of at least 1"),
        (["--arm-effect-engagement", "0.3"], "an arm effect needs --arms"),
    ],
)
def test_command_line_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        simulate.main(
            ["--clients", "8", "--weeks", "3", "--truth-clients", "0", "--out", str(tmp_path), *argv]
        )
    assert message in capsys.readouterr().err


def test_parse_arms() -> None:
    assert parse_arms("a:1, b:2,c") == (("a", 1), ("b", 2), ("c", 1))
    assert parse_arms(" x:3 ,y:1") == (("x", 3), ("y", 1))
