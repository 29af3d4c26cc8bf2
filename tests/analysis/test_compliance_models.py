"""The within/between-person mixed model and the bootstrap mediation analysis on data with known effects.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import numpy as np
import pytest

from emotipal.analysis.compliance import mediation, within_between_model
from emotipal.analysis.compliance.figures import WeekRow
from emotipal.analysis.compliance.mediation import _paths


def _panel(
    within: float, between: float, *, clients: int = 80, weeks: int = 10, seed: int = 0
) -> list[WeekRow]:
    """Weekly PHQ-9 with known effects per 10 points of the previous week's engagement.

    Clients differ in their intercept (SD 3) and in their time slope (SD 0.2 points per week).
    """
    rng = np.random.default_rng(seed)
    usual = rng.uniform(20, 90, size=clients)  # each client's usual engagement
    grand = usual.mean()
    rows = []
    for i in range(clients):
        intercept, slope = rng.normal(0, 3), rng.normal(-0.4, 0.2)
        practice = np.clip(usual[i] + rng.normal(0, 15, size=weeks), 0, 100)
        for week in range(1, weeks + 1):
            x = float(practice[week - 1])  # practice in the week before the score
            phq = (
                15.0
                + slope * week
                + within * (x - usual[i]) / 10
                + between * (usual[i] - grand) / 10
                + intercept
                + rng.normal(0, 2)
            )
            rows.append(WeekRow(f"c{i}", week, phq, x))
    return rows


def test_mixed_model_separates_within_from_between_person_effects() -> None:
    # Opposite signs on purpose: a single pooled slope would mix them up.
    result = within_between_model(_panel(within=0.6, between=-1.5))
    coef = result["coefficients"]
    assert result["converged"] and result["n_clients"] == 80 and result["n_observations"] == 800
    assert coef["within"]["estimate"] == pytest.approx(0.6, abs=0.2)  # SE about 0.05
    assert coef["between"]["estimate"] == pytest.approx(-1.5, abs=0.5)  # SE about 0.2
    assert coef["week"]["estimate"] == pytest.approx(-0.4, abs=0.1)  # SE about 0.03
    assert coef["week_x_between"]["ci_low"] < 0 < coef["week_x_between"]["ci_high"]  # none simulated
    for term in coef.values():
        assert term["ci_low"] < term["estimate"] < term["ci_high"]
    assert coef["within"]["ci_low"] > 0 > coef["between"]["ci_high"]
    assert result["random_intercept_variance"] == pytest.approx(9.0, rel=0.5)
    assert result["random_slope_sd"] == pytest.approx(0.2, rel=0.35)
    assert result["residual_variance"] == pytest.approx(4.0, rel=0.25)
    assert result["random_slope_test"]["p"] < 0.001
    assert "previous week" in result["model"] and "own time slope" in result["model"]


def test_mixed_model_reports_what_it_cannot_fit() -> None:
    assert "error" in within_between_model([])
    assert "error" in within_between_model([WeekRow("c1", w, 10.0, 50.0) for w in range(5)])
    constant = [WeekRow(f"c{i}", w, 10.0 + w, 50.0) for i in range(5) for w in range(4)]
    assert "error" in within_between_model(constant)


def _mediated(n: int, a: float, b: float, direct: float, seed: int) -> tuple[list[float], ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = a * x + rng.normal(size=n)
    y = b * m + direct * x + rng.normal(size=n)
    return list(x), list(m), list(y)


def test_mediation_recovers_the_indirect_effect_with_a_bootstrap_ci() -> None:
    x, m, y = _mediated(300, a=0.5, b=0.6, direct=0.1, seed=1)
    result = mediation(x, m, y, resamples=1000, seed=7)
    assert result["a"]["estimate"] == pytest.approx(0.5, abs=0.15)
    assert result["b"]["estimate"] == pytest.approx(0.6, abs=0.15)
    ind = result["indirect"]
    assert ind["estimate"] == pytest.approx(0.3, abs=0.1)
    assert 0 < ind["ci_low"] < ind["estimate"] < ind["ci_high"]
    # In least squares the total effect is the direct plus the indirect effect exactly.
    assert result["c"]["estimate"] == pytest.approx(result["c_prime"]["estimate"] + ind["estimate"])
    assert result["bootstrap"] == {
        "method": "percentile",
        "resampling": "clients with replacement",
        "scheme": "clients",
        "therapist_fixed_effects": False,
        "resamples": 1000,
        "seed": 7,
        "failed": 0,
    }
    # Seeded: the same CI every time, another one with another seed.
    assert mediation(x, m, y, resamples=1000, seed=7)["indirect"] == ind
    assert mediation(x, m, y, resamples=1000, seed=8)["indirect"]["ci_low"] != ind["ci_low"]


def test_mediation_without_an_indirect_path_has_a_ci_around_zero() -> None:
    x, m, y = _mediated(300, a=0.5, b=0.0, direct=0.4, seed=2)
    ind = mediation(x, m, y, resamples=1000, seed=7)["indirect"]
    assert ind["ci_low"] < 0 < ind["ci_high"]


def test_vectorised_paths_match_least_squares() -> None:
    x, m, y = (np.asarray(v) for v in _mediated(40, a=0.3, b=0.4, direct=0.2, seed=3))
    rng = np.random.default_rng(4)
    cov = rng.normal(size=(40, 2))
    weights = rng.integers(0, 3, size=40).astype(float)  # a bootstrap resample's counts
    a, b, c_prime, c = (float(v) for v in _paths(x[None], m[None], y[None], cov[None], weights[None])[0])
    # The same fit on the resample written out row by row.
    rows = np.repeat(np.arange(40), weights.astype(int))
    ones = np.ones(len(rows))
    base = np.column_stack([ones, x[rows], cov[rows]])
    ref_a = np.linalg.lstsq(base, m[rows], rcond=None)[0][1]
    ref_b = np.linalg.lstsq(np.column_stack([base, m[rows]]), y[rows], rcond=None)[0]
    ref_c = np.linalg.lstsq(base, y[rows], rcond=None)[0][1]
    assert (a, b, c_prime, c) == pytest.approx((ref_a, ref_b[-1], ref_b[1], ref_c))
    assert c == pytest.approx(c_prime + a * b)  # with common covariates, still exactly


def test_mediation_refuses_too_little_or_degenerate_data() -> None:
    assert "error" in mediation([1.0, 2.0], [1.0, 2.0], [1.0, 2.0])
    flat = [1.0] * 20
    assert "error" in mediation(flat, list(range(20)), list(range(20)))


def test_mixed_model_keeps_the_best_likelihood_any_optimiser_reaches() -> None:
    # statsmodels' BFGS alone stopped at a far worse point on one CI machine: EmotiPal's own REML fit must
    # reach at least the best likelihood statsmodels finds with any of its optimisers.
    import warnings

    from statsmodels.regression.mixed_linear_model import MixedLM

    rows = _panel(within=0.6, between=-1.5)
    result = within_between_model(rows, test_random_slope=False)
    x = np.array([r.engagement / 10 for r in rows])
    groups = np.array([r.client for r in rows])
    week = np.array([float(r.week) for r in rows])
    means = {c: x[groups == c].mean() for c in set(groups)}
    pm = np.array([means[g] for g in groups])
    between = pm - np.mean(list(means.values()))
    exog = np.column_stack([np.ones(len(rows)), week, x - pm, between, week * between])
    model = MixedLM(
        np.array([r.phq9 for r in rows]),
        exog,
        groups=groups,
        exog_re=np.column_stack([np.ones(len(rows)), week]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best = max(float(model.fit(reml=True, method=m).llf) for m in ("bfgs", "nm", "powell"))
    assert result["log_likelihood_reml"] >= best - 1e-3


def test_the_within_between_split_uses_each_clients_own_mean() -> None:
    """Person means by one pass over the rows (not a mask per client): the within-person part averages to 0
    for every client and the between-person part is the client's mean less the mean of the client means."""
    import numpy as np

    from emotipal.analysis.compliance import mixed

    captured: dict[str, np.ndarray] = {}

    def fake_fit(endog: np.ndarray, exog: np.ndarray, groups: np.ndarray, exog_re: object = None) -> object:
        captured["exog"], captured["groups"] = exog, groups
        raise mixed.MixedModelError("stop after the design")

    rng = np.random.default_rng(3)
    rows = [
        mixed.WeekRow(
            client=f"c{c}", week=w, engagement=float(rng.integers(0, 101)), phq9=float(rng.integers(0, 28))
        )
        for c in range(7)
        for w in range(1, 4 + c % 4)
    ]
    original = mixed.fit_reml
    mixed.fit_reml = fake_fit  # type: ignore[assignment]
    try:
        assert "error" in mixed.within_between_model(rows)
    finally:
        mixed.fit_reml = original  # type: ignore[assignment]
    within, between, groups = captured["exog"][:, 2], captured["exog"][:, 3], captured["groups"]
    x = np.array([r.engagement / mixed.UNIT for r in rows])
    means = {g: x[groups == g].mean() for g in set(groups)}
    grand = np.mean(list(means.values()))
    for g, m in means.items():
        assert abs(within[groups == g].mean()) < 1e-12
        assert np.allclose(between[groups == g], m - grand, atol=1e-12)
