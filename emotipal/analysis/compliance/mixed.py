"""Next week's PHQ-9 on this week's practice, separating within-person from between-person effects.

A linear mixed-effects model (REML, :mod:`emotipal.analysis.mixed_model`) with a random intercept and a random slope for
time per client (correlated), fitted to every client-week t + 1 that has a PHQ-9 score and follows a week t
with planned practice::

    phq9[i, t+1] = b0 + b_week * (t+1)
                   + b_within * (x[i, t] - mean_i x)
                   + b_between * (mean_i x - grand mean) + b_week_x_between * (t+1) * (mean_i x - grand mean)
                   + u0_i + u1_i * (t+1) + e[i, t+1]

where x[i, t] is the share of week t's planned practices the client submitted, in units of 10 percentage
points, and mean_i x is the client's own average over the weeks in the model.

* **Lagged**: practice comes first and the score it is meant to change comes the week after, so the
  within-person slope cannot be a week's mood driving both that week's practice and its score.
* **Within-person** (b_within): in a week a client practises more than usual, is their *next* score lower
  than their own trajectory would predict? Centring on the client's own mean removes every stable
  difference between clients from this slope (Curran & Bauer 2011).
* **Between-person** (b_between, b_week_x_between): do clients who practise more overall score lower
  (on average over the course), and do they improve faster (the interaction, PHQ-9 points per week)?
* **Random slope for time** (u1_i): clients improve at different rates. Without it the week slope's
  standard error treats a client's repeated weeks as independent evidence about the common trend and is
  too small; the likelihood-ratio test against the random-intercept model is reported (its null
  distribution is the 50:50 mixture of chi-square with 1 and 2 df, as the variance sits on its boundary;
  Stram & Lee 1994).

Missing weeks (skipped questionnaires, no scores after discharge) are simply absent rows: the likelihood
of the observed scores is a valid basis for the estimates when the data are missing at random given what
is in the model (Laird 1988), so no client is dropped for a gap.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from ..mixed_model import MixedModelError, fit_reml
from .figures import WeekRow

UNIT = 10.0  # engagement is entered per 10 percentage points
TERMS = ("intercept", "week", "within", "between", "week_x_between")
MODEL_IN_WORDS = (
    "Linear mixed model (REML): each week's PHQ-9 score is regressed on the share of the previous week's "
    "planned practices the client submitted, split into the client's deviation from their own average "
    "(within-person) and their average's deviation from the average client (between-person), with the "
    "week, and the week by between-person interaction (do clients who practise more improve faster); each "
    "client has their own intercept and their own time slope (random, correlated)."
)


def within_between_model(rows: list[WeekRow], *, test_random_slope: bool = True) -> dict[str, Any]:
    """Fit the model; returns a JSON-ready dict (``{"error": ...}`` when it cannot be fitted).

    ``test_random_slope=False`` skips the second (random-intercept) fit behind the random-slope test.
    """
    clients = sorted({r.client for r in rows})
    if len(clients) < 3 or len(rows) < 2 * len(clients) + len(TERMS):
        return {"error": "too few client-weeks with a PHQ-9 score after a week of planned practice"}
    x = np.array([r.engagement / UNIT for r in rows])
    groups = np.array([r.client for r in rows])
    week = np.array([float(r.week) for r in rows])
    # Each client's mean by one pass over the rows (a mask per client is quadratic: minutes at 100,000).
    _, member_of = np.unique(groups, return_inverse=True)
    means = np.bincount(member_of, weights=x) / np.bincount(member_of)
    pm = means[member_of]
    grand = float(np.mean(means))
    within, between = x - pm, pm - grand
    if np.ptp(within) == 0 or np.ptp(between) == 0:
        return {"error": "engagement does not vary within or between clients"}
    exog = np.column_stack([np.ones(len(rows)), week, within, between, week * between])
    endog = np.array([r.phq9 for r in rows])
    exog_re = np.column_stack([np.ones(len(rows)), week])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fit_reml(endog, exog, groups, exog_re)
            intercept_only = fit_reml(endog, exog, groups, None) if test_random_slope else None
        except (np.linalg.LinAlgError, MixedModelError) as exc:
            return {"error": f"the mixed model could not be fitted ({exc})"}
    z95 = float(stats.norm.ppf(0.975))
    coefficients = {}
    for j, name in enumerate(TERMS):
        estimate, se = float(result.fe_params[j]), float(result.bse_fe[j])
        coefficients[name] = {
            "estimate": _num(estimate),
            "se": _num(se),
            "z": _num(estimate / se) if se > 0 else None,
            "p": _num(2.0 * stats.norm.sf(abs(estimate / se))) if se > 0 else None,
            "ci_low": _num(estimate - z95 * se),
            "ci_high": _num(estimate + z95 * se),
        }
    cov_re = np.asarray(result.cov_re)
    sd_slope = math.sqrt(max(float(cov_re[1, 1]), 0.0))
    sd_intercept = math.sqrt(max(float(cov_re[0, 0]), 0.0))
    corr = float(cov_re[0, 1]) / (sd_slope * sd_intercept) if sd_slope > 0 and sd_intercept > 0 else None
    slope_test: dict[str, Any] | None = None
    if intercept_only is not None:
        lr = max(0.0, 2.0 * (float(result.llf) - float(intercept_only.llf)))
        slope_test = {
            "lr": _num(lr),
            "p": _num(0.5 * stats.chi2.sf(lr, 1) + 0.5 * stats.chi2.sf(lr, 2)),
            "method": "REML likelihood ratio against the random-intercept model, 50:50 chi-square(1, 2)",
        }
    return {
        "model": MODEL_IN_WORDS,
        "n_observations": len(rows),
        "n_clients": len(clients),
        "engagement_unit": "10 percentage points of the previous week's planned practices submitted",
        "lag_weeks": 1,
        "grand_mean_engagement_percent": _num(grand * UNIT),
        "coefficients": coefficients,
        "random_intercept_variance": _num(float(cov_re[0, 0])),
        "random_slope_variance": _num(float(cov_re[1, 1])),
        "random_slope_sd": _num(sd_slope),
        "random_intercept_slope_correlation": _num(corr) if corr is not None else None,
        "random_slope_test": slope_test,
        "residual_variance": _num(result.scale),
        "log_likelihood_reml": _num(result.llf),
        "converged": result.converged and (intercept_only is None or intercept_only.converged),
        "warnings": sorted({str(w.message).splitlines()[0] for w in caught} | set(result.warnings)),
    }


def _num(value: float) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None
