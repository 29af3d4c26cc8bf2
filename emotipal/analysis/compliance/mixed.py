"""Weekly PHQ-9 on weekly engagement, separating within-person from between-person effects.

A linear mixed-effects model (statsmodels MixedLM, REML) with a random intercept per client::

    phq9[i, t] = b0 + b_week * week + b_within * (x[i, t] - mean_i x) + b_between * (mean_i x - grand mean)
                 + u_i + e[i, t]

where x is the share of the week's planned practices submitted, in units of 10 percentage points.
Centring each client's weekly engagement on their own mean splits the one engagement slope into two
questions: *within* - in the weeks a client practises more than usual, are their scores lower than their
usual? - and *between* - do clients who practise more overall have lower scores? (Curran & Bauer 2011.)
The week is in the model because both scores and practice drift over treatment; without it the
within-person slope would mostly pick up that shared trend.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .figures import WeekRow

UNIT = 10.0  # engagement is entered per 10 percentage points
TERMS = ("intercept", "week", "within", "between")


def within_between_model(rows: list[WeekRow]) -> dict[str, Any]:
    """Fit the model; returns a JSON-ready dict (``{"error": ...}`` when it cannot be fitted)."""
    clients = sorted({r.client for r in rows})
    if len(clients) < 2 or len(rows) < len(clients) + len(TERMS):
        return {"error": "too few client-weeks with both a PHQ-9 score and planned practice"}
    x = np.array([r.engagement / UNIT for r in rows])
    groups = np.array([r.client for r in rows])
    person_mean = {c: float(np.mean(x[groups == c])) for c in clients}
    pm = np.array([person_mean[g] for g in groups])
    grand = float(np.mean(list(person_mean.values())))
    within, between = x - pm, pm - grand
    if np.ptp(within) == 0 or np.ptp(between) == 0:
        return {"error": "engagement does not vary within or between clients"}
    exog = np.column_stack([np.ones(len(rows)), [r.week for r in rows], within, between])
    endog = np.array([r.phq9 for r in rows])

    from statsmodels.regression.mixed_linear_model import MixedLM  # slow to import; only needed here

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = MixedLM(endog, exog, groups=groups).fit(reml=True)
        except (np.linalg.LinAlgError, ValueError) as exc:
            return {"error": f"the mixed model could not be fitted ({exc})"}
    params, bse = np.asarray(result.fe_params), np.asarray(result.bse_fe)
    ci = np.asarray(result.conf_int())[: len(TERMS)]
    pvalues = np.asarray(result.pvalues)[: len(TERMS)]
    coefficients = {
        name: {
            "estimate": _num(params[j]),
            "se": _num(bse[j]),
            "z": _num(params[j] / bse[j]) if bse[j] > 0 else None,
            "p": _num(pvalues[j]),
            "ci_low": _num(ci[j, 0]),
            "ci_high": _num(ci[j, 1]),
        }
        for j, name in enumerate(TERMS)
    }
    return {
        "n_observations": len(rows),
        "n_clients": len(clients),
        "engagement_unit": "10 percentage points of the week's planned practices submitted",
        "grand_mean_engagement_percent": _num(grand * UNIT),
        "coefficients": coefficients,
        "random_intercept_variance": _num(float(np.asarray(result.cov_re)[0, 0])),
        "residual_variance": _num(result.scale),
        "log_likelihood_reml": _num(result.llf),
        "converged": bool(result.converged),
        "warnings": sorted({str(w.message).splitlines()[0] for w in caught}),
    }


def _num(value: float) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None
