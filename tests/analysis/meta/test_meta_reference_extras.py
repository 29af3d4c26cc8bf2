"""The issue-16 additions against metafor's published output (tests/data/metafor-extras.md).

Knapp-Hartung tests, Q-profile CIs for tau², leave-one-out and influence diagnostics, trim and fill, the
rank-correlation test and Orwin's fail-safe N, on dat.bcg, dat.raudenbush1985 and dat.molloy2014.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from meta_bcg_reference import load_bcg, printed
from meta_reference_data import column, molloy, raudenbush
from scipy import optimize, stats

from emotipal.analysis.meta import (
    MetaInputError,
    fisher_z,
    fit,
    influence,
    leave_one_out,
    log_risk_ratio,
    meta_analysis,
    orwin,
    rank_correlation_test,
    subgroup_analysis,
    tau2_ci,
    trim_and_fill,
)
from emotipal.analysis.meta._wls import hat_values


@pytest.fixture(scope="module")
def bcg():
    b = load_bcg()
    return b, log_risk_ratio(b.tpos, b.tneg, b.cpos, b.cneg)


# --- Knapp-Hartung --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "test", "tau2", "mu", "se", "stat", "lb", "ub"),
    [
        ("EE", "knha", "0.0000", "0.0604", "0.0515", "1.1733", "-0.0477", "0.1685"),
        ("REML", "knha", "0.0188", "0.0837", "0.0616", "1.3593", "-0.0457", "0.2131"),
        ("DL", "knha", "0.0259", "0.0893", "0.0636", "1.4050", "-0.0442", "0.2229"),
        ("EE", "z", "0.0000", "0.0604", "0.0365", "1.6553", "-0.0111", "0.1318"),
        ("REML", "z", "0.0188", "0.0837", "0.0516", "1.6208", "-0.0175", "0.1849"),
        ("DL", "z", "0.0259", "0.0893", "0.0558", "1.6009", "-0.0200", "0.1987"),
    ],
)
def test_knapp_hartung_matches_raudenbush_2009_table_16_3(method, test, tau2, mu, se, stat, lb, ub):
    yi, vi = raudenbush()
    res = meta_analysis(yi, vi, method, test=test)
    assert printed(res.tau2, tau2) and printed(res.estimate, mu) and printed(res.se, se)
    assert printed(res.z, stat) and printed(res.ci_low, lb) and printed(res.ci_high, ub)
    if test == "knha":
        assert res.ddf == 18
        assert res.pval == pytest.approx(2 * float(stats.t.sf(abs(res.z), 18)))


def test_knapp_hartung_f_tests_of_moderators_match_metafor(bcg):
    b, es = bcg
    alloc = np.array(b.alloc)
    X = np.column_stack([np.ones(13), b.ablat, alloc == "random", alloc == "systematic"]).astype(float)
    res = fit(es.yi, es.vi, X, test="knha")
    alloc_test, ablat_test = res.wald_test([2, 3]), res.wald_test([1])
    assert (alloc_test.df, alloc_test.df2) == (2, 9)
    assert printed(alloc_test.q, "0.6007") and printed(alloc_test.p, "0.5690")
    # 8.21935 here: REML's 1e-5 stopping rule leaves metafor's tau² a little elsewhere (its 8.2194).
    assert ablat_test.q == pytest.approx(8.2194, abs=2e-4) and printed(ablat_test.p, "0.0186")


def test_knapp_hartung_prediction_interval_uses_t(bcg):
    _, es = bcg
    res = meta_analysis(es.yi, es.vi, test="knha")
    pred = res.predict()
    crit = float(stats.t.ppf(0.975, 12))
    assert pred.pi_high - pred.pred == pytest.approx(crit * math.sqrt(res.se**2 + res.tau2))


# --- Q-profile ------------------------------------------------------------------------------------


def test_q_profile_intervals_match_metafor_confint(bcg):
    b, es = bcg
    for res, expected in [
        (
            meta_analysis(es.yi, es.vi),
            {"tau2": ("0.1197", "1.1115"), "tau": ("0.3460", "1.0543"), "i2": (81.9177, 97.6781),
             "h2": (5.5303, 43.0680)},
        ),
        (
            fit(es.yi, es.vi, np.column_stack([np.ones(13), b.ablat])),
            {"tau2": ("0.0167", "0.7849"), "tau": ("0.1292", "0.8859"), "i2": (32.1080, 95.6976),
             "h2": (1.4729, 23.2428)},
        ),
        (
            meta_analysis(es.yi, es.vi, "DL"),
            {"tau2": ("0.1197", "1.1115"), "tau": ("0.3460", "1.0543"), "i2": (81.9177, 97.6781),
             "h2": (5.5303, 43.0680)},
        ),
    ]:  # fmt: skip
        ci = tau2_ci(res)
        # metafor's uniroot stops within 1.2e-4 of the root in tau² (so up to a unit in its 4th decimal),
        # which also moves I² and H² in the 3rd decimal; the roots here are exact.
        for (low, high), (ref_low, ref_high) in [
            ((ci.tau2_low, ci.tau2_high), expected["tau2"]),
            ((ci.tau_low, ci.tau_high), expected["tau"]),
        ]:
            assert low == pytest.approx(float(ref_low), abs=2e-4)
            assert high == pytest.approx(float(ref_high), abs=2e-4)
        # metafor's I² and H² bounds are its tau² bounds transformed; turned back into tau² (with the
        # model's s²) they lie within uniroot's tolerance (eps^0.25 = 1.2e-4) of the exact bounds here.
        s2 = res.s2
        for ours, (ref_low, ref_high) in [((ci.tau2_low, ci.tau2_high), expected["i2"])]:
            assert ours[0] == pytest.approx(ref_low * s2 / (100 - ref_low), abs=1.3e-4)
            assert ours[1] == pytest.approx(ref_high * s2 / (100 - ref_high), abs=1.3e-4)
        ref_h_low, ref_h_high = expected["h2"]
        assert ci.tau2_low == pytest.approx((ref_h_low - 1) * s2, abs=1.3e-4)
        assert ci.tau2_high == pytest.approx((ref_h_high - 1) * s2, abs=1.3e-4)
        assert ci.i2_low == pytest.approx(100 * ci.tau2_low / (s2 + ci.tau2_low))
        assert ci.h2_high == pytest.approx(1 + ci.tau2_high / s2)
        assert not ci.null_set


# --- leave-one-out and influence ------------------------------------------------------------------

LEAVE1OUT = """
-0.7071 0.1900 151.5826 0.3362 93.2259 14.7622
-0.6540 0.1807 145.3176 0.2926 92.2540 12.9098
-0.6856 0.1857 150.1970 0.3207 92.9354 14.1551
-0.6284 0.1766  96.5626 0.2628 90.4125 10.4302
-0.7642 0.1918 151.3200 0.3278 92.7634 13.8187
-0.7109 0.2003 128.1867 0.3596 90.9118 11.0033
-0.6552 0.1805 145.8296 0.2930 92.2777 12.9495
-0.7948 0.1799  67.9858 0.2732 87.0314  7.7109
-0.7412 0.1967 152.2051 0.3495 93.2133 14.7346
-0.6530 0.1843 139.8271 0.2987 92.2322 12.8737
-0.7579 0.1958 151.4655 0.3405 91.8110 12.2114
-0.7598 0.1821 150.7868 0.3082 92.6782 13.6579
-0.7775 0.1855 149.7884 0.3037 92.3444 13.0623
"""


def test_leave_one_out_matches_metafor(bcg):
    _, es = bcg
    rows = leave_one_out(meta_analysis(es.yi, es.vi))
    table = [line.split() for line in LEAVE1OUT.strip().splitlines()]
    assert len(rows) == len(table) == 13
    for row, ref in zip(rows, table, strict=True):
        got = [row.estimate, row.se, row.q, row.tau2, row.i2, row.h2]
        assert all(printed(g, r) for g, r in zip(got, ref, strict=True)), (row.left_out, got, ref)
    first = rows[0]
    assert first.estimate == pytest.approx(-0.707083788031436, abs=1e-5)
    assert first.tau2 == pytest.approx(0.336156745300306, abs=1e-5)
    assert first.i2 == pytest.approx(93.2259349111223, abs=1e-3)


def test_influence_of_study_1_matches_metafor_to_full_precision(bcg):
    _, es = bcg
    d = influence(meta_analysis(es.yi, es.vi))[0]
    expected = {
        "rstudent": -0.218142474344442, "dffits": -0.0407075604868486, "cook_d": 0.00171654236729195,
        "cov_r": 1.11644891104804, "tau2_del": 0.336156745300306, "qe_del": 151.582572747109,
        "hat": 0.0505948307931551, "weight": 5.05948307931551,
    }  # fmt: skip
    for name, value in expected.items():
        assert getattr(d, name) == pytest.approx(value, rel=1e-5, abs=1e-7), name
    assert d.dfbetas[0] == pytest.approx(-0.0402659025974144, rel=1e-5)
    assert not d.influential


INFLUENCE_ABLAT_YEAR = """
 0.2978  0.1785 0.0348 1.8003 0.1317 28.3142 0.1725  3.3664  0.1492 -0.0622 -0.1491
