"""Every published metafor figure in tests/data/metafor-bcg.md, reproduced from dat.bcg.txt.

Figures printed with four decimals are compared at 5e-4 (the reference's tolerance); figures printed
with two decimals (I², H², R²) at half a unit of their last digit, via ``printed``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from meta_bcg_reference import load_bcg, printed, published_escalc_rr

from emotipal.analysis.meta import (
    contrast,
    fail_safe_orwin,
    fail_safe_rosenberg,
    fail_safe_rosenthal,
    fit,
    log_odds_ratio,
    log_risk_ratio,
    meta_analysis,
    meta_regression,
    risk_difference,
    subgroup_analysis,
)
from emotipal.analysis.meta.design import build_design


@pytest.fixture(scope="module")
def bcg():
    return load_bcg()


@pytest.fixture(scope="module")
def rr(bcg):
    return log_risk_ratio(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)


def test_escalc_rr_matches_published_per_study_values(rr):
    yi, vi = published_escalc_rr()
    assert np.max(np.abs(rr.yi - yi)) <= 5e-4
    assert np.max(np.abs(rr.vi - vi)) <= 5e-4


# --- A1: random-effects model, REML -----------------------------------------------------------------


def test_a1_reml_printout(rr):
    res = meta_analysis(rr.yi, rr.vi, "REML")
    assert res.k == 13
    assert printed(res.tau2, "0.3132")
    assert printed(res.se_tau2, "0.1664")
    assert printed(res.tau, "0.5597")
    assert printed(res.i2, "92.22")
    assert printed(res.h2, "12.86")
    assert res.qe_df == 12
    assert printed(res.qe, "152.2330")
    assert res.qe_p < 1e-4
    assert printed(res.estimate, "-0.7145")
    assert printed(res.se, "0.1798")
    assert printed(res.z, "-3.9744")
    assert res.pval < 1e-4
    assert printed(res.ci_low, "-1.0669")
    assert printed(res.ci_high, "-0.3622")


def test_a1_reml_stored_digits(rr):
    res = meta_analysis(rr.yi, rr.vi, "REML")
    assert abs(res.tau2 - 0.313243325980895) <= 5e-4
    assert abs(res.qe - 152.233008082373) <= 5e-4
    assert abs(res.estimate - (-0.714532)) <= 5e-4
    # Same start (Hedges), step and stopping rule as metafor's Fisher scoring, so the iterate agrees far
    # beyond the tolerance; a drift here means the algorithm changed, not just rounding.
    assert abs(res.tau2 - 0.313243325980895) <= 1e-9


def test_a1_reml_predict_exp_scale(rr):
    pred = meta_analysis(rr.yi, rr.vi, "REML").predict()
    assert printed(math.exp(pred.pred), "0.4894")
    assert printed(math.exp(pred.ci_low), "0.3441")
    assert printed(math.exp(pred.ci_high), "0.6962")
    assert printed(math.exp(pred.pi_low), "0.1546")
    assert printed(math.exp(pred.pi_high), "1.5490")


def test_a1_i2_is_not_the_q_based_value_for_reml(rr):
    res = meta_analysis(rr.yi, rr.vi, "REML")
    q_based = 100 * (res.qe - res.qe_df) / res.qe
    assert printed(q_based, "92.12")
    assert printed(res.i2, "92.22")


# --- A2: DerSimonian-Laird and equal-effects, for RR, OR and RD --------------------------------------

A2 = [
    # measure, method, estimate, ci.lb, ci.ub, zval, tau2, I2, QE
    ("RR", "EE", "-0.4303", "-0.5097", "-0.3509", "-10.6247", None, None, "152.2330"),
    ("RR", "DL", "-0.7141", "-1.0644", "-0.3638", "-3.9952", "0.3088", "92.1173", None),
    ("OR", "EE", "-0.4361", "-0.5190", "-0.3533", "-10.3190", None, None, "163.1649"),
    ("OR", "DL", "-0.7474", "-1.1242", "-0.3706", "-3.8873", "0.3663", "92.6455", None),
    ("RD", "EE", "-0.0009", "-0.0014", "-0.0005", "-4.0448", None, None, "276.4737"),
    ("RD", "DL", "-0.0071", "-0.0101", "-0.0040", "-4.5128", "0.0000", "95.6596", None),
]


def _effects(bcg, measure):
    func = {"RR": log_risk_ratio, "OR": log_odds_ratio, "RD": risk_difference}[measure]
    return func(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)


@pytest.mark.parametrize(("measure", "method", "est", "lb", "ub", "z", "tau2", "i2", "qe"), A2)
def test_a2_dl_and_ee(bcg, measure, method, est, lb, ub, z, tau2, i2, qe):
    es = _effects(bcg, measure)
    res = meta_analysis(es.yi, es.vi, method)
    assert printed(res.estimate, est)
    assert printed(res.ci_low, lb)
    assert printed(res.ci_high, ub)
    assert printed(res.z, z)
    if tau2 is not None:
        assert printed(res.tau2, tau2)
    if i2 is not None:
        assert printed(res.i2, i2)
    if qe is not None:
        assert printed(res.qe, qe)


@pytest.mark.parametrize(
    ("measure", "method", "pred", "lb", "ub"),
    [
        ("RR", "EE", "0.6503", "0.6007", "0.7040"),
        ("RR", "DL", "0.4896", "0.3449", "0.6950"),
        ("OR", "EE", "0.6465", "0.5951", "0.7024"),
        ("OR", "DL", "0.4736", "0.3249", "0.6903"),
    ],
)
def test_a2_exp_scale(bcg, measure, method, pred, lb, ub):
    es = _effects(bcg, measure)
    p = meta_analysis(es.yi, es.vi, method).predict()
    assert printed(math.exp(p.pred), pred)
    assert printed(math.exp(p.ci_low), lb)
    assert printed(math.exp(p.ci_high), ub)


def test_a2_ee_printout_from_fsn_page(rr):
    res = meta_analysis(rr.yi, rr.vi, "EE")
    assert printed(res.se, "0.0405")
    assert printed(res.i2, "92.12")
    assert printed(res.h2, "12.69")
    assert res.tau2 == 0.0


def test_a2_iterated_dl_fixed_point_is_paule_mandel(rr):
    # metafor's DLIT (and SJIT) give tau² = 0.3181; their fixed point is the generalised-Q equation
    # Q(tau²) = k - 1 that defines the Paule-Mandel estimator, so PM must land on the same value.
    res = meta_analysis(rr.yi, rr.vi, "PM")
    assert printed(res.tau2, "0.3181")


# --- A3: meta-regression and subgroups ----------------------------------------------------------------


def _coef_rows(res):
    return {c.name: c for c in res.coefficients}


def test_a3_regression_on_latitude(bcg, rr):
    res = meta_regression(rr.yi, rr.vi, {"ablat": list(bcg.ablat)}).model
    assert printed(res.tau2, "0.0764")
    assert printed(res.se_tau2, "0.0591")
    assert printed(res.tau, "0.2763")
    assert printed(res.i2, "68.39")
    assert printed(res.h2, "3.16")
    assert printed(res.r2, "75.62")
    assert res.qe_df == 11
    assert printed(res.qe, "30.7331")
    assert printed(res.qe_p, "0.0012")
    assert res.qm.df == 1
    assert printed(res.qm.q, "16.3571")
    assert res.qm.p < 1e-4
    c = _coef_rows(res)
    for name, est, se, z, p, lb, ub in [
        ("intrcpt", "0.2515", "0.2491", "1.0095", "0.3127", "-0.2368", "0.7397"),
        ("ablat", "-0.0291", "0.0072", "-4.0444", None, "-0.0432", "-0.0150"),
    ]:
        assert printed(c[name].estimate, est)
        assert printed(c[name].se, se)
        assert printed(c[name].z, z)
        assert printed(c[name].ci_low, lb)
        assert printed(c[name].ci_high, ub)
        if p is None:
            assert c[name].p < 1e-4
        else:
            assert printed(c[name].p, p)


def test_a3_regression_on_latitude_and_year(bcg, rr):
    res = meta_regression(rr.yi, rr.vi, {"ablat": list(bcg.ablat), "year": list(bcg.year)}).model
    assert printed(res.tau2, "0.1108")
    assert printed(res.se_tau2, "0.0845")
    assert printed(res.tau, "0.3328")
    assert printed(res.i2, "71.98")
    assert printed(res.h2, "3.57")
    assert printed(res.r2, "64.63")
    assert res.qe_df == 10
    assert printed(res.qe, "28.3251")
    assert printed(res.qe_p, "0.0016")
    assert res.qm.df == 2
    assert printed(res.qm.q, "12.2043")
    assert printed(res.qm.p, "0.0022")
    c = _coef_rows(res)
    for name, est, se, z, p, lb, ub in [
        ("intrcpt", "-3.5455", "29.0959", "-0.1219", "0.9030", "-60.5724", "53.4814"),
        ("ablat", "-0.0280", "0.0102", "-2.7371", "0.0062", "-0.0481", "-0.0080"),
        ("year", "0.0019", "0.0147", "0.1299", "0.8966", "-0.0269", "0.0307"),
    ]:
        assert printed(c[name].estimate, est)
        assert printed(c[name].se, se)
        assert printed(c[name].z, z)
        assert printed(c[name].p, p)
        assert printed(c[name].ci_low, lb)
        assert printed(c[name].ci_high, ub)


def test_a3_allocation_subgroup_means_common_tau2(bcg, rr):
    sub = subgroup_analysis(rr.yi, rr.vi, bcg.alloc, name="alloc")
    means = sub.means_model
    assert printed(means.tau2, "0.3615")
    assert printed(means.se_tau2, "0.2111")
    assert printed(means.tau, "0.6013")
    assert printed(means.i2, "88.77")
    assert printed(means.h2, "8.91")
    assert means.qe_df == 10
    assert printed(means.qe, "132.3676")
    assert means.qe_p < 1e-4
    assert means.qm.df == 3
    assert printed(means.qm.q, "15.9842")
    assert printed(means.qm.p, "0.0011")
    c = _coef_rows(means)
    for name, est, se, z, p, lb, ub in [
        ("allocalternate", "-0.5180", "0.4412", "-1.1740", "0.2404", "-1.3827", "0.3468"),
        ("allocrandom", "-0.9658", "0.2672", "-3.6138", "0.0003", "-1.4896", "-0.4420"),
        ("allocsystematic", "-0.4289", "0.3449", "-1.2434", "0.2137", "-1.1050", "0.2472"),
    ]:
        assert printed(c[name].estimate, est)
        assert printed(c[name].se, se)
        assert printed(c[name].z, z)
        assert printed(c[name].p, p)
        assert printed(c[name].ci_low, lb)
        assert printed(c[name].ci_high, ub)
    # The per-subgroup summaries are exactly these coefficients.
    assert sub.subgroups["random"].k == 7
    assert printed(sub.subgroups["random"].estimate, "-0.9658")
    assert printed(sub.subgroups["systematic"].ci_high, "0.2472")


def test_a3_allocation_test_of_differences(bcg, rr):
    sub = subgroup_analysis(rr.yi, rr.vi, bcg.alloc, name="alloc")
    model = sub.model
    assert printed(model.tau2, "0.3615")
    assert printed(model.qe, "132.3676")
    assert model.qm.df == 2
    assert printed(model.qm.q, "1.7675")
    assert printed(model.qm.p, "0.4132")
    c = _coef_rows(model)
    assert printed(c["intrcpt"].estimate, "-0.5180")
    assert printed(c["intrcpt"].se, "0.4412")
    assert printed(c["allocrandom"].estimate, "-0.4478")
    assert printed(c["allocrandom"].se, "0.5158")
    assert printed(c["allocrandom"].p, "0.3853")
    assert printed(c["allocsystematic"].estimate, "0.0890")
    assert printed(c["allocsystematic"].se, "0.5600")
    assert printed(c["allocsystematic"].p, "0.8737")


def test_a3_pairwise_contrast_random_vs_systematic(bcg, rr):
    means = subgroup_analysis(rr.yi, rr.vi, bcg.alloc, name="alloc").means_model
    est, se, z, p = contrast(means, [0.0, -1.0, 1.0])  # systematic - random
    assert printed(est, "0.5369")
    assert printed(se, "0.4364")
    assert printed(z, "1.2303")
    assert printed(p, "0.2186")


def test_a3_factor_plus_year_and_latitude_with_btt(bcg, rr):
    design = build_design(
        13, categorical={"alloc": bcg.alloc}, continuous={"year": bcg.year, "ablat": bcg.ablat}
    )
    res = fit(rr.yi, rr.vi, design.X, design.names, btt=design.terms["alloc"])
    assert printed(res.tau2, "0.1796")
    assert res.qe_df == 8
    assert printed(res.qe, "26.2030")
    assert res.qm.df == 2
    assert printed(res.qm.q, "1.3663")
    assert printed(res.qm.p, "0.5050")
    # Same test from the fitted model's generic Wald test of a term.
    assert res.wald_test(design.terms["alloc"]).q == pytest.approx(res.qm.q)


# --- A4: fail-safe N --------------------------------------------------------------------------------


def test_a4_fail_safe_numbers(rr):
    assert fail_safe_rosenthal(rr.yi, rr.vi) == 598
    assert fail_safe_orwin(rr.yi, target=math.log(0.95)) == 175
    assert fail_safe_orwin(rr.yi, rr.vi, target=math.log(0.95)) == 97
    assert fail_safe_rosenberg(rr.yi, rr.vi) == 370


def test_a4_orwin_average_effects(rr):
    # The averages fsn prints next to Orwin's N: unweighted -0.7407, 1/vi-weighted -0.4303; target -0.0513.
    assert printed(float(np.mean(rr.yi)), "-0.7407")
    w = 1 / rr.vi
    assert printed(float(np.sum(w * rr.yi) / np.sum(w)), "-0.4303")
    assert printed(math.log(0.95), "-0.0513")
