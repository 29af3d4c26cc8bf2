"""compare_arms and time_by_arm against hand computations, scipy and statsmodels, and on simulated truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import linalg, stats

from emotipal.analysis.compliance.dataset import AnalysisInputError
from emotipal.analysis.trials.arm_effects import (
    bell_mccaffrey_df,
    cluster_robust_covariance,
    compare_arms,
    hedges_g,
    time_by_arm,
)


def _two_groups(seed: int = 1, n0: int = 20, n1: int = 31, shift: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y0, y1 = rng.normal(0.0, 1.0, n0), rng.normal(shift, 2.0, n1)
    return pd.DataFrame({"arm": ["a"] * n0 + ["b"] * n1, "y": np.r_[y0, y1]})


def test_two_groups_is_welchs_t_interval() -> None:
    frame = _two_groups()
    (c,) = compare_arms(frame, "y", reference="a")
    y0, y1 = frame.y[frame.arm == "a"], frame.y[frame.arm == "b"]
    welch = stats.ttest_ind(y1, y0, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert (c.n_arm, c.n_reference) == (31, 20)
    assert c.mean_arm == pytest.approx(y1.mean()) and c.mean_reference == pytest.approx(y0.mean())
    assert c.difference == pytest.approx(y1.mean() - y0.mean())
    assert c.se == pytest.approx(math.sqrt(y1.var(ddof=1) / 31 + y0.var(ddof=1) / 20))
    assert (c.ci_low, c.ci_high) == pytest.approx((ci.low, ci.high))
    assert c.p == pytest.approx(welch.pvalue)
    assert c.df == pytest.approx(welch.df)
    assert c.se_method.startswith("HC2")
    (c90,) = compare_arms(frame, "y", reference="a", level=0.9)
    ci90 = welch.confidence_interval(0.9)
    assert (c90.ci_low, c90.ci_high) == pytest.approx((ci90.low, ci90.high))


def _design(seed: int = 3, n: int = 57, clusters: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, clusters, n)
    arm = (groups % 2).astype(float)  # the arm is a cluster property, as in a cluster-randomised trial
    covariate = rng.normal(size=n)
    y = 0.4 * arm + 0.8 * covariate + rng.normal(size=clusters)[groups] + rng.normal(size=n)
    x = np.column_stack([np.ones(n), arm, covariate - covariate.mean()])
    return x, y, groups


def test_sandwich_covariances_match_statsmodels() -> None:
    x, y, groups = _design()
    clustered = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    resid = np.asarray(clustered.resid)
    assert cluster_robust_covariance(x, resid, groups, kind="CR1") == pytest.approx(
        np.asarray(clustered.cov_params()), rel=1e-10
    )
    hc2 = sm.OLS(y, x).fit(cov_type="HC2")
    assert cluster_robust_covariance(x, resid, None, kind="CR2") == pytest.approx(
        np.asarray(hc2.cov_params()), rel=1e-10
    )
    # CR2 with every row its own cluster is HC2.
    singletons = cluster_robust_covariance(x, resid, np.arange(len(y)), kind="CR2")
    assert singletons == pytest.approx(np.asarray(hc2.cov_params()), rel=1e-10)


def test_cr2_and_bell_mccaffrey_df_by_brute_force() -> None:
    x, y, groups = _design()
    frame = pd.DataFrame({"arm": np.where(x[:, 1] == 1, "b", "a"), "y": y, "g": groups, "z": x[:, 2]})
    (c,) = compare_arms(frame, "y", reference="a", cluster="g", covariates=["z"])
    # Independent computation: explicit hat matrix, matrix square roots and the n x G matrix P.
    n = len(y)
    bread = np.linalg.inv(x.T @ x)
    hat = x @ bread @ x.T
    m = np.eye(n) - hat
    e = m @ y
    a = x @ bread @ np.array([0.0, 1.0, 0.0])
    meat = np.zeros((3, 3))
    p_cols = []
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        adj = np.real(linalg.inv(linalg.sqrtm(np.eye(len(rows)) - hat[np.ix_(rows, rows)])))
        u = x[rows].T @ adj @ e[rows]
        meat += np.outer(u, u)
        p_cols.append(m[:, rows] @ adj @ a[rows])
    cov = bread @ meat @ bread
    p_mat = np.column_stack(p_cols)
    gram = p_mat.T @ p_mat
    df = np.trace(gram) ** 2 / np.trace(gram @ gram)
    assert c.se == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-8)
    assert c.df == pytest.approx(df, rel=1e-8)
    assert c.difference == pytest.approx(np.linalg.lstsq(x, y, rcond=None)[0][1])
    t = float(stats.t.ppf(0.975, df))
    assert (c.ci_low, c.ci_high) == pytest.approx((c.difference - t * c.se, c.difference + t * c.se))
    assert "CR2" in c.se_method and "9 clusters" in c.se_method
    assert c.adjusted_for == ("z",)
    # HC2's Bell-McCaffrey df by brute force as well (P = M diag(a / sqrt(1 - h))).
    w = a / np.sqrt(1.0 - np.diag(hat))
    gram_hc = np.diag(w) @ m @ np.diag(w)
    assert bell_mccaffrey_df(x, np.array([0.0, 1.0, 0.0])) == pytest.approx(
        np.trace(gram_hc) ** 2 / np.trace(gram_hc @ gram_hc), rel=1e-8
    )


def test_hedges_g_known_value() -> None:
    # 1..5 against 3..7: difference 2, pooled SD sqrt(2.5), J = 1 - 3/31, so g = 1.1425.
    frame = pd.DataFrame({"arm": ["a"] * 5 + ["b"] * 5, "y": [1, 2, 3, 4, 5, 3, 4, 5, 6, 7]})
    (c,) = compare_arms(frame, "y", reference="a")
    assert c.effect_size == pytest.approx(1.14250, abs=1e-5)
    se = math.sqrt(10 / 25 + 1.14250354**2 / 20)  # Hedges & Olkin's large-sample SE
    assert (c.es_ci_low, c.es_ci_high) == pytest.approx(
        (1.14250354 - 1.959964 * se, 1.14250354 + 1.959964 * se), abs=1e-5
    )
    assert "Hedges' g" in c.es_name
    assert hedges_g(-2.0, math.sqrt(2.5), 5, 5)[0] == pytest.approx(-1.14250, abs=1e-5)


def test_missing_outcomes_are_left_out_and_counted() -> None:
    frame = _two_groups()
    frame.loc[[0, 1, 25], "y"] = np.nan  # two in a, one in b
    (c,) = compare_arms(frame, "y", reference="a")
    assert (c.n_reference, c.n_arm, c.n_missing_reference, c.n_missing_arm) == (18, 30, 2, 1)


def test_three_arms_one_comparison_each() -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"arm": np.repeat(["ctl", "x", "y"], 30), "v": rng.normal(size=90) + np.repeat([0, 1, 2], 30)}
    )
    comparisons = compare_arms(frame, "v", reference="ctl")
    assert [c.arm for c in comparisons] == ["x", "y"]
    for c in comparisons:
        assert c.difference == pytest.approx(
            frame.v[frame.arm == c.arm].mean() - frame.v[frame.arm == "ctl"].mean()
        )


def test_interval_coverage_on_simulated_trials() -> None:
    rng = np.random.default_rng(11)
    hits = clustered_hits = 0
    reps = 200
    for _ in range(reps):
        y0, y1 = rng.normal(0.0, 1.0, 25), rng.normal(1.0, 2.0, 40)
        frame = pd.DataFrame({"arm": ["a"] * 25 + ["b"] * 40, "y": np.r_[y0, y1]})
        (c,) = compare_arms(frame, "y", reference="a")
        hits += c.ci_low <= 1.0 <= c.ci_high
    assert stats.binom.ppf(0.001, reps, 0.95) <= hits <= stats.binom.ppf(0.999, reps, 0.95)
    for _ in range(100):
        groups = np.repeat(np.arange(12), 6)
        arm = np.where(groups % 2 == 0, "a", "b")
        y = 0.5 * (arm == "b") + rng.normal(0.0, 0.8, 12)[groups] + rng.normal(size=72)
        (c,) = compare_arms(pd.DataFrame({"arm": arm, "y": y, "t": groups}), "y", reference="a", cluster="t")
        clustered_hits += c.ci_low <= 0.5 <= c.ci_high
    assert clustered_hits >= stats.binom.ppf(0.001, 100, 0.95)  # CR2 with BM df is, if anything, conservative


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        ({}, {"outcome": "nope"}, "'nope' not in the data"),
        ({}, {"reference": "zz"}, "reference arm 'zz' is not among the arms"),
        ({"arm": ["a"] * 51}, {}, "only the reference arm"),
        ({"y": ["x"] + [1.0] * 50}, {}, "'x' is not a number"),
        ({"arm": ["a"] * 50 + ["b"]}, {}, "arm 'b' has 1 participant"),
        ({"g": [0, 1] * 25 + [0]}, {"cluster": "g"}, "2 cluster(s)"),
        ({}, {"level": 1.5}, "level must lie"),
    ],
)
def test_input_errors(change: dict[str, object], kwargs: dict[str, object], message: str) -> None:
    frame = _two_groups()
    for col, values in change.items():
        frame[col] = values
    args: dict[str, object] = {"outcome": "y", "reference": "a", **kwargs}
    with pytest.raises(AnalysisInputError) as err:
        compare_arms(frame, **args)  # type: ignore[arg-type]
    assert message in str(err.value)


def _weekly(seed: int, n: int = 80, weeks: int = 8, slope_difference: float = -0.4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        arm = "b" if i % 2 else "a"
        intercept = 15 + rng.normal(0, 3)
        slope = -0.5 + (slope_difference if arm == "b" else 0.0) + rng.normal(0, 0.3)
        for w in range(weeks):
            if rng.random() < 0.1 and w > 0:
                continue  # a skipped week
            rows.append(
                {
                    "participant": f"p{i}",
                    "arm": arm,
                    "week": w,
                    "score": intercept + slope * w + rng.normal(0, 2),
                }
            )
    return pd.DataFrame(rows)


def test_time_by_arm_recovers_a_known_slope_difference() -> None:
    weekly = _weekly(2)
    (result,) = time_by_arm(weekly, reference="a")
    assert result.ci_low <= -0.4 <= result.ci_high
    assert result.estimate == pytest.approx(-0.4, abs=0.15)
    assert result.p < 0.05
    assert (result.n_participants, result.n_observations) == (80, len(weekly))
    assert "random intercept and week slope" in result.model
    (null,) = time_by_arm(_weekly(3, slope_difference=0.0), reference="a")
    assert null.ci_low <= 0.0 <= null.ci_high


def test_time_by_arm_notes_clusters_and_checks_input() -> None:
    weekly = _weekly(4, n=40)
    weekly["therapist"] = weekly["participant"].str[1:].astype(int) % 6
    (result,) = time_by_arm(weekly, reference="a", cluster="therapist")
    assert "6 clusters" in result.model and "does not include" in result.model
    with pytest.raises(AnalysisInputError, match="reference arm 'c'"):
        time_by_arm(weekly, reference="c")
    moved = weekly.copy()
    moved.loc[moved.index[0], "arm"] = "b" if moved.loc[moved.index[0], "arm"] == "a" else "a"
    with pytest.raises(AnalysisInputError, match="more than one arm"):
        time_by_arm(moved, reference="a")
    with pytest.raises(AnalysisInputError, match="'score' not in the data"):
        time_by_arm(weekly.drop(columns="score"), reference="a")