-0.4303 -0.2368 0.0620 1.9207 0.1308 27.5744 0.2367  4.8106 -0.0949 -0.1001  0.0963
-0.5100 -0.1094 0.0125 1.2348 0.1191 27.7572 0.0487  2.7920 -0.0280 -0.0403  0.0283
-1.4032 -2.9415 7.3179 3.5225 0.0906 23.1836 0.8082 11.2312  2.2248 -2.5380 -2.2161
-0.1490 -0.0263 0.0032 2.6341 0.1497 27.2543 0.2483  9.0681  0.0350  0.0063 -0.0354
 1.0551  0.8926 0.7205 1.3621 0.0994 21.2875 0.4061 12.4817  0.5935 -0.0008 -0.5954
-2.5961 -0.6815 0.4173 0.2379 0.0544 19.1240 0.0766  4.4008 -0.2659  0.5368  0.2591
 0.4793  0.3703 0.1899 2.9984 0.1498 24.1266 0.3627 12.8020 -0.0394 -0.2110  0.0431
 0.2027  0.1305 0.0237 2.2071 0.1501 28.2874 0.1030  8.7848  0.0728 -0.0865 -0.0718
-0.9872 -0.3870 0.1470 1.0702 0.1072 24.7567 0.1310  7.9919 -0.1188 -0.0973  0.1194
-0.1197 -0.0030 0.0052 2.8336 0.1583 25.5103 0.2214 11.9238  0.0631 -0.0343 -0.0631
 1.4677  0.2171 0.0469 0.9274 0.1059 26.1197 0.0235  2.2836 -0.0413  0.0465  0.0419
 2.1302  0.8150 0.4994 0.2178 0.0498 21.4920 0.1612  8.0630 -0.8276  0.6269  0.8279
