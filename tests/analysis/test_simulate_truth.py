"""What `--true-r` means, the therapist effects, and the truth written to truth.json (issue 10 item 6, issue 16).

Pure tests: no database.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from compliance_sim import TEMPLATES

from emotipal.analysis.compliance import FIGURES
from emotipal.analysis.simulate import (
    REFERENCE_FIGURE,
    calibrated_latent_r,
    default_truth_clients,
    main,
    observed_improvements,
    population_truth,
    realised_correlation,
    realised_within_correlation,
    reference_measure,
    share_missing,
    simulate_clinic,
    write_dataset,
)

CALIBRATION_ERROR = 0.012  # relative SD of the calibration factor (two correlations from 2000 clients)


@pytest.mark.parametrize(
    ("true_r", "n", "settings"),
    [
        (0.3, 20_000, {"weeks": 4, "n_therapists": 3}),
        (0.5, 12_000, {"weeks": 3, "n_therapists": 40, "therapist_sd": 0.5, "therapist_r": 0.5}),
        (0.0, 8_000, {"weeks": 3, "n_therapists": 3}),
    ],
)
def test_true_r_is_the_within_therapist_correlation_of_the_reference_measure(
    true_r: float, n: int, settings: dict[str, Any]
) -> None:
    # Practice and scores do not depend on what is recorded around them (test below), so the large samples
    # leave that out to stay fast.
    clinic = simulate_clinic(
        templates=TEMPLATES, n_clients=n, seed=777, record_around_homework=False, true_r=true_r, **settings
    )
    # Four times the combined SD of the sample's r ((1 - r^2) / sqrt(n)) and of the calibration: 0.030,
    # 0.036 and 0.045. Before the calibration the realised value was about 0.55 * true_r (0.17 for 0.3).
    tolerance = 4 * math.sqrt((1 - true_r**2) ** 2 / n + (CALIBRATION_ERROR * true_r) ** 2)
    assert realised_within_correlation(clinic) == pytest.approx(true_r, abs=tolerance)
    assert clinic.latent_r is not None and abs(clinic.latent_r) >= abs(true_r)


def test_therapist_effects_make_an_association_only_between_therapists() -> None:
    clinic = simulate_clinic(
        templates=TEMPLATES,
        n_clients=2000,
        n_therapists=20,
        weeks=4,
        seed=5,
        true_r=0.0,
        therapist_sd=1.0,
        therapist_r=1.0,
        record_around_homework=False,
    )
    effects = np.array([(t.engagement_effect, t.improvement_effect) for t in clinic.therapists])
    assert np.allclose(effects[:, 0], effects[:, 1])  # therapist_r = 1: one effect on both
    assert 0.5 < effects[:, 0].std() < 1.5  # SD 1 over 20 therapists
    # Within caseloads nothing (SD of r about 1 / sqrt(2000) = 0.022) ...
    assert abs(realised_within_correlation(clinic)) < 0.09
    # ... but caseloads that practise more improve more, and so do their clients taken together.
    measure, improvement = reference_measure(clinic), observed_improvements(clinic)
    caseloads: dict[str, list[str]] = {}
    for c in clinic.clients:
        caseloads.setdefault(c.therapist_key, []).append(c.key)
    means = np.array(
        [
            (np.mean([measure[k] for k in keys]), np.mean([improvement[k] for k in keys]))
            for keys in caseloads.values()
        ]
    )
    assert np.corrcoef(means.T)[0, 1] > 0.8
    assert realised_correlation(clinic) > 0.2

    plain = simulate_clinic(templates=TEMPLATES, n_clients=20, seed=5, weeks=4)
    assert all(t.engagement_effect == t.improvement_effect == 0.0 for t in plain.therapists)


def test_what_is_recorded_around_the_homework_does_not_change_practice_or_scores() -> None:
    kwargs: dict[str, Any] = {"templates": TEMPLATES, "n_clients": 30, "weeks": 6, "seed": 9, "true_r": 0.3}
    full, bare = simulate_clinic(**kwargs), simulate_clinic(**kwargs, record_around_homework=False)
    assert full.scores == bare.scores and full.entries == bare.entries and full.clients == bare.clients
    assert not bare.therapist_reviews and not bare.retro_ratings and full.retro_ratings


def test_a_true_r_the_measures_cannot_show_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be reached"):
        simulate_clinic(templates=TEMPLATES, n_clients=5, weeks=4, true_r=0.9)
    assert calibrated_latent_r(0.0, weeks=4) == 0.0
    assert calibrated_latent_r(-0.3, weeks=4) == -calibrated_latent_r(0.3, weeks=4)
    template_dir = tmp_path / "exercises"
    template_dir.mkdir()
    (template_dir / "note.yaml").write_text(yaml.safe_dump({"slug": "note", "fields": TEMPLATES["note"]}))
    base = ["--clients", "4", "--weeks", "4", "--templates", str(template_dir), "--out", str(tmp_path / "o")]
    for bad in (
        ["--true-r", "0.9"],
        ["--therapist-sd", "3"],
        ["--therapist-r", "1.5"],
        ["--truth-clients", "-1"],
    ):
        with pytest.raises(SystemExit) as exc:
            main([*base, *bad])
        assert exc.value.code == 2, bad


def test_truth_json_gives_every_figures_population_value(tmp_path: Path) -> None:
    clinic = simulate_clinic(templates=TEMPLATES, n_clients=30, weeks=4, seed=3, true_r=0.3, halo=0.5)
    write_dataset(clinic, tmp_path, truth_clients=1500)
    doc = json.loads((tmp_path / "truth.json").read_text())
    assert doc["reference_figure"] == REFERENCE_FIGURE == FIGURES[0].name
    truth, realised = doc["truth"], doc["realised"]
    assert set(truth["figures"]) == {f.name for f in FIGURES}
    assert truth["reference_within_r"] == 0.3 and truth["latent_within_r"] == pytest.approx(clinic.latent_r)
    mc = truth["monte_carlo"]
    assert mc["n_clients"] == 1500 and mc["n_therapists"] == 30 and 0 < mc["max_se"] < 0.03
    # The Monte Carlo value of the reference figure agrees with the calibrated true_r.
    assert truth["figures"][REFERENCE_FIGURE]["within"] == pytest.approx(0.3, abs=4 * mc["max_se"] + 0.01)
    # With halo the end-of-treatment ratings correlate more than the record of practice.
    assert truth["figures"]["combined_retroactive"]["within"] > truth["figures"][REFERENCE_FIGURE]["within"]
    within = [v["within"] for v in truth["figures"].values()]
    assert truth["overall_within"] == pytest.approx(math.tanh(np.mean(np.arctanh(within))), abs=1e-6)
    assert realised == {
        "reference_within_r": pytest.approx(realised_within_correlation(clinic), abs=1e-6),
        "reference_all_clients_r": pytest.approx(realised_correlation(clinic), abs=1e-6),
        "latent_within_r": realised["latent_within_r"],
        "share_missing": pytest.approx(share_missing(clinic), abs=1e-6),
    }
    definitions = doc["definitions"]
    assert "population" in definitions["truth"] and "realised" in definitions["truth"]
    assert "objective percentage of planned practices completed" in definitions["true_r"]
    with (tmp_path / "therapists.csv").open(newline="") as fh:
        row = next(csv.DictReader(fh))
    assert {"truth_engagement_effect", "truth_improvement_effect"} <= set(row)
    # The truth is computed once per setting and handed out as a copy.
    first = population_truth(weeks=4, true_r=0.3, halo=0.5, n_clients=1500)
    first["figures"].clear()
    assert population_truth(weeks=4, true_r=0.3, halo=0.5, n_clients=1500)["figures"] == truth["figures"]


def test_command_line_options_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for text in ("objective percentage of planned practices completed", "--therapist-sd", "--truth-clients"):
        assert text in help_text
    # The Monte Carlo sample grows with the data set (a larger one has narrower intervals), within bounds.
    assert [default_truth_clients(n) for n in (30, 1000, 10**6)] == [2000, 5000, 20_000]
    template_dir = tmp_path / "exercises"
    template_dir.mkdir()
    (template_dir / "note.yaml").write_text(yaml.safe_dump({"slug": "note", "fields": TEMPLATES["note"]}))
    argv = ["--clients", "8", "--weeks", "4", "--templates", str(template_dir), "--truth-clients", "0"]
    assert main([*argv, "--therapist-sd", "0.5", "--therapist-r", "1", "--out", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "truth.json").read_text())
    assert doc["therapist_sd"] == 0.5 and doc["therapist_r"] == 1.0 and doc["truth"]["figures"] is None
