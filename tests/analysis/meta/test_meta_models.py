"""Model properties and simulations with known truth (no reference numbers needed).

Simulations use fixed seeds, so they are deterministic; their tolerances are nevertheless wide enough
that they would hold for almost any seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import optimize

from emotipal.analysis.meta import (
    METHODS,
    MetaInputError,
    egger_test,
    fail_safe_orwin,
    fail_safe_rosenthal,
    fit,
    meta_analysis,
    meta_regression,
    separate_subgroups,
    subgroup_analysis,
)
from emotipal.analysis.meta.tau2 import generalized_q, p_matrix

effects = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False)
variances = st.floats(min_value=0.005, max_value=1.0, allow_nan=False)


@st.composite
def studies(draw, min_k=2, max_k=15):
    k = draw(st.integers(min_value=min_k, max_value=max_k))
    yi = np.array(draw(st.lists(effects, min_size=k, max_size=k)))
    vi = np.array(draw(st.lists(variances, min_size=k, max_size=k)))
    return yi, vi


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, database=None)
@given(studies(), st.randoms(use_true_random=False), st.sampled_from(METHODS))
def test_invariant_to_row_order(data, rnd, method):
    yi, vi = data
    order = list(range(len(yi)))
    rnd.shuffle(order)
    a = meta_analysis(yi, vi, method)
    b = meta_analysis(yi[order], vi[order], method)
    # REML stops once a step is below 1e-5, so rounding differences between orders can (rarely) cost one
    # more or one fewer step; the other estimators are closed form or solved tightly.
    tol = 1e-4 if method == "REML" else 1e-9
    assert b.estimate == pytest.approx(a.estimate, abs=tol)
    assert b.se == pytest.approx(a.se, abs=tol)
    assert b.tau2 == pytest.approx(a.tau2, abs=tol)
    assert b.qe == pytest.approx(a.qe, rel=1e-9, abs=1e-9)
    assert b.i2 == pytest.approx(a.i2, abs=1e-4)


@settings(max_examples=60, deadline=None, database=None)
@given(studies(), st.sampled_from(METHODS))
def test_tau2_non_negative_and_i2_in_range(data, method):
    yi, vi = data
    res = meta_analysis(yi, vi, method)
    assert res.tau2 >= 0.0
    assert 0.0 <= res.i2 < 100.0
    assert res.h2 >= 1.0 or method == "EE"
    assert res.ci_low <= res.estimate <= res.ci_high
    pred = res.predict()
    assert pred.pi_low <= pred.ci_low and pred.ci_high <= pred.pi_high


@settings(max_examples=40, deadline=None, database=None)
@given(effects, st.lists(variances, min_size=2, max_size=12), st.sampled_from(METHODS))
def test_identical_effects_give_no_heterogeneity(y, vs, method):
    vi = np.array(vs)
    yi = np.full(len(vi), y)
    res = meta_analysis(yi, vi, method)
    assert res.tau2 == 0.0
    assert res.i2 == 0.0
    assert res.qe == pytest.approx(0.0, abs=1e-9)
    assert res.estimate == pytest.approx(y)


@settings(deadline=None, database=None)  # no example database written into the repo
@given(effects, variances, st.sampled_from(METHODS))
def test_one_study_gives_its_own_effect(y, v, method):
    res = meta_analysis([y], [v], method)
    assert res.estimate == pytest.approx(y)
    assert res.se == pytest.approx(math.sqrt(v))
    assert res.tau2 == 0.0
    assert res.k == 1


@settings(max_examples=60, deadline=None, database=None)
@given(studies())
def test_dl_and_ee_equal_their_closed_forms(data):
    yi, vi = data
    w = 1 / vi
    ee_mean = np.sum(w * yi) / np.sum(w)
    q = float(np.sum(w * (yi - ee_mean) ** 2))
    k = len(yi)
    tau2 = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    ws = 1 / (vi + tau2)
    ee = meta_analysis(yi, vi, "EE")
    dl = meta_analysis(yi, vi, "DL")
    assert ee.estimate == pytest.approx(ee_mean)
    assert ee.se == pytest.approx(1 / math.sqrt(np.sum(w)))
    assert ee.qe == pytest.approx(q, rel=1e-9, abs=1e-9)
    assert dl.tau2 == pytest.approx(tau2, rel=1e-9, abs=1e-12)
    assert dl.estimate == pytest.approx(np.sum(ws * yi) / np.sum(ws))
    assert dl.se == pytest.approx(1 / math.sqrt(np.sum(ws)))
    # With DL (and only then, in general) metafor's I² equals the Q-based (Q - df)/Q.
    assert dl.i2 == pytest.approx(max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0, abs=1e-7)


# Found by hypothesis in CI: REML's tau² = 0 has a higher likelihood than the bounded search's 0.029.
FLAT_AT_ZERO = (
    np.array([1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1.0]),
    np.array([0.375, 0.015625, 1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.03125, 0.3125]),
)


@settings(max_examples=30, deadline=None, database=None)
@given(studies(min_k=3))
@example(FLAT_AT_ZERO)
def test_reml_maximises_the_restricted_likelihood(data):
    yi, vi = data
    X = np.ones((len(yi), 1))

    def neg_ll(t):
        w = 1 / (vi + t)
        mu = np.sum(w * yi) / np.sum(w)
        return 0.5 * (np.sum(np.log(vi + t)) + math.log(np.sum(w)) + np.sum(w * (yi - mu) ** 2))

    best = optimize.minimize_scalar(neg_ll, bounds=(0.0, 50.0), method="bounded", options={"xatol": 1e-10})
    res = meta_analysis(yi, vi, "REML")
    # Fisher scoring stops on a 1e-5 step and approaches a maximum at 0 only asymptotically (as metafor
    # does), so allow metafor's own likelihood tolerance (eps^0.25, about 1.2e-4).
    assert neg_ll(res.tau2) <= neg_ll(best.x) + 1.3e-4
    if abs(res.tau2 - best.x) >= 1e-3:
        # Far from the bounded search's answer: that search is local and can miss a maximum at 0 (hypothesis
        # found one where REML's 0 is better than the search's 0.029), and the restricted likelihood can have
        # two maxima within the tolerance, of which Fisher scoring keeps the one it climbed to, as metafor
        # does. Either way REML's answer must be a maximum, not a point where the likelihood still rises.
        h = 1e-7
        assert neg_ll(res.tau2 + h) >= neg_ll(res.tau2) - 1e-9
        if res.tau2 > h:
            assert neg_ll(res.tau2 - h) >= neg_ll(res.tau2) - 1e-9
    if res.tau2 > 1e-3:  # interior maximum: the REML score equation holds
        P = p_matrix(1 / (vi + res.tau2), X)
        score = float(yi @ P @ P @ yi - np.trace(P))
        assert abs(score) / float(np.sum(P * P)) < 1e-4  # the scoring step that would follow is tiny


@settings(max_examples=40, deadline=None, database=None)
@given(studies(min_k=3))
def test_paule_mandel_solves_generalised_q(data):
    yi, vi = data
    res = meta_analysis(yi, vi, "PM")
    X = np.ones((len(yi), 1))
    if res.tau2 > 0:
        assert generalized_q(res.tau2, yi, vi, X) == pytest.approx(len(yi) - 1, rel=1e-8)
    else:
        assert generalized_q(0.0, yi, vi, X) <= len(yi) - 1 + 1e-9


def test_too_few_studies_for_the_coefficients():
    with pytest.raises(MetaInputError):
        fit([0.1, 0.2], [0.1, 0.1], np.column_stack([np.ones(2), [1.0, 2.0]]), ["intrcpt", "x"])
    with pytest.raises(MetaInputError, match="collinear"):
        fit([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], np.column_stack([np.ones(3), np.ones(3)]), ["a", "b"])


# --- simulations with known truth ----------------------------------------------------------------


def test_large_k_without_heterogeneity_recovers_the_truth():
    rng = np.random.default_rng(20240611)
    k, mu = 3000, 0.3
    vi = rng.uniform(0.01, 0.2, size=k)
    yi = rng.normal(mu, np.sqrt(vi))
    for method in METHODS:
        res = meta_analysis(yi, vi, method)
        assert abs(res.estimate - mu) < 4 * res.se
        assert res.tau2 < 0.003
        assert res.i2 < 10.0


def test_large_k_with_heterogeneity_recovers_tau2():
    rng = np.random.default_rng(7)
    k, mu, tau2 = 3000, -0.2, 0.09
    vi = rng.uniform(0.01, 0.1, size=k)
    yi = rng.normal(mu + rng.normal(0, math.sqrt(tau2), size=k), np.sqrt(vi))
    for method in ("REML", "DL", "PM"):
        res = meta_analysis(yi, vi, method)
        assert abs(res.estimate - mu) < 4 * res.se
        assert abs(res.tau2 - tau2) < 0.015


@pytest.mark.parametrize(
    ("method", "tau2", "low", "high"), [("EE", 0.0, 0.92, 0.98), ("REML", 0.05, 0.89, 0.98)]
)
def test_confidence_interval_coverage(method, tau2, low, high):
    rng = np.random.default_rng(12345)
    reps, k, mu = 400, 25, 0.25
    covered = 0
    for _ in range(reps):
        vi = rng.uniform(0.02, 0.2, size=k)
        yi = rng.normal(mu + rng.normal(0, math.sqrt(tau2), size=k), np.sqrt(vi))
        res = meta_analysis(yi, vi, method)
        covered += res.ci_low <= mu <= res.ci_high
    assert low <= covered / reps <= high


def test_meta_regression_recovers_a_known_slope():
    rng = np.random.default_rng(99)
    k = 400
    x = rng.uniform(0, 10, size=k)
    vi = rng.uniform(0.01, 0.05, size=k)
    yi = rng.normal(0.5 - 0.08 * x, np.sqrt(vi))
    res = meta_regression(yi, vi, {"x": list(x)}).model
    slope = res.coefficients[1]
    assert slope.ci_low < -0.08 < slope.ci_high
    assert res.qe_p > 0.001  # no residual heterogeneity was simulated


# --- moderators -----------------------------------------------------------------------------------


def _three_groups():
    rng = np.random.default_rng(5)
    groups = ["a"] * 6 + ["b"] * 5 + ["c"] * 4
    means = {"a": 0.1, "b": 0.4, "c": 0.2}
    vi = rng.uniform(0.01, 0.1, size=15)
    yi = np.array([rng.normal(means[g], math.sqrt(v)) for g, v in zip(groups, vi, strict=True)])
    return yi, vi, groups


def test_ee_subgroup_qm_equals_q_between_of_separate_models():
    yi, vi, groups = _three_groups()
    common = subgroup_analysis(yi, vi, groups, method="EE")
    separate = separate_subgroups(yi, vi, groups, method="EE")
    assert common.qm.q == pytest.approx(separate.q_between.q)
    assert common.qm.df == separate.q_between.df == 2
    for g in "abc":
        mask = np.array(groups) == g
        w = 1 / vi[mask]
        assert common.subgroups[g].estimate == pytest.approx(np.sum(w * yi[mask]) / np.sum(w))


def test_separate_tau2_subgroups_are_ordinary_random_effects_fits():
    yi, vi, groups = _three_groups()
    separate = separate_subgroups(yi, vi, groups, method="REML")
    mask = np.array(groups) == "b"
    alone = meta_analysis(yi[mask], vi[mask], "REML")
    assert separate.subgroups["b"].estimate == pytest.approx(alone.estimate)
    assert separate.subgroups["b"].tau2 == pytest.approx(alone.tau2)
    est = np.array([s.estimate for s in separate.subgroups.values()])
    w = 1 / np.array([s.se**2 for s in separate.subgroups.values()])
    q_between = float(np.sum(w * (est - np.sum(w * est) / np.sum(w)) ** 2))
    assert separate.q_between.q == pytest.approx(q_between)


def test_rows_with_missing_moderator_are_excluded_and_reported():
    yi, vi, groups = _three_groups()
    with_missing: list[str | None] = list(groups)
    with_missing[0] = None
    with_missing[7] = "NA"
    # "NA" is missing only when the caller says so; otherwise it is a (fourth) level.
    sub = subgroup_analysis(yi, vi, with_missing, missing=("NA",))
    assert sub.excluded == (0, 7)
    assert sub.model.k == 13
    assert sum(s.k for s in sub.subgroups.values()) == 13
    assert "NA" in subgroup_analysis(yi, vi, with_missing).levels

    x: list[float | None] = [float(i) for i in range(15)]
    x[3] = None
    x[9] = float("nan")
    reg = meta_regression(yi, vi, {"x": x})
    assert reg.excluded == (3, 9)
    assert reg.model.k == 13
    kept = [i for i in range(15) if i not in (3, 9)]
    direct = fit(yi[kept], vi[kept], np.column_stack([np.ones(13), np.array(kept, float)]), ["intrcpt", "x"])
    assert reg.model.coefficients[1].estimate == pytest.approx(direct.coefficients[1].estimate)


def test_moderator_with_one_level_is_an_input_error():
    with pytest.raises(MetaInputError, match="two levels"):
        subgroup_analysis([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["x", "x", None])


def test_ee_meta_regression_matches_weighted_least_squares():
    rng = np.random.default_rng(3)
    x = rng.normal(size=20)
    vi = rng.uniform(0.02, 0.2, size=20)
    yi = 0.2 + 0.1 * x + rng.normal(0, np.sqrt(vi))
    res = meta_regression(yi, vi, {"x": list(x)}, method="EE").model
    wls = sm.WLS(yi, sm.add_constant(x), weights=1 / vi).fit()
    assert [c.estimate for c in res.coefficients] == pytest.approx(wls.params)
    # Known sampling variances: the meta-analytic SE is the WLS SE without the residual-variance scale.
    assert [c.se for c in res.coefficients] == pytest.approx(wls.bse / math.sqrt(wls.scale))
    assert res.qe == pytest.approx(wls.ssr)


# --- Egger and fail-safe N ----------------------------------------------------------------------------


def test_egger_on_ee_model_is_classical_egger_without_dispersion():
    rng = np.random.default_rng(11)
    vi = rng.uniform(0.01, 0.3, size=15)
    yi = 0.2 + 0.8 * np.sqrt(vi) + rng.normal(0, np.sqrt(vi))
    egger = egger_test(meta_analysis(yi, vi, "EE"))
    classical = sm.WLS(yi, sm.add_constant(np.sqrt(vi)), weights=1 / vi).fit()
    assert egger.slope == pytest.approx(classical.params[1])
    assert egger.z == pytest.approx(classical.tvalues[1] * math.sqrt(classical.scale))
    assert egger.limit_estimate == pytest.approx(classical.params[0])


@pytest.mark.parametrize("method", ["REML", "DL", "PM"])
def test_egger_uses_the_same_model_type_with_sei_as_moderator(method):
    rng = np.random.default_rng(17)
    vi = rng.uniform(0.01, 0.3, size=12)
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    egger = egger_test(meta_analysis(yi, vi, method))
    aug = fit(yi, vi, np.column_stack([np.ones(12), np.sqrt(vi)]), ["intrcpt", "sei"], method=method)
    assert egger.z == pytest.approx(aug.coefficients[1].z)
    assert egger.p == pytest.approx(aug.coefficients[1].p)


def test_egger_undefined_cases():
    with pytest.raises(MetaInputError):
        egger_test(meta_analysis([0.1, 0.3], [0.01, 0.02], "REML"))
    with pytest.raises(MetaInputError):
        egger_test(meta_analysis([0.1, 0.3, 0.2, 0.5], [0.02] * 4, "DL"))


def test_fail_safe_n_properties():
    yi = np.array([0.3, 0.5, 0.2, 0.4])
    vi = np.array([0.01, 0.02, 0.015, 0.03])
    z = yi / np.sqrt(vi)
    n = fail_safe_rosenthal(yi, vi)
    k = len(yi)
    # Adding n null studies leaves Stouffer's z at or just below 1.645; one fewer keeps it above.
    assert np.sum(z) / math.sqrt(k + n) <= 1.6448536269514722 + 1e-12
    assert np.sum(z) / math.sqrt(k + n - 1) > 1.6448536269514722
    assert fail_safe_rosenthal([0.0, 0.01], [1.0, 1.0]) == 0
    assert fail_safe_orwin(yi) == k  # default target: half the mean
    # A target of the other sign is taken with the mean's sign, as metafor's fsn does.
    assert fail_safe_orwin(yi, target=-0.1) == fail_safe_orwin(yi, target=0.1) == 10


def test_reml_falls_back_to_direct_maximisation_when_fisher_scoring_diverges():
    # Fisher scoring oscillates with growing steps on these data (metafor stops with an error here).
    yi = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    vi = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.125])

    def neg_ll(t):
        w = 1 / (vi + t)
        mu = np.sum(w * yi) / np.sum(w)
        return 0.5 * (np.sum(np.log(vi + t)) + math.log(np.sum(w)) + np.sum(w * (yi - mu) ** 2))

    best = optimize.minimize_scalar(neg_ll, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-12})
    res = meta_analysis(yi, vi, "REML")
    assert res.tau2 == pytest.approx(best.x, abs=1e-6)


# Restricted likelihoods with a maximum at the boundary (tau² = 0, where Fisher scoring from Hedges' start
# stops, as metafor's does) and a higher one inside: found by the property test above.
BIMODAL = [
    ([-1.0, -0.25, -0.75, -0.25, -0.5, -0.25], [0.0625, 0.5, 1.0, 1.0, 0.25, 0.125]),
    ([0.75, 0.25, 1.0, 0.25, 0.0, 0.5], [1.0, 1.0, 0.015625, 0.5, 0.03125, 0.25]),
    ([1.0, 0.25, 0.5, 0.25, 0.25], [0.0078125, 0.5, 1.0, 0.5, 1.0]),
]


@pytest.mark.parametrize(("yi", "vi"), BIMODAL)
def test_reml_takes_the_global_maximum_of_a_bimodal_likelihood(yi, vi):
    yi, vi = np.array(yi), np.array(vi)

    def neg_ll(t):
        w = 1 / (vi + t)
        mu = np.sum(w * yi) / np.sum(w)
        return 0.5 * (np.sum(np.log(vi + t)) + math.log(np.sum(w)) + np.sum(w * (yi - mu) ** 2))

    grid = np.linspace(0.0, 5.0, 50001)
    best = grid[int(np.argmin([neg_ll(t) for t in grid]))]
    assert best > 0.01 and neg_ll(best) < neg_ll(0.0)  # the inside maximum is the higher one
    res = meta_analysis(yi, vi, "REML")
    assert res.tau2 == pytest.approx(best, abs=2e-4)
    assert neg_ll(res.tau2) <= neg_ll(best) + 1e-9
