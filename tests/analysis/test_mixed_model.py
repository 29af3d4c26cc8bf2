"""EmotiPal's REML fit of linear mixed models against lme4's published figures, statsmodels and known truth.

Pure tests: no database. The reference figures and the data are in tests/data/lme4-sleepstudy.md and .csv.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotipal.analysis.mixed_model import MixedModelError, fit_reml

SLEEPSTUDY = Path(__file__).resolve().parent.parent / "data" / "lme4-sleepstudy.csv"


def _sleepstudy() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = pd.read_csv(SLEEPSTUDY)
    days = frame["Days"].to_numpy(dtype=float)
    return (
        frame["Reaction"].to_numpy(),
        np.column_stack([np.ones(len(days)), days]),
        frame["Subject"].to_numpy(),
    )


def test_the_random_slope_fit_matches_lme4_on_sleepstudy() -> None:
    y, x, subject = _sleepstudy()
    fit = fit_reml(y, x, subject, x)
    assert fit.converged and fit.n_obs == 180 and fit.n_groups == 18
    assert -2 * fit.llf == pytest.approx(1743.6, abs=0.05)  # as printed in Bates et al. (2015)
    assert fit.llf == pytest.approx(-871.81413598, abs=1e-6)
    assert fit.fe_params == pytest.approx([251.40510485, 10.46728596], rel=1e-7)
    assert fit.bse_fe == pytest.approx([6.824596695, 1.545789644], rel=1e-5)
    assert fit.cov_fe[0, 1] == pytest.approx(-1.451088, rel=1e-4)
    assert fit.cov_re[0, 0] == pytest.approx(612.100158025, rel=1e-4)
    assert fit.cov_re[1, 1] == pytest.approx(35.071714451, rel=1e-4)
    assert fit.cov_re[0, 1] == pytest.approx(9.604408951, rel=1e-3)
    assert fit.cov_re[1, 0] == fit.cov_re[0, 1]
    assert fit.scale == pytest.approx(654.9400083, rel=1e-5)
    assert fit.warnings == []


def test_the_random_intercept_fit_matches_lme4_on_sleepstudy() -> None:
    y, x, subject = _sleepstudy()
    fit = fit_reml(y, x, subject)
    assert fit.converged
    assert fit.llf == pytest.approx(-893.232542697, abs=1e-6)
    assert fit.cov_re.shape == (1, 1)
    assert fit.cov_re[0, 0] == pytest.approx(1378.178514, rel=1e-5)
    assert fit.scale == pytest.approx(960.4565786, rel=1e-6)
    assert fit.bse_fe == pytest.approx([9.7467162692, 0.8042214289], rel=1e-6)


def _panel(
    groups: int, *, slope_sd: float, seed: int, q: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An unbalanced panel (3 to 12 rows a group) with known fixed effects and random intercepts and slopes."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 13, groups)
    g = np.repeat(np.arange(groups), sizes)
    t = np.concatenate([np.arange(k) for k in sizes]).astype(float)
    within = rng.normal(size=len(g))
    between = rng.normal(size=groups)[g]
    u0, u1, u2 = (rng.normal(0.0, sd, groups)[g] for sd in (3.0, slope_sd, 0.5 if q == 3 else 0.0))
    y = (
        10 - 0.5 * t + 0.3 * within - 1.0 * between + 0.1 * t * between
        + u0 + u1 * t + u2 * within + rng.normal(0.0, 2.0, len(g))
    )  # fmt: skip
    x = np.column_stack([np.ones(len(g)), t, within, between, t * between])
    z = np.column_stack([np.ones(len(g)), t, within][:q])
    return y, x, g, z


@pytest.mark.parametrize(
    ("groups", "slope_sd", "q", "seed"),
    [(40, 0.5, 2, 1), (150, 0.15, 2, 2), (300, 0.3, 2, 3), (120, 0.4, 1, 4), (80, 0.4, 3, 5)],
)
def test_the_fit_agrees_with_statsmodels(groups: int, slope_sd: float, q: int, seed: int) -> None:
    from statsmodels.regression.mixed_linear_model import MixedLM

    y, x, g, z = _panel(groups, slope_sd=slope_sd, seed=seed, q=3 if q == 3 else 2)
    z = z[:, :q]
    ours = fit_reml(y, x, g, z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixedLM(y, x, groups=g, exog_re=z)
        theirs = max((model.fit(reml=True, method=m) for m in ("lbfgs", "cg", "powell")), key=lambda f: f.llf)
    assert ours.converged
    # The same likelihood, at least as high: statsmodels' optimum is never better than ours.
    assert ours.llf >= float(theirs.llf) - 1e-6
    assert ours.llf == pytest.approx(float(theirs.llf), abs=1e-3)
    assert ours.fe_params == pytest.approx(np.asarray(theirs.fe_params), rel=1e-4, abs=1e-5)
    assert ours.cov_re == pytest.approx(np.asarray(theirs.cov_re), rel=2e-3, abs=1e-4)
    assert ours.scale == pytest.approx(float(theirs.scale), rel=1e-4)
    # statsmodels' standard errors come from its numerical Hessian, lme4's (and ours) from the information
    # sigma² (X' V^-1 X)^-1: they agree to about 1% (the sleepstudy test checks ours against lme4 to 1e-5).
    assert ours.bse_fe == pytest.approx(np.asarray(theirs.bse_fe), rel=0.02)


def test_known_truth_is_recovered_at_scale() -> None:
    y, x, g, z = _panel(4000, slope_sd=0.4, seed=11)
    fit = fit_reml(y, x, g, z)
    truth = np.array([10.0, -0.5, 0.3, -1.0, 0.1])
    assert np.all(np.abs(fit.fe_params - truth) < 4 * fit.bse_fe), (fit.fe_params, fit.bse_fe)
    assert fit.cov_re[0, 0] == pytest.approx(9.0, rel=0.1)
    assert fit.cov_re[1, 1] == pytest.approx(0.16, rel=0.1)
    assert abs(fit.cov_re[0, 1]) < 0.1
    assert fit.scale == pytest.approx(4.0, rel=0.05)


def test_the_fit_does_not_depend_on_row_order_or_group_labels() -> None:
    y, x, g, z = _panel(60, slope_sd=0.5, seed=7)
    fit = fit_reml(y, x, g, z)
    order = np.random.default_rng(8).permutation(len(y))
    labels = np.array([f"client-{(v * 7919) % 1000:03d}" for v in g])
    shuffled = fit_reml(y[order], x[order], labels[order], z[order])
    assert shuffled.llf == pytest.approx(fit.llf, abs=1e-8)
    assert shuffled.fe_params == pytest.approx(fit.fe_params, rel=1e-6)
    assert shuffled.cov_re == pytest.approx(fit.cov_re, rel=1e-4, abs=1e-6)


def test_a_variance_on_the_boundary_is_zero_and_said() -> None:
    """Without any spread between groups the random intercept's variance is 0 and the fit is least squares:
    the REML likelihood is then that of ordinary regression, in closed form."""
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(30), 6)
    # The predictor and the scores have the same mean in every group, so the groups' residual means are all
    # zero: less spread between groups than noise alone would give.
    slope = rng.normal(size=len(g))
    slope -= np.bincount(g, weights=slope)[g] / 6.0
    x = np.column_stack([np.ones(len(g)), slope])
    y = 1.0 + 2.0 * slope + rng.normal(size=len(g))
    y -= np.bincount(g, weights=y)[g] / 6.0 - y.mean()
    fit = fit_reml(y, x, g)
    assert fit.cov_re[0, 0] == 0.0
    assert any("boundary" in w for w in fit.warnings)
    beta, rss = np.linalg.lstsq(x, y, rcond=None)[:2]
    n, p = x.shape
    _, logdet = np.linalg.slogdet(x.T @ x)
    ols_reml = -0.5 * ((n - p) * (1 + math.log(2 * math.pi) + math.log(float(rss[0]) / (n - p))) + logdet)
    assert fit.llf == pytest.approx(ols_reml, abs=1e-8)
    assert fit.fe_params == pytest.approx(beta, rel=1e-10)


def test_bad_input_is_refused_with_a_reason() -> None:
    y, x, g, z = _panel(10, slope_sd=0.5, seed=9)
    with pytest.raises(MixedModelError, match="missing or infinite"):
        fit_reml(np.where(np.arange(len(y)) == 3, np.nan, y), x, g, z)
    with pytest.raises(MixedModelError, match="singular"):
        fit_reml(y, np.column_stack([x, x[:, 1]]), g, z)
    with pytest.raises(MixedModelError, match="too few groups"):
        fit_reml(y, x, np.zeros(len(y)), z)
    with pytest.raises(MixedModelError, match="differ in length"):
        fit_reml(y[:-1], x, g, z)
