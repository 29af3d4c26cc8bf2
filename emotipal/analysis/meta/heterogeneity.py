"""Confidence intervals for the amount of heterogeneity: the Q-profile method (metafor's ``confint``).

The generalised Q statistic Q(tau²) = Σ (y_i - x_i'b)² / (v_i + tau²), with b the fit under those weights,
follows a chi-square distribution on k - p degrees of freedom at the true tau², and it falls as tau² grows.
The Q-profile interval (Viechtbauer 2007) is the set of tau² values at which Q(tau²) lies between the
chi-square quantiles: the lower bound solves Q(tau²) = chi²_{k-p, 1-α/2}, the upper bound
Q(tau²) = chi²_{k-p, α/2}. Where Q(0) is already below a quantile that bound is 0; where Q(0) is below
even the lower quantile the interval is empty and reported as [0, 0] with ``null_set`` set. The intervals
for tau, I² and H² are the tau² bounds transformed (I² = tau²/(tau² + s²), H² = 1 + tau²/s², with s² the
model's typical sampling variance), exactly as metafor prints them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scipy import optimize, stats

from .errors import MetaInputError
from .models import MetaResult
from .tau2 import generalized_q, unit_scale


@dataclass(frozen=True)
class Tau2Interval:
    """tau², tau, I² (percent) and H² with their Q-profile confidence bounds."""

    level: float
    tau2: float
    tau2_low: float
    tau2_high: float
    tau: float
    tau_low: float
    tau_high: float
    i2: float
    i2_low: float
    i2_high: float
    h2: float
    h2_low: float
    h2_high: float
    null_set: bool  # Q(0) below the lower chi-square quantile: no tau² >= 0 is compatible with the data


def _root(fn: Callable[[float], float], lo: float, hi: float) -> float:
    return float(optimize.brentq(fn, lo, hi, xtol=1e-13, rtol=1e-13, maxiter=500))


def tau2_ci(result: MetaResult, level: float | None = None) -> Tau2Interval:
    """Q-profile confidence interval for the (residual) tau² of a random- or mixed-effects model.

    ``level`` defaults to the model's. The search starts from metafor's upper end, max(100, 10 tau²), and
    widens it tenfold while the bound lies beyond (metafor stops there and prints "> 100").
    """
    if result.method == "EE":
        raise MetaInputError("an equal-effects model has no tau² to give an interval for")
    k, p = result.k, result.p
    df = k - p
    if df <= 0:
        raise MetaInputError("a confidence interval for tau² needs more studies than coefficients")
    conf = result.level if level is None else level
    if not 0.0 < conf < 1.0:
        raise ValueError("level must be between 0 and 1")
    alpha = 1.0 - conf
    crit_high = float(stats.chi2.isf(alpha / 2.0, df))  # Q at the lower bound
    crit_low = float(stats.chi2.ppf(alpha / 2.0, df))  # Q at the upper bound
    # Search on data scaled to variances near 1 (Q(tau²) is unchanged by y -> y/c, v -> v/c², tau² -> tau²/c²),
    # so that metafor's range and the root tolerances mean the same thing for any scale of effect.
    c2 = unit_scale(result.vi)
    y, v, X = result.yi / math.sqrt(c2), result.vi / c2, result.X

    def q(t: float) -> float:
        return generalized_q(t, y, v, X)

    q0 = q(0.0)
    upper = max(100.0, 10.0 * result.tau2 / c2)
    for _ in range(40):
        if q(upper) < crit_low:
            break
        upper *= 10.0
    else:  # pragma: no cover - Q(tau²) tends to 0, so this needs absurd data
        raise MetaInputError("the confidence interval for tau² could not be bracketed")

    null_set = q0 < crit_low
    high = 0.0 if null_set else _root(lambda t: q(t) - crit_low, 0.0, upper)
    low = 0.0 if q0 <= crit_high else _root(lambda t: q(t) - crit_high, 0.0, high)
    low, high = low * c2, high * c2

    s2 = result.s2

    def i2(t: float) -> float:
        return 100.0 * t / (s2 + t)

    def h2(t: float) -> float:
        return 1.0 + t / s2

    t2 = result.tau2
    return Tau2Interval(
        level=conf,
        tau2=t2,
        tau2_low=low,
        tau2_high=high,
        tau=math.sqrt(t2),
        tau_low=math.sqrt(low),
        tau_high=math.sqrt(high),
        i2=i2(t2),
        i2_low=i2(low),
        i2_high=i2(high),
        h2=h2(t2),
        h2_low=h2(low),
        h2_high=h2(high),
        null_set=null_set,
    )
