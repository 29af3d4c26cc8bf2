"""Power by simulation: the type I error is alpha, a large effect is found, the Wilson interval is right."""

from __future__ import annotations

from typing import Any

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from emotipal.analysis.compliance.dataset import AnalysisInputError
from emotipal.analysis.trials.power import power_by_simulation, wilson_interval

SMALL: dict[str, Any] = {"n_clients": 40, "weeks": 6, "n_therapists": 4}


def test_no_effect_rejects_at_about_alpha() -> None:
    n = 160
    result = power_by_simulation(
        outcome="objective_percentage", effect=0.0, n_trials=n, alpha=0.1, seed=3, **SMALL
    )
    assert result.n_trials == n and result.n_failed == 0
    successes = round(result.power * n)
    # Within a two-sided 99.8% binomial range around alpha = 0.1.
    assert stats.binom.ppf(0.001, n, 0.1) <= successes <= stats.binom.ppf(0.999, n, 0.1)
    assert result.ci_low <= 0.1 <= result.ci_high
    assert f"{n} simulated trials" in result.note
    assert result.n_per_arm == (20, 20) and result.unit == "client" and result.alpha == 0.1
    assert result.seconds > 0


def test_large_effects_are_found() -> None:
    engagement = power_by_simulation(outcome="objective_percentage", effect=1.5, n_trials=25, seed=1, **SMALL)
    assert engagement.power >= 0.9
    change = power_by_simulation(outcome="phq9_change", effect=5.0, n_trials=25, seed=2, **SMALL)
    assert change.power >= 0.8
    assert "PHQ-9 points" in change.note


def test_power_grows_with_the_sample() -> None:
    small = power_by_simulation(
        outcome="objective_percentage", effect=0.5, n_trials=30, seed=4, n_clients=20, weeks=5
    )
    large = power_by_simulation(
        outcome="objective_percentage", effect=0.5, n_trials=30, seed=4, n_clients=80, weeks=5
    )
    assert large.power > small.power


def test_cluster_randomised_design_runs_with_unequal_ratios() -> None:
    result = power_by_simulation(
        outcome="objective_percentage",
        effect=0.0,
        n_clients=36,
        weeks=5,
        unit="therapist",
        n_therapists=6,
        arms=(("ctl", 1), ("app", 2)),
        n_trials=10,
    )
    assert result.n_per_arm == (12, 24) and result.n_failed == 0 and 0.0 <= result.power <= 1.0


def test_wilson_interval_matches_statsmodels() -> None:
    for k, n in ((0, 20), (7, 50), (50, 50), (13, 200)):
        assert wilson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "gad7_change"}, "cannot generate outcome 'gad7_change'"),
        ({"alpha": 0.0}, "alpha must lie"),
        ({"n_trials": 0}, "n_trials must be at least 1"),
        ({"unit": "therapist", "n_therapists": 2}, "2 therapists cannot be randomised"),
        ({"unit": "ward"}, "unit of randomisation must be one of"),
        ({"arms": (("a", 1),)}, "at least two arms"),
        ({"n_clients": 3}, "too few"),
    ],
)
def test_input_errors(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"outcome": "objective_percentage", "effect": 0.3, "n_clients": 20, **kwargs}
    with pytest.raises(AnalysisInputError, match=message):
        power_by_simulation(**args)  # type: ignore[arg-type]
