"""Clinically significant change (Jacobson & Truax 1991, criteria a, b and c): the cut-offs from the norms,
the edges of the verdict, and the mirror image for a higher-is-better measure. Pure tests."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emotipal.analysis.clinical_significance import clinical_significance, cutoffs
from emotipal.definitions.norms import NORMS, Norms, Sample, norms_for, standard_measure

PHQ9_RC = {"sd": 5.7, "reliability": 0.84}  # the shipped definition's values: 7 points are reliable


def test_the_cutoffs_of_the_phq9_and_gad7_norms_by_hand() -> None:
    # PHQ-9: general population 2.91 (3.52), clinical 15 (5.7).
    phq = cutoffs(NORMS["phq9"])
    assert phq.a == pytest.approx(15 - 2 * 5.7)  # 3.6
    assert phq.b == pytest.approx(2.91 + 2 * 3.52)  # 9.95
    assert phq.c == pytest.approx((5.7 * 2.91 + 3.52 * 15) / (5.7 + 3.52))  # 7.526...
    assert round(phq.c, 3) == 7.526
    # GAD-7: general population 2.95 (3.41), clinical 13 (4.8).
    gad = cutoffs(NORMS["gad7"])
    assert (round(gad.a, 2), round(gad.b, 2), round(gad.c, 3)) == (3.4, 9.77, 7.124)


def test_the_norms_say_which_values_are_illustrative() -> None:
    for norms in NORMS.values():
        assert not norms.functional.illustrative and norms.dysfunctional.illustrative and norms.illustrative
    assert "Kocalevent" in NORMS["phq9"].functional.source and "Löwe" in NORMS["gad7"].functional.source


def test_measures_are_recognised_by_their_total_loinc_code_not_their_key() -> None:
    assert standard_measure({"key": "harbour_phq", "total_loinc": "44261-6"}) == "phq9"
    assert standard_measure({"key": "gad7", "total_loinc": "70274-6"}) == "gad7"
    assert standard_measure({"key": "phq9"}) is None and norms_for({"key": "phq9"}) is None


@given(st.floats(0, 50), st.floats(0.5, 10), st.floats(0, 50), st.floats(0.5, 10), st.booleans())
def test_criterion_c_is_as_many_own_sds_from_either_mean(
    m_fun: float, sd_fun: float, gap: float, sd_dys: float, lower_is_better: bool
) -> None:
    m_dys = m_fun + gap if lower_is_better else m_fun - gap
    norms = Norms(Sample(m_fun, sd_fun, "f"), Sample(m_dys, sd_dys, "d"))
    limits = cutoffs(norms, "lower_is_better" if lower_is_better else "higher_is_better")
    assert abs(limits.c - m_fun) / sd_fun == pytest.approx(abs(m_dys - limits.c) / sd_dys, abs=1e-9)
    assert min(m_fun, m_dys) - 1e-9 <= limits.c <= max(m_fun, m_dys) + 1e-9
    assert abs(limits.a - m_dys) == pytest.approx(2 * sd_dys) and abs(limits.b - m_fun) == pytest.approx(
        2 * sd_fun
    )
    # a lies from the clinical mean towards the functional direction, b from the functional mean away from it.
    assert (limits.a < m_dys) == lower_is_better and (limits.b > m_fun) == lower_is_better


@pytest.mark.parametrize(
    ("before", "after", "reliable", "c_met"),
    [
        (14, 7, True, True),  # 7 points (reliable), from above c (7.53) to below it
        (13, 7, False, False),  # 6 points: crosses c but is not a reliable change
        (15, 8, True, False),  # reliable, but 8 is still on the clinical side of 7.53
        (7, 0, True, False),  # reliable, but the first score was already past c: does not apply
    ],
)
def test_clinically_significant_on_criterion_c_needs_reliable_change_and_crossing(
    before: float, after: float, reliable: bool, c_met: bool
) -> None:
    result = clinical_significance(before, after, NORMS["phq9"], **PHQ9_RC)
    assert result.reliable_improvement == reliable
    assert result.preferred.criterion == "c" and result.preferred.clinically_significant == c_met
    assert result.preferred.dysfunctional_at_start == (before > result.preferred.cutoff)


def test_criteria_a_and_b_on_one_change() -> None:
    # 20 -> 3: reliable; 3 is below a (3.6), below c (7.53) and below b (9.95): all three met.
    result = clinical_significance(20, 3, NORMS["phq9"], **PHQ9_RC)
    assert [result.criteria[c].clinically_significant for c in "abc"] == [True, True, True]
    # 20 -> 9: below b only.
    result = clinical_significance(20, 9, NORMS["phq9"], **PHQ9_RC)
    assert [result.criteria[c].clinically_significant for c in "abc"] == [False, True, False]


def test_a_score_exactly_on_a_cutoff_is_not_past_it() -> None:
    norms = Norms(Sample(2.0, 2.0, "f"), Sample(12.0, 3.0, "d"))  # b = 6 exactly
    result = clinical_significance(20, 6, norms, **PHQ9_RC)
    assert cutoffs(norms).b == 6 and not result.criteria["b"].functional_at_end
    assert clinical_significance(20, 5, norms, **PHQ9_RC).criteria["b"].clinically_significant


@given(st.integers(0, 27), st.integers(0, 27))
def test_a_higher_is_better_measure_is_the_mirror_image(before: int, after: int) -> None:
    # Reflect the PHQ-9 (x -> 27 - x) and its norms: every verdict stays the same.
    phq = NORMS["phq9"]
    mirrored = Norms(
        Sample(27 - phq.functional.mean, phq.functional.sd, "f"),
        Sample(27 - phq.dysfunctional.mean, phq.dysfunctional.sd, "d"),
    )
    down = clinical_significance(before, after, phq, **PHQ9_RC)
    up = clinical_significance(27 - before, 27 - after, mirrored, direction="higher_is_better", **PHQ9_RC)
    assert down.reliable_improvement == up.reliable_improvement
    for c in "abc":
        assert math.isclose(down.criteria[c].cutoff, 27 - up.criteria[c].cutoff)
        assert down.criteria[c].clinically_significant == up.criteria[c].clinically_significant


def test_bad_norms_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        cutoffs(Norms(Sample(2.0, 0.0, "f"), Sample(12.0, 3.0, "d")))
    with pytest.raises(ValueError, match="direction"):
        cutoffs(NORMS["phq9"], "sideways")
