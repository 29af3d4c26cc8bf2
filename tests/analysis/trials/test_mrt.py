"""WCLS for micro-randomised trials: the estimator and its sandwich checked by hand, and bad input refused."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from emotipal.analysis.trials.mrt import Excursion, MRTInputError, excursion_effect


def tiny_trial(n: int = 8, days: int = 5, seed: int = 3) -> pd.DataFrame:
    """A small, hand-made trial: varying probabilities, a few unavailable points, a control covariate."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for t in range(days):
            available = bool(rng.random() < 0.8) or t == 0
            p = float(rng.choice([0.3, 0.5, 0.7]))
            treated = int(available and rng.random() < p)
            rows.append(
                {
                    "participant": f"c{i}",
                    "decision": t,
                    "day": t,
                    "mood": float(rng.normal()),
                    "available": available,
                    "probability": p if available else np.nan,
                    "treated": treated,
                    "outcome": float(rng.random() < 0.3 + 0.2 * treated) if available else np.nan,
                }
            )
    return pd.DataFrame(rows)


def wls_by_hand(frame: pd.DataFrame, numerator: float | None = None) -> tuple[sm.WLS, np.ndarray, np.ndarray]:
    """The WCLS regression built from the paper's definitions, for statsmodels to fit."""
    rows = frame[frame["available"]]
    p = rows["probability"].to_numpy()
    a = rows["treated"].to_numpy(dtype=float)
    p_tilde = p.mean() if numerator is None else numerator
    w = np.where(a == 1, p_tilde / p, (1 - p_tilde) / (1 - p))
    day = rows["day"].to_numpy(dtype=float)
    mood = rows["mood"].to_numpy()
    x = np.column_stack([np.ones(len(rows)), day, mood, a - p_tilde, (a - p_tilde) * day])
    y = rows["outcome"].to_numpy()
    groups = pd.factorize(rows["participant"])[0]
    return sm.WLS(y, x, weights=w), groups, w


def estimates(fit: Excursion) -> np.ndarray:
    return np.array([t.estimate for t in fit.control + fit.effect])


def ses(fit: Excursion) -> np.ndarray:
    return np.array([t.se for t in fit.control + fit.effect])


def test_point_estimates_and_plain_sandwich_match_statsmodels_weighted_least_squares() -> None:
    frame = tiny_trial()
    model, groups, _ = wls_by_hand(frame)
    reference = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    fit = excursion_effect(frame, moderators=["day"], control=["mood"], correction="none")
    assert [t.name for t in fit.control] == ["intercept", "day", "mood"]
    assert [t.name for t in fit.effect] == ["intercept", "day"]
    np.testing.assert_allclose(estimates(fit), reference.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ses(fit), reference.bse, rtol=1e-9)
    # t with n - (dim alpha + dim beta) degrees of freedom: 8 participants, 3 + 2 coefficients.
    assert fit.df == 3
    q = stats.t.ppf(0.975, 3)
    slope = fit.effect[1]
    assert slope.ci_low == pytest.approx(slope.estimate - q * slope.se)
    assert slope.ci_high == pytest.approx(slope.estimate + q * slope.se)
    assert slope.p == pytest.approx(2 * stats.t.sf(abs(slope.estimate / slope.se), 3))
    assert fit.n_participants == 8
    assert fit.n_decisions == 40
    assert fit.n_available == int(frame["available"].sum()) < 40
    assert fit.numerator_probability == pytest.approx(frame.loc[frame["available"], "probability"].mean())


def test_a_given_numerator_probability_is_used_in_weights_and_centring() -> None:
    frame = tiny_trial()
    model, groups, _ = wls_by_hand(frame, numerator=0.4)
    reference = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    fit = excursion_effect(frame, moderators=["day"], control=["mood"], numerator=0.4, correction="none")
    np.testing.assert_allclose(estimates(fit), reference.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ses(fit), reference.bse, rtol=1e-9)
    assert fit.numerator_probability == 0.4


def test_mancl_derouen_correction_matches_its_formula() -> None:
    frame = tiny_trial(n=12, days=6, seed=8)
    model, groups, w = wls_by_hand(frame)
    x, y = model.exog, model.endog
    bread_inv = np.linalg.inv(x.T @ (w[:, None] * x))
    theta = bread_inv @ x.T @ (w * y)
    resid = y - x @ theta
    meat = np.zeros((5, 5))
    for g in np.unique(groups):
        rows = groups == g
        xi, wi, ei = x[rows], np.diag(w[rows]), resid[rows]
        hii = xi @ bread_inv @ xi.T @ wi
        corrected = np.linalg.inv(np.eye(len(ei)) - hii) @ ei
        meat += xi.T @ wi @ np.outer(corrected, corrected) @ wi @ xi
    cov = bread_inv @ meat @ bread_inv
    fit = excursion_effect(frame, moderators=["day"], control=["mood"])
    assert fit.correction == "mancl-derouen"
    np.testing.assert_allclose(estimates(fit), theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ses(fit), np.sqrt(np.diag(cov)), rtol=1e-9)
    plain = excursion_effect(frame, moderators=["day"], control=["mood"], correction="none")
    assert (ses(fit) > ses(plain)).all()