"""


def test_influence_with_moderators_matches_metafor(bcg):
    b, es = bcg
    X = np.column_stack([np.ones(13), b.ablat, b.year])
    diags = influence(fit(es.yi, es.vi, X))
    table = [line.split() for line in INFLUENCE_ABLAT_YEAR.strip().splitlines()]
    for d, ref in zip(diags, table, strict=True):
        got = [d.rstudent, d.dffits, d.cook_d, d.cov_r, d.tau2_del, d.qe_del, d.hat, d.weight, *d.dfbetas]
        assert all(printed(g, r) for g, r in zip(got, ref, strict=True)), (d.index, got, ref)
    assert [d.index for d in diags if d.influential] == [3]  # metafor marks study 4 only


def test_hat_values_and_cooks_distance_with_one_moderator(bcg):
    b, es = bcg
    X = np.column_stack([np.ones(13), b.ablat])
    res = fit(es.yi, es.vi, X)
    hat = [
        0.049,
        0.1493,
        0.0351,
        0.3481,
        0.2248,
        0.2367,
        0.064,
        0.357,
        0.0926,
        0.1157,
        0.2309,
        0.0189,
        0.0778,
    ]
    cook = [
        0.0048,
        0.0489,
        0.0104,
        0.2495,
        0.0072,
        0.2883,
        0.3643,
        0.2719,
        0.02,
        0.1645,
        0.0009,
        0.0403,
        0.1433,
    ]
    assert np.allclose(hat_values(res.weights, X), hat, atol=5e-4)
    assert np.allclose([d.cook_d for d in influence(res)], cook, atol=5e-4)


# --- trim and fill --------------------------------------------------------------------------------


def test_trim_and_fill_random_effects_matches_metafor(bcg):
    _, es = bcg
    tf = trim_and_fill(meta_analysis(es.yi, es.vi))
    assert (tf.k0, tf.side, tf.estimator) == (1, "right", "L0")
    assert printed(tf.se_k0, "2.4528")
    m = tf.model
    assert m.k == 14 and m.qe_df == 13
    for value, text in [
        (m.tau2, "0.3313"), (m.se_tau2, "0.1701"), (m.qe, "154.6750"), (m.estimate, "-0.6571"),
        (m.se, "0.1785"), (m.z, "-3.6805"), (m.ci_low, "-1.0070"), (m.ci_high, "-0.3072"),
        (m.i2, "92.14"), (m.h2, "12.72"),
    ]:  # fmt: skip
        assert printed(value, text), (value, text)


@pytest.mark.parametrize(("estimator", "se_k0", "p_k0"), [("L0", "2.3853", None), ("R0", "3.1623", "0.0312")])
def test_trim_and_fill_equal_effects_matches_metafor(bcg, estimator, se_k0, p_k0):
    _, es = bcg
    tf = trim_and_fill(meta_analysis(es.yi, es.vi, "EE"), estimator=estimator)
    assert (tf.k0, tf.side) == (4, "right")
    assert printed(tf.se_k0, se_k0)
    assert (tf.p_k0 is None) if p_k0 is None else printed(tf.p_k0, p_k0)
    np.testing.assert_allclose(tf.filled_yi, [0.78929282, 0.85949921, 1.00333667, 1.03884624], atol=1e-7)
    np.testing.assert_allclose(tf.filled_vi, [0.073024794, 0.020010032, 0.194581121, 0.223017248], atol=1e-8)
    m = tf.model
    assert m.k == 17 and printed(m.qe, "262.7316") and printed(m.estimate, "-0.2910")
    assert printed(m.se, "0.0383") and printed(m.ci_low, "-0.3660") and printed(m.ci_high, "-0.2160")
    assert printed(m.i2, "93.91") and printed(m.h2, "16.42")


# --- rank test and fail-safe N --------------------------------------------------------------------


def test_rank_correlation_test_matches_metafor(bcg):
    _, es = bcg
    rank = rank_correlation_test(es.yi, es.vi)
    assert printed(rank.tau, "0.0256") and printed(rank.p, "0.9524") and rank.exact


def test_orwin_matches_metafor_fsn(bcg):
    _, es = bcg
    unweighted = orwin(es.yi, target=math.log(0.95))
    assert (
        unweighted.n == 175
        and printed(unweighted.average, "-0.7407")
        and printed(unweighted.target, "-0.0513")
    )
    weighted = orwin(es.yi, es.vi, target=math.log(0.95))
    assert weighted.n == 97 and printed(weighted.average, "-0.4303") and weighted.weighted
    # metafor flips a target given with the other sign, and the default (half the mean) gives N = k.
    assert orwin(es.yi, es.vi, target=-math.log(0.95)).n == 97
    assert orwin(es.yi, es.vi).n == 13


# --- dat.molloy2014 -------------------------------------------------------------------------------


def test_molloy_random_effects_matches_metadat():
    rows = molloy()
    es = fisher_z(column(rows, "ri"), column(rows, "ni"))
    res = meta_analysis(es.yi, es.vi)
    for value, text in [
        (res.tau2, "0.0081"), (res.se_tau2, "0.0055"), (res.tau, "0.0901"), (res.i2, "61.73"),
        (res.h2, "2.61"), (res.qe, "38.1595"), (res.qe_p, "0.0009"), (res.estimate, "0.1499"),
        (res.se, "0.0316"), (res.z, "4.7501"), (res.ci_low, "0.0881"), (res.ci_high, "0.2118"),
    ]:  # fmt: skip
        assert printed(value, text), (value, text)
    pred = res.predict()
    assert [round(math.tanh(x), 3) for x in (pred.pi_low, pred.pi_high)] == [-0.037, 0.325]


def test_molloy_controls_keeps_the_level_named_none():
    rows = molloy()
    es = fisher_z(column(rows, "ri"), column(rows, "ni"))
    controls = [r["controls"] for r in rows]
    sub = subgroup_analysis(es.yi, es.vi, controls, name="controls")
    assert sub.levels == ("multiple", "none") and sub.excluded == ()
    assert (sub.subgroups["none"].k, sub.subgroups["multiple"].k) == (13, 3)
    # The REML tau² of the two-level model is the maximum of the restricted likelihood (checked by a
    # direct search, independent of the Fisher scoring), and the level means are its weighted means.
    X = sub.model.X

    def neg_reml(t: float) -> float:
        w = 1 / (es.vi + t)
        xtwx = X.T @ (w[:, None] * X)
        b = np.linalg.solve(xtwx, X.T @ (w * es.yi))
        rss = float(np.sum(w * (es.yi - X @ b) ** 2))
        return 0.5 * (float(np.sum(np.log(es.vi + t))) + float(np.linalg.slogdet(xtwx)[1]) + rss)

    best = optimize.minimize_scalar(neg_reml, bounds=(0, 0.1), method="bounded", options={"xatol": 1e-12})
    assert neg_reml(sub.model.tau2) <= best.fun + 1e-4  # metafor's likelihood tolerance
    w = 1 / (es.vi + sub.model.tau2)
    for level in ("none", "multiple"):
        mask = np.array(controls) == level
        mean = float(np.sum(w[mask] * es.yi[mask]) / np.sum(w[mask]))
        assert sub.subgroups[level].estimate == pytest.approx(mean, abs=1e-10)
    # Only when the user says "none" means missing is it dropped, and then one level is left.
    with pytest.raises(MetaInputError, match="at least two levels"):
        subgroup_analysis(es.yi, es.vi, controls, name="controls", missing=("none",))
