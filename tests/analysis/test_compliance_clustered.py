"""The arithmetic of the within-therapist correlations, the client bootstrap and the moderator contrasts.

Pure tests on small hand-made inputs, checked against independent computations (least-squares residuals,
repeated rows, the covariance written out); the calibration over many simulated data sets is in
test_compliance_calibration.py.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from emotipal.analysis.compliance.clustered import (
    Sample,
    client_resamples,
    correlations,
    point_correlations,
    within_r,
)
from emotipal.analysis.compliance.contrasts import moderator_analysis, separable_groups
from emotipal.analysis.compliance.figures import FIGURES, FigureSpec


def _data(n: int = 90, therapists: int = 3, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = np.arange(n) % therapists
    shift = rng.normal(0, 3, size=therapists)[groups]  # caseloads differ a lot in both
    x = shift + rng.normal(size=n)
    y = 2 * shift + 0.4 * x + rng.normal(size=n)
    return x, y, groups


def test_the_within_correlation_is_the_partial_correlation_given_the_therapist() -> None:
    x, y, groups = _data()
    dummies = np.eye(3)[groups]
    rx = x - dummies @ np.linalg.lstsq(dummies, x, rcond=None)[0]
    ry = y - dummies @ np.linalg.lstsq(dummies, y, rcond=None)[0]
    assert within_r(x, y, groups)[0] == pytest.approx(np.corrcoef(rx, ry)[0, 1], abs=1e-12)
    # The caseload shifts make the all-clients correlation much larger.
    assert np.corrcoef(x, y)[0, 1] > within_r(x, y, groups)[0] + 0.2


def test_resample_weights_equal_repeating_the_drawn_clients() -> None:
    x, y, groups = _data(30)
    counts = client_resamples(groups, 5, np.random.default_rng(3))
    for row in counts:
        for g in range(3):  # every caseload keeps its size; nobody moves to another caseload
            assert row[groups == g].sum() == (groups == g).sum()
        repeated = np.repeat(np.arange(30), row.astype(int))
        direct = within_r(x[repeated], y[repeated], groups[repeated])[0]
        assert within_r(x, y, groups, row[None, :])[0] == pytest.approx(direct, abs=1e-12)
    constant = np.ones(30)
    assert math.isnan(within_r(constant, y, groups)[0])
    assert math.isnan(within_r(groups.astype(float), y, groups)[0])  # constant within every caseload


def _sample(n: int = 120, seed: int = 2) -> Sample:
    rng = np.random.default_rng(seed)
    keys = [f"c{i:03d}" for i in range(n)]
    therapist = {k: f"t{i % 3}" for i, k in enumerate(keys)}
    y = rng.normal(size=n)
    base = 0.5 * y + rng.normal(size=n)
    figures = {}
    for j, spec in enumerate(FIGURES):
        values = base + (0.3 + 0.1 * j) * rng.normal(size=n)
        figures[spec.name] = {k: float(v) for k, v in zip(keys, values, strict=True) if j != 2 or v > -1.5}
    return Sample.build(dict(zip(keys, y.tolist(), strict=True)), therapist, figures)


def test_standard_errors_and_the_overall_mean_come_from_the_bootstrap_covariance() -> None:
    sample = _sample()
    co = correlations(sample, resamples=300, seed=11)
    assert co.names == tuple(f.name for f in FIGURES) and co.failed == 0
    # Rebuild the bootstrap by hand: the same draws, each figure's resampled z, scaled deviations.
    counts = client_resamples(sample.groups, 300, np.random.default_rng(11))
    columns = []
    for name in co.names:
        has = ~np.isnan(sample.figures[name])
        x, y, g = sample.figures[name][has], sample.outcome[has], sample.groups[has]
        z = np.arctanh(within_r(x, y, g, counts[:, has]))
        columns.append((z - z.mean()) * math.sqrt(has.sum() / (has.sum() - 3 - 2)))
    deviations = np.column_stack(columns)
    assert co.cov == pytest.approx(deviations.T @ deviations / 299, rel=1e-10)
    for j, f in enumerate(co.figures):
        assert f.within.z == pytest.approx(co.z[j])
        assert f.within.se_z == pytest.approx(math.sqrt(co.cov[j, j]))
        assert f.within.ci_low == pytest.approx(math.tanh(co.z[j] - 1.959964 * f.within.se_z), abs=1e-6)
        assert f.within.p == pytest.approx(2 * stats.norm.sf(abs(co.z[j]) / f.within.se_z))
    # The third figure is missing for some clients: its n says so, and its correlation uses only the rest.
    assert co.figures[2].n < len(sample.outcome) == co.figures[0].n
    value, se = co.combination(np.full(8, 1 / 8))
    assert value == pytest.approx(co.z.mean())
    assert se == pytest.approx(math.sqrt(co.cov.sum()) / 8)
    # Figures computed on the same clients are strongly correlated: averaging them gains little.
    assert se > 0.8 * np.sqrt(np.diag(co.cov)).mean()
    points = point_correlations(sample)
    assert points[FIGURES[0].name]["within"] == pytest.approx(co.figures[0].within.r)


def test_the_figure_set_separates_raters_count_vs_percentage_and_timing_only() -> None:
    assert separable_groups(FIGURES, "source") == (("client", "therapist", "combined"), ("objective",))
    assert separable_groups(FIGURES, "type") == (("likert",), ("count", "percentage"))
    assert separable_groups(FIGURES, "timing") == (("contemporaneous", "retroactive"),)
    # In a full factorial design every moderator is separable.
    factorial = [
        FigureSpec(f"{s}-{t}-{m}", "", s, t, m, lambda c: None)
        for s in ("client", "objective")
        for t in ("likert", "count")
        for m in ("contemporaneous", "retroactive")
    ]
    for moderator in ("source", "type", "timing"):
        assert len(separable_groups(factorial, moderator)) == 1


def test_moderator_contrasts_are_matched_differences_with_their_covariance() -> None:
    sample = _sample(seed=4)
    co = correlations(sample, resamples=300, seed=5)
    analysis = moderator_analysis(FIGURES, co)
    index = {name: j for j, name in enumerate(co.names)}
    # Timing: the mean of the three matched differences (each rater's end-of-treatment minus weekly figure).
    weights = np.zeros(8)
    for rater in ("client", "therapist", "combined"):
        weights[index[f"{rater}_retroactive"]] += 1 / 3
        weights[index[f"{rater}_contemporaneous"]] -= 1 / 3
    timing = analysis.tests["timing"]
    (difference,) = timing.differences
    assert difference.level == "retroactive" and difference.reference == "contemporaneous"
    assert difference.estimate == pytest.approx(weights @ co.z)
    assert difference.se == pytest.approx(math.sqrt(weights @ co.cov @ weights))
    assert timing.df == 1 and timing.statistic == pytest.approx((difference.estimate / difference.se) ** 2)
    assert timing.p == pytest.approx(difference.p)
    # Source: the raters against the client, averaged over both timings; a 2-df Wald test.
    source = analysis.tests["source"]
    rows = []
    for rater in ("therapist", "combined"):
        w = np.zeros(8)
        for timing_level in ("contemporaneous", "retroactive"):
            w[index[f"{rater}_{timing_level}"]] += 0.5
            w[index[f"client_{timing_level}"]] -= 0.5
        rows.append(w)
    contrast = np.array(rows)
    estimates = contrast @ co.z
    cov = contrast @ co.cov @ contrast.T
    assert [d.estimate for d in source.differences] == pytest.approx(list(estimates))
    assert source.df == 2
    assert source.statistic == pytest.approx(float(estimates @ np.linalg.solve(cov, estimates)))
    assert source.p == pytest.approx(stats.chi2.sf(source.statistic, 2))
    assert [(c.levels, c.other_levels, c.confounded_with) for c in source.confounded] == [
        (("client", "therapist", "combined"), ("objective",), ("type",))
    ]
    # Type: count vs percentage only; Likert vs the objective figures is the confounded split.
    (type_difference,) = analysis.tests["type"].differences
    assert (type_difference.level, type_difference.reference) == ("percentage", "count")
    assert type_difference.estimate == pytest.approx(
        co.z[index["objective_percentage"]] - co.z[index["objective_count"]]
    )
    (joint,) = analysis.joint
    assert joint.moderators == ("source", "type") and joint.matched_on == ("timing",)
    # Objective figures minus the contemporaneous ratings (the retroactive ones have no objective match).
    w = np.zeros(8)
    for name in ("objective_percentage", "objective_count"):
        w[index[name]] += 1 / 2
    for rater in ("client", "therapist", "combined"):
        w[index[f"{rater}_contemporaneous"]] -= 1 / 3
    assert joint.estimate == pytest.approx(w @ co.z)
    assert joint.se == pytest.approx(math.sqrt(w @ co.cov @ w))


def test_levels_confounded_with_a_combination_of_moderators_are_named() -> None:
    # Client figures are (likert, weekly) and (count, retro); therapist figures the other way round: each
    # of type and timing overlaps between the raters, but no figure of one matches one of the other.
    specs = [
        FigureSpec("a", "", "client", "likert", "contemporaneous", lambda c: None),
        FigureSpec("b", "", "client", "count", "retroactive", lambda c: None),
        FigureSpec("c", "", "therapist", "likert", "retroactive", lambda c: None),
        FigureSpec("d", "", "therapist", "count", "contemporaneous", lambda c: None),
    ]
    sample = _sample()
    figures = dict(list(sample.figures.items())[:4])
    co = correlations(
        replace(sample, figures={s.name: v for s, v in zip(specs, figures.values(), strict=True)}),
        resamples=100,
        seed=1,
    )
    analysis = moderator_analysis(specs, co)
    source = analysis.tests["source"]
    assert source.p is None and source.reason is not None and "confounded" in source.reason
    assert source.confounded[0].confounded_with == ("type", "timing")


def test_resamples_where_a_rare_figure_is_constant_are_handled() -> None:
    rng = np.random.default_rng(8)
    keys = [f"c{i:02d}" for i in range(24)]
    therapist = {k: f"t{i % 2}" for i, k in enumerate(keys)}
    y = rng.normal(size=24)
    rare = {k: float(i in (0, 1)) for i, k in enumerate(keys)}  # two clients of one caseload practised
    common = {k: float(v) for k, v in zip(keys, y + rng.normal(size=24), strict=True)}
    sample = Sample.build(
        dict(zip(keys, y.tolist(), strict=True)), therapist, {"rare": rare, "common": common}
    )
    co = correlations(sample, resamples=400, seed=3)
    # Some resamples draw neither practising client, so the rare figure has no correlation in them.
    assert 0 < co.failed < 400
    for f in co.figures:
        assert f.within.se_z is not None and f.within.ci_low is not None
    assert np.linalg.eigvalsh(co.cov).min() > -1e-12  # still a covariance matrix
    value, se = co.combination(np.array([0.5, 0.5]))
    assert math.isfinite(value) and se > 0