def test_with_one_decision_each_the_correction_is_hc3() -> None:
    # One decision point per participant: Mancl-DeRouen reduces to the HC3 jackknife-like variance.
    frame = tiny_trial(n=30, days=1, seed=5)
    frame["day"] = np.random.default_rng(1).integers(0, 9, 30)
    model, _, _ = wls_by_hand(frame)
    fit = excursion_effect(frame, moderators=["day"], control=["mood"])
    reference = model.fit(cov_type="HC3")
    np.testing.assert_allclose(estimates(fit), reference.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ses(fit), reference.bse, rtol=1e-9)


def test_unavailable_points_are_excluded_whatever_they_record() -> None:
    frame = tiny_trial()
    fit = excursion_effect(frame, moderators=["day"])
    unavailable = ~frame["available"]
    noisy = frame.copy()
    noisy.loc[unavailable, "probability"] = 0.0  # not randomised: the probability is not used
    noisy.loc[unavailable, "outcome"] = 7.0
    refit = excursion_effect(noisy, moderators=["day"])
    assert refit == fit
    assert fit.n_decisions - fit.n_available == int(unavailable.sum())
    # Integer 0/1 columns work as well as booleans.
    as_ints = frame.assign(available=frame["available"].astype(int))
    assert excursion_effect(as_ints, moderators=["day"]) == fit


def test_summary_reads_in_plain_english() -> None:
    frame = tiny_trial(n=12, days=6)
    text = excursion_effect(frame, moderators=["day"]).summary()
    assert "12 participants, 72 decision points" in text
    assert "Mancl-DeRouen" in text
    assert "Effect of sending a reminder when day = 0:" in text
    assert "Change in the effect per unit of day:" in text
    marginal = excursion_effect(frame).summary()
    assert "averaged over available decision points" in marginal
    assert "95% confidence intervals" in marginal


def broken(**changes: object) -> pd.DataFrame:
    frame = tiny_trial(n=10)
    for column, change in changes.items():
        frame[column] = change(frame) if callable(change) else change
    return frame


def where_available(value: object, column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Put ``value`` in ``column`` at the first available decision point."""

    def change(frame: pd.DataFrame) -> pd.Series:
        out = frame[column].astype(object) if isinstance(value, str) else frame[column].copy()
        out[frame["available"].to_numpy().nonzero()[0][0]] = value
        return out

    return change


@pytest.mark.parametrize(
    ("frame", "kwargs", "names"),
    [
        (tiny_trial().drop(columns="probability"), {}, "'probability'"),
        (tiny_trial(), {"moderators": ["hour"]}, "'hour'"),
        (broken(probability=where_available(1.0, "probability")), {}, "'probability'.*strictly between"),
        (broken(probability=where_available(0.0, "probability")), {}, "'probability'.*strictly between"),
        (broken(probability=where_available(np.nan, "probability")), {}, "'probability'.*missing"),
        (broken(treated=lambda f: (~f["available"]).astype(int)), {}, "where 'available' is 0"),
        (broken(treated=where_available(2, "treated")), {}, "'treated'.*0/1"),
        (broken(treated=lambda f: f["available"].astype(int)), {}, "sent at every available"),
        (broken(outcome=lambda f: f["available"].map({True: "yes", False: None})), {}, "'outcome'.*numeric"),
        (broken(outcome=where_available(np.nan, "outcome")), {}, "'outcome'.*missing"),
        (broken(available=lambda f: f["available"].astype(int) * 2), {}, "'available'.*0/1"),
        (broken(available=False, treated=0), {}, "no decision point is available"),
        (broken(decision=0), {}, "'decision' repeat"),
        (
            broken(participant=lambda f: f["participant"].where(f["decision"] > 0)),
            {},
            "'participant'.*missing",
        ),
        (tiny_trial(n=2), {}, "too few participants"),
        (tiny_trial(n=5), {"moderators": ["day"], "control": ["mood"]}, "too few participants"),
        (broken(dose=1.0), {"moderators": ["dose"]}, "constant"),
        (broken(mood=where_available("high", "mood")), {"control": ["mood"]}, "'mood'.*numeric"),
        (tiny_trial(), {"moderators": ["day"], "control": ["day"]}, "'day'"),
        (tiny_trial(), {"numerator": 1.0}, "numerator"),
        (tiny_trial(), {"level": 95}, "level"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(
    frame: pd.DataFrame, kwargs: dict[str, object], names: str
) -> None:
    with pytest.raises(MRTInputError, match=names):
        excursion_effect(frame, **kwargs)  # type: ignore[arg-type]


def test_missing_values_where_not_available_are_fine() -> None:
    frame = tiny_trial()
    frame.loc[~frame["available"], "treated"] = np.nan
    fit = excursion_effect(frame)
    assert fit.n_available == int(frame["available"].sum())
