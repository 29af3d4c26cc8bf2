"""Effect sizes: Fisher's z, 2x2-table measures, Hedges' g, beta-to-r."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.meta import (
    MetaInputError,
    check_effects,
    fisher_z,
    fisher_z_from_beta,
    hedges_correction,
    hedges_g,
    log_odds_ratio,
    log_risk_ratio,
    r_from_beta,
    risk_difference,
    z_to_r,
)


def test_fisher_z_definition():
    es = fisher_z([0.3, -0.5, 0.0], [23, 53, 10])
    assert es.yi == pytest.approx([math.atanh(0.3), math.atanh(-0.5), 0.0])
    assert es.vi == pytest.approx([1 / 20, 1 / 50, 1 / 7])
    assert es.measure == "ZCOR"


@settings(deadline=None, database=None)  # no example database written into the repo
@given(st.floats(min_value=-0.999, max_value=0.999))
def test_fisher_z_round_trip(r):
    z = fisher_z([r], [10]).yi
    assert float(z_to_r(z)[0]) == pytest.approx(r, abs=1e-12)


@pytest.mark.parametrize(
    ("r", "n"), [(1.0, 10), (-1.0, 10), (1.2, 10), (0.3, 3), (0.3, 2), (float("nan"), 10)]
)
def test_fisher_z_rejects_bad_values(r, n):
    with pytest.raises(MetaInputError):
        fisher_z([0.1, r], [20, n])


def test_log_risk_ratio_formula_without_zero_cells():
    es = log_risk_ratio([4], [119], [11], [128])
    assert es.yi[0] == pytest.approx(math.log(4 / 123) - math.log(11 / 139))
    assert es.vi[0] == pytest.approx(1 / 4 - 1 / 123 + 1 / 11 - 1 / 139)


def test_zero_cell_adds_half_to_all_cells_of_that_study_only():
    es = log_risk_ratio([0, 4], [10, 119], [3, 11], [7, 128])
    a, b, c, d = 0.5, 10.5, 3.5, 7.5  # study 1 corrected, all four cells
    assert es.yi[0] == pytest.approx(math.log(a / (a + b)) - math.log(c / (c + d)))
    assert es.vi[0] == pytest.approx(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    assert es.yi[1] == pytest.approx(math.log(4 / 123) - math.log(11 / 139))  # study 2 untouched
    odds = log_odds_ratio([0, 4], [10, 119], [3, 11], [7, 128])
    assert odds.yi[0] == pytest.approx(math.log(a * d / (b * c)))
    assert odds.vi[0] == pytest.approx(1 / a + 1 / b + 1 / c + 1 / d)
    assert odds.yi[1] == pytest.approx(math.log(4 * 128 / (119 * 11)))


def test_risk_difference():
    es = risk_difference([4], [16], [2], [18])
    assert es.yi[0] == pytest.approx(0.2 - 0.1)
    assert es.vi[0] == pytest.approx(0.2 * 0.8 / 20 + 0.1 * 0.9 / 20)


def test_two_by_two_rejects_negative_and_empty_groups():
    with pytest.raises(MetaInputError):
        log_risk_ratio([-1], [10], [1], [10])
    with pytest.raises(MetaInputError):
        log_odds_ratio([0], [0], [1], [10])


@pytest.mark.parametrize("m", [2, 3, 5, 10, 38, 100])
def test_hedges_correction_exact_gamma_ratio(m):
    exact = math.gamma(m / 2) / (math.sqrt(m / 2) * math.gamma((m - 1) / 2))
    assert float(hedges_correction(m)) == pytest.approx(exact, rel=1e-12)


def test_hedges_correction_large_m_is_finite_and_close_to_the_approximation():
    m = np.array([500.0, 10_000.0])
    assert hedges_correction(m) == pytest.approx(1 - 3 / (4 * m - 1), abs=1e-6)


def test_hedges_g_value_and_metafor_ls_variance():
    es = hedges_g([10.0], [2.0], [20], [9.0], [2.0], [20])
    c = float(hedges_correction(38))
    g = c * 0.5
    assert es.yi[0] == pytest.approx(g)
    assert es.vi[0] == pytest.approx(1 / 20 + 1 / 20 + g**2 / (2 * 40))
    ub = hedges_g([10.0], [2.0], [20], [9.0], [2.0], [20], vtype="UB")
    assert ub.vi[0] == pytest.approx(1 / 10 + (1 - 36 / (38 * c**2)) * g**2)


def test_hedges_g_pooled_sd_with_unequal_groups():
    es = hedges_g([5.0], [1.0], [10], [4.0], [3.0], [30])
    sp = math.sqrt((9 * 1 + 29 * 9) / 38)
    assert es.yi[0] == pytest.approx(float(hedges_correction(38)) / sp)


def test_hedges_g_rejects_tiny_groups():
    with pytest.raises(MetaInputError):
        hedges_g([1.0], [1.0], [1], [0.0], [1.0], [10])


def test_beta_as_proxy_for_r_peterson_brown():
    assert r_from_beta([0.2, -0.2, 0.0]) == pytest.approx([0.25, -0.2, 0.05])
    assert r_from_beta([0.7], method="identity") == pytest.approx([0.7])
    with pytest.raises(MetaInputError):
        r_from_beta([0.6])
    es = fisher_z_from_beta([0.2], [43])
    assert es.yi[0] == pytest.approx(math.atanh(0.25))
    assert es.vi[0] == pytest.approx(1 / 40)


def test_check_effects_rejects_non_positive_variance():
    assert check_effects([0.1, 0.2], [0.01, 0.02]).yi.tolist() == [0.1, 0.2]
    with pytest.raises(MetaInputError, match="positive"):
        check_effects([0.1, 0.2], [0.01, 0.0])
    with pytest.raises(MetaInputError):
        check_effects([0.1, float("inf")], [0.01, 0.02])
