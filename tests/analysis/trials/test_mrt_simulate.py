"""WCLS on simulated micro-randomised trials recovers, and its intervals cover, the known excursion effect."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from emotipal.analysis.trials.mrt import excursion_effect
from emotipal.analysis.trials.mrt_simulate import simulate_mrt


def remind_the_lapsed(day: int, practised_yesterday: float) -> float:
    """History-dependent design: remind more often after a day without practice."""
    return 0.2 if practised_yesterday else 0.8


def tapering(day: int, practised_yesterday: float) -> float:
    """Time-varying design: from 0.8 on day 0 down to 0.2 on day 59."""
    return 0.8 - 0.6 * min(day, 59) / 59


def test_the_simulated_trial_records_what_the_design_says() -> None:
    frame, truth = simulate_mrt(300, 30, probability=remind_the_lapsed, seed=4)
    assert list(frame.columns) == [
        "participant",
        "decision",
        "day",
        "available",
        "probability",
        "treated",
        "outcome",
        "practised_yesterday",
        "engagement",
    ]
    assert len(frame) == 300 * 30
    available = frame["available"]
    assert 0.6 < available.mean() < 0.8  # 0.8 not paused, less those who had practised already
    assert (frame.loc[~available, "treated"] == 0).all()
    assert frame.loc[~available, ["probability", "outcome"]].isna().all().all()
    expected = np.where(frame.loc[available, "practised_yesterday"] == 1, 0.2, 0.8)
    np.testing.assert_array_equal(frame.loc[available, "probability"], expected)
    # Availability depends on the history: fewer are available after a day with practice.
    after = frame.groupby("practised_yesterday")["available"].mean()
    assert after[1] < after[0] - 0.08
    assert sorted(frame.groupby("engagement")["participant"].nunique()) == [100, 100, 100]
    assert truth.intercept == pytest.approx(0.1, abs=0.005)
    assert truth.slope == pytest.approx(-0.002, abs=1e-4)


def test_the_truth_is_the_effect_among_available_points() -> None:
    # The exact Markov-chain estimands agree with the effects of the participants actually available in a
    # large simulated trial, where engagement types (known here) make the effect differ between them.
    frame, truth = simulate_mrt(
        20000, 60, probability=tapering, effect_intercept=0.3, effect_slope=-0.005, seed=11
    )
    rows = frame[frame["available"]]
    effect = 0.3 - 0.005 * rows["day"] + 0.1 * rows["engagement"]
    assert truth.marginal == pytest.approx(float(effect.mean()), abs=4e-4)
    slope, intercept = np.polyfit(rows["day"], effect, 1)
    assert truth.intercept == pytest.approx(intercept, abs=4e-4)
    assert truth.slope == pytest.approx(slope, abs=1e-5)
    # Not the inputs: the engaged practise more, so are less often available, and the design changes that.
    assert abs(truth.marginal - (0.3 - 0.005 * 29.5)) > 1e-3
    assert abs(truth.intercept - 0.3) > 1e-3
    # Without differences between participants the effect does not depend on the history: truth = inputs.
    _, plain = simulate_mrt(10, 60, probability=tapering, effect_spread=0.0)
    assert plain.intercept == pytest.approx(0.1, abs=1e-12)
    assert plain.slope == pytest.approx(-0.002, abs=1e-12)


@pytest.mark.parametrize("probability", [0.5, tapering, remind_the_lapsed])
def test_large_trials_estimate_the_true_effect(probability: object) -> None:
    frame, truth = simulate_mrt(2000, 60, probability=probability, seed=21)  # type: ignore[arg-type]
    marginal = excursion_effect(frame).effect[0]
    assert marginal.estimate == pytest.approx(truth.marginal, abs=0.012)
    assert marginal.ci_low < truth.marginal < marginal.ci_high
    for control in ([], ["practised_yesterday"]):
        fit = excursion_effect(frame, moderators=["day"], control=control)
        intercept, slope = fit.effect
        assert intercept.estimate == pytest.approx(truth.intercept, abs=0.025)
        assert slope.estimate == pytest.approx(truth.slope, abs=6e-4)
        assert slope.se < 4e-4


def test_weighting_removes_the_confounding_of_a_history_dependent_design() -> None:
    # Reminders go mostly to those who lapsed yesterday, who are less likely to practise anyway: a regression
    # of the outcome on the reminder is biased down; WCLS is not.
    frame, truth = simulate_mrt(2000, 60, probability=remind_the_lapsed, seed=5)
    rows = frame[frame["available"]]
    naive = sm.OLS(rows["outcome"], sm.add_constant(rows["treated"].astype(float))).fit().params["treated"]
    assert naive < truth.marginal - 0.05
    centred_unweighted = (
        sm.OLS(rows["outcome"], sm.add_constant(rows["treated"] - rows["probability"].mean()))
        .fit()
        .params.iloc[1]
    )
    assert centred_unweighted < truth.marginal - 0.05
    wcls = excursion_effect(frame).effect[0]
    assert wcls.estimate == pytest.approx(truth.marginal, abs=0.012)


def test_confidence_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    # 200 trials of 40 participants x 60 days, history-dependent design. With 200 trials a true coverage of
    # 0.95 falls in [0.91, 0.99] with probability > 0.99; intervals without the small-sample correction and
    # t quantiles, or clustered wrongly, fall short.
    marginal, slope, intercept = [], [], []
    for rep in range(200):
        frame, truth = simulate_mrt(40, 60, probability=remind_the_lapsed, seed=1000 + rep)
        m = excursion_effect(frame).effect[0]
        i, s = excursion_effect(frame, moderators=["day"]).effect
        marginal.append(m.ci_low <= truth.marginal <= m.ci_high)
        intercept.append(i.ci_low <= truth.intercept <= i.ci_high)
        slope.append(s.ci_low <= truth.slope <= s.ci_high)
    assert 0.91 <= np.mean(marginal) <= 0.99
    assert 0.91 <= np.mean(slope) <= 0.99
    assert 0.91 <= np.mean(intercept) <= 0.99


def test_impossible_designs_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        simulate_mrt(10, 60, base_rate=0.9)
    with pytest.raises(ValueError, match="outside"):
        simulate_mrt(10, 60, effect_intercept=-0.3)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        simulate_mrt(10, 60, probability=lambda day, y: 1.0 if day > 10 else 0.5)
    with pytest.raises(ValueError, match="availability"):
        simulate_mrt(10, 60, availability=0.0)
