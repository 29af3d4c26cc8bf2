"""Improvement adjusted for the baseline, simulated missing scores, and the analysis under missingness.

Pure tests: no database, no Django settings (issue 16, item 4).

The simulator keeps every weekly score as it would have been answered (`complete_scores`) and, from its
own random stream, drops some (`scores`): none after an early discharge, some skipped, some clients
dropping out, more often after a high score - missing at random (MAR) given the scores seen. A clinic
simulated with and without missingness is otherwise the same, so every estimate on the incomplete data
can be set against the same estimate on the complete data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from compliance_sim import SMALL, clinic, dataset_dir

from emotipal.analysis.compliance import (
    analyse,
    client_figures,
    improvements,
    load_dataset,
    render_text,
    weekly_panel,
    within_between_model,
)
from emotipal.analysis.compliance.figures import improvement_imputations, imputed_scores
from emotipal.analysis.compliance.imputation import pooled_correlation, rubin
from emotipal.analysis.simulate import NO_MISSING, Missingness, share_missing, write_dataset

# Strongly MAR: a fifth of the questionnaires skipped and 8% of clients leaving each week at a score of
# 14, both four times as likely at 19 (log-odds + 0.28 per point), on top of no scores after discharge.
MAR = Missingness(skip_rate=0.2, dropout_rate=0.08, per_point=0.28)


def test_the_simulator_drops_scores_as_set() -> None:
    sim = clinic(n_clients=400, seed=3)
    complete = {(s.client_key, s.week): s.phq9 for s in sim.complete_scores}
    answered = {(s.client_key, s.week): s.phq9 for s in sim.scores}
    assert len(complete) == 400 * SMALL["weeks"]
    assert all(complete[k] == v for k, v in answered.items())  # what is answered is the complete score
    discharged = {c.key: c.discharged_day // 7 for c in sim.clients if c.discharged_day is not None}
    skipped = high = skipped_high = 0
    for c in sim.clients:
        assert (c.key, 0) in answered  # the intake questionnaire is always answered
        last = complete[c.key, 0]
        for w in range(1, SMALL["weeks"]):
            if c.key in discharged and w > discharged[c.key]:
                assert (c.key, w) not in answered  # none after a discharge
                continue
            missed = (c.key, w) not in answered
            skipped += missed
            high += last > 14
            skipped_high += missed and last > 14
            last = answered.get((c.key, w), last)
    in_treatment = sum(
        1
        for c in sim.clients
        for w in range(1, SMALL["weeks"])
        if c.key not in discharged or w <= discharged[c.key]
    )
    # Default: about one in ten skipped (log-odds + 0.05 per point above 14; no dropout in treatment).
    assert 0.07 < skipped / in_treatment < 0.14
    assert skipped_high / high > (skipped - skipped_high) / (in_treatment - high)  # more after a high score
    assert share_missing(sim) == pytest.approx(1 - len(answered) / len(complete))
    # Without missingness the same clinic, every score answered.
    full = clinic(n_clients=400, seed=3, missing=NO_MISSING)
    assert full.scores == full.complete_scores == sim.complete_scores
    assert full.entries == sim.entries and full.therapist_reviews != ()


def test_the_missing_share_is_reported(tmp_path: Path) -> None:
    sim = clinic(seed=4, missing=MAR)
    write_dataset(sim, tmp_path / "d")
    data = load_dataset(tmp_path / "d")
    report = analyse(data, resamples=50).report
    missing = report["missing"]
    truth = json.loads((tmp_path / "d" / "truth.json").read_text())
    assert missing["client_weeks"] == SMALL["n_clients"] * SMALL["weeks"]
    assert missing["missing"] == len(sim.complete_scores) - len(sim.scores)
    assert missing["share_missing"] == pytest.approx(truth["realised"]["share_missing"], abs=1e-6)
    assert missing["share_missing"] == pytest.approx(share_missing(sim))
    after = sum(
        1
        for c in sim.clients
        if c.discharged_day is not None
        for w in range(c.discharged_day // 7 + 1, SMALL["weeks"])
    )
    assert missing["missing_after_discharge"] == after
    end = SMALL["weeks"] - 1
    answered_end = {s.client_key for s in sim.scores if s.week == end}
    assert missing["clients_end_score_missing"] == SMALL["n_clients"] - len(answered_end)
    assert 0.3 < missing["share_missing"] < 0.7  # a strong test of the handling
    text = render_text(report)
    assert f"Missing weekly PHQ-9: {missing['missing']} of {missing['client_weeks']} client-weeks" in text


def test_improvement_is_the_change_adjusted_for_the_baseline(tmp_path: Path) -> None:
    data = load_dataset(dataset_dir(tmp_path / "d", seed=6, missing=NO_MISSING))
    outcome = improvements(data)
    keys = [c.key for c in data.clients]
    base = np.array([data.clients[i].scores[0] for i in range(len(keys))])
    end = np.array([data.clients[i].scores[SMALL["weeks"] - 1] for i in range(len(keys))])
    slope, intercept = np.polyfit(base, end, 1)
    expected = (intercept + slope * base) - end + (base.mean() - end.mean())
    assert [outcome[k] for k in keys] == pytest.approx(list(expected))
    # Its mean is the mean change, and it carries nothing of the baseline (ANCOVA's residual).
    assert np.mean(list(outcome.values())) == pytest.approx(float(np.mean(base - end)))
    assert np.corrcoef(base, [outcome[k] for k in keys])[0, 1] == pytest.approx(0.0, abs=1e-9)
    # Complete data: every imputation is the data itself.
    draws = improvement_imputations(data)
    assert all(d == draws[0] for d in draws) and draws[0] == pytest.approx(outcome)


def test_under_mar_the_imputed_and_mixed_model_estimates_stay_unbiased(tmp_path: Path) -> None:
    """Against the same estimate on the complete data of each clinic, over 12 clinics.

    Per clinic the imputed mean end score differs from the complete one with an SD of about 0.6 points,
    the mixed model's week slope with an SD of about 0.09 per week and the pooled correlation with the
    share of practices done with an SD of about 0.14; each tolerance is about 4 standard errors of the mean
    difference over 12 clinics (measured: -0.09, +0.05 and +0.04), while ignoring the missingness is
    several times further off (complete cases -2.5 points, the last answer carried forward +2.4).
    """
    runs = 12
    end = SMALL["weeks"] - 1
    d_imputed, d_complete_case, d_last_observed, d_slope, d_r = [], [], [], [], []
    for run in range(runs):
        seed = 40_000 + run
        write_dataset(clinic(seed=seed, missing=MAR), tmp_path / f"m{run}")
        write_dataset(clinic(seed=seed, missing=NO_MISSING), tmp_path / f"c{run}")
        incomplete, complete = load_dataset(tmp_path / f"m{run}"), load_dataset(tmp_path / f"c{run}")
        truth = np.mean([c.scores[end] for c in complete.clients])
        imp = imputed_scores(incomplete, seed=run)  # its own seed: Monte Carlo error does not add up
        d_imputed.append(float(imp.completed[:, :, end].mean()) - truth)
        d_complete_case.append(
            np.mean([c.scores[end] for c in incomplete.clients if end in c.scores]) - truth
        )
        d_last_observed.append(np.mean([c.scores[max(c.scores)] for c in incomplete.clients]) - truth)
        fits = [
            within_between_model(weekly_panel(d), test_random_slope=False) for d in (incomplete, complete)
        ]
        d_slope.append(
            fits[0]["coefficients"]["week"]["estimate"] - fits[1]["coefficients"]["week"]["estimate"]
        )
        x = client_figures(incomplete)["objective_percentage"]
        r_mi = pooled_correlation(x, improvement_imputations(incomplete, seed=run))["r"]
        r_full = pooled_correlation(
            client_figures(complete)["objective_percentage"], [improvements(complete)]
        )["r"]
        assert r_mi is not None and r_full is not None
        d_r.append(r_mi - r_full)
    assert abs(np.mean(d_imputed)) < 0.7, d_imputed
    assert abs(np.mean(d_slope)) < 0.11, d_slope
    assert abs(np.mean(d_r)) < 0.16, d_r
    # Ignoring the missingness: the clients still answering at the end are the ones doing better, and
    # carrying the last answer forward freezes the worse-off where they left.
    assert np.mean(d_complete_case) < -2.0, d_complete_case
    assert np.mean(d_last_observed) > 1.5, d_last_observed


def test_rubins_rules() -> None:
    estimates, variances = [1.0, 1.4, 0.8, 1.2], [0.04, 0.05, 0.03, 0.04]
    pooled = rubin(estimates, variances, df_complete=30.0)
    m, qbar, ubar = 4, 1.1, 0.04
    b = np.var(estimates, ddof=1)
    total = ubar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / total
    df_old = (m - 1) / lam**2
    df_obs = (31 / 33) * 30 * (1 - lam)
    df = 1 / (1 / df_old + 1 / df_obs)  # Barnard & Rubin (1999)
    assert pooled.estimate == pytest.approx(qbar)
    assert pooled.se == pytest.approx(math.sqrt(total))
    assert pooled.df == pytest.approx(df)
    assert pooled.fmi == pytest.approx(lam)
    from scipy import stats

    half = stats.t.ppf(0.975, df) * math.sqrt(total)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((qbar - half, qbar + half))
    # Identical imputations: no between variance, the complete-data df.
    same = rubin([2.0] * 5, [0.1] * 5, df_complete=20.0)
    assert same.between == 0 and same.df == 20.0 and same.se == pytest.approx(math.sqrt(0.1))


def test_pooled_correlation_on_one_imputation_is_the_fisher_ci() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    y = 0.5 * x + rng.normal(size=50)
    keys = [f"c{i}" for i in range(50)]
    result = pooled_correlation(dict(zip(keys, x, strict=True)), [dict(zip(keys, y, strict=True))])
    r = float(np.corrcoef(x, y)[0, 1])
    assert result["r"] == pytest.approx(r)
    from scipy import stats

    half = float(stats.t.ppf(0.975, 47)) / math.sqrt(47)  # Rubin's t with the complete-data df
    assert result["ci_low"] == pytest.approx(math.tanh(math.atanh(r) - half))
    assert result["fmi"] == 0.0


def test_the_command_line_sets_the_missingness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from emotipal.analysis.simulate import main

    templates = tmp_path / "exercises"
    templates.mkdir()
    (templates / "note.yaml").write_text(
        yaml.safe_dump(
            {
                "slug": "note",
                "title": "Note",
                "fields": [{"id": "situation", "type": "short_text", "required": True}],
            }
        )
    )
    common = ["--clients", "20", "--weeks", "6", "--seed", "3", "--templates", str(templates)]
    argv = [*common, "--skip-rate", "0", "--missing-per-point", "0", "--scores-after-discharge"]
    assert main([*argv, "--out", str(tmp_path / "full")]) == 0
    assert "0.0% of the weekly PHQ-9 scores missing" in capsys.readouterr().out
    truth = json.loads((tmp_path / "full" / "truth.json").read_text())
    assert truth["realised"]["share_missing"] == 0.0 and truth["missing"]["after_discharge"] is False
    rows = (tmp_path / "full" / "scores.csv").read_text().splitlines()
    assert len(rows) == 1 + 20 * 6
    argv = [*common, "--skip-rate", "0.3", "--dropout-rate", "0.1", "--practice-effect", "-0.4"]
    assert main([*argv, "--out", str(tmp_path / "some")]) == 0
    truth = json.loads((tmp_path / "some" / "truth.json").read_text())
    assert truth["missing"] == {
        "after_discharge": True,
        "skip_rate": 0.3,
        "dropout_rate": 0.1,
        "per_point": 0.05,
    }
    assert truth["truth"]["lagged_within_effect"] == -0.4
    assert truth["realised"]["share_missing"] > 0.2
    with pytest.raises(SystemExit):
        main([*common, "--skip-rate", "1.5", "--out", str(tmp_path / "bad")])
