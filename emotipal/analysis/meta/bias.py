"""Publication-bias diagnostics: fail-safe N (metafor ``fsn``), Egger's regression test (``regtest``) and
the rank-correlation test of Begg and Mazumdar (``ranktest``). Trim and fill is in :mod:`.trimfill`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._stats import as_float_array
from .errors import MetaInputError
from .models import MetaResult, fit


def round_fail_safe(n: float) -> float:
    """metafor's rounding of a fail-safe N: up to the next whole number, unless the value is a whole
    number already up to rounding error (within sqrt(machine epsilon)), which is then kept."""
    if math.isfinite(n) and abs(n - round(n)) >= math.sqrt(np.finfo(float).eps):
        return float(math.ceil(n))
    return float(round(n)) if math.isfinite(n) else n


def fail_safe_rosenthal(yi: ArrayLike, vi: ArrayLike, alpha: float = 0.05) -> int:
    """Rosenthal's file-drawer number: how many null studies would make Stouffer's combined z
    non-significant at one-tailed ``alpha``.

    With z_i = y_i/sqrt(v_i): N = (Σz_i)² / z_alpha² - k, floored at 0 and rounded up (metafor's ``fsn``).
    """
    y, v = as_float_array(yi, "yi"), as_float_array(vi, "vi")
    k = y.shape[0]
    z_sum = abs(float(np.sum(y / np.sqrt(v))))
    z_alpha = float(stats.norm.isf(alpha))
    return int(round_fail_safe(max(0.0, z_sum**2 / z_alpha**2 - k)))


@dataclass(frozen=True)
class OrwinFailSafe:
    """Orwin's fail-safe N with the average effect it started from and the target it aimed at."""

    n: float  # a whole number, or inf when the target is 0
    average: float
    target: float
    weighted: bool


def orwin(yi: ArrayLike, vi: ArrayLike | None = None, target: float | None = None) -> OrwinFailSafe:
    """Orwin's fail-safe N exactly as metafor's ``fsn(type="Orwin")``.

    How many studies with an average effect of 0 would pull the average effect down to ``target``:
    N = k (average - target) / target, floored at 0 and rounded as :func:`round_fail_safe`. The average is
    unweighted without ``vi`` and weighted by 1/v_i with it. The default target is half the average
    (which gives N = k). A target of the other sign than the average is taken with the average's sign
    (metafor flips it); a target of 0 gives N = inf.
    """
    y = as_float_array(yi, "yi")
    k = y.shape[0]
    if vi is None:
        mean = float(np.mean(y))
    else:
        v = as_float_array(vi, "vi")
        if np.any(v <= 0):
            raise MetaInputError("Orwin's fail-safe N needs positive sampling variances")
        w = 1.0 / v
        mean = float(np.sum(w * y) / np.sum(w))
    tgt = mean / 2.0 if target is None else float(target)
    if tgt == 0.0:
        return OrwinFailSafe(math.inf, mean, tgt, vi is not None)
    if np.sign(tgt) != np.sign(mean):
        tgt = -tgt
    return OrwinFailSafe(round_fail_safe(max(0.0, k * (mean - tgt) / tgt)), mean, tgt, vi is not None)


def fail_safe_orwin(yi: ArrayLike, vi: ArrayLike | None = None, target: float | None = None) -> float:
    """Orwin's fail-safe N as a number (see :func:`orwin` for the definition)."""
    return orwin(yi, vi, target).n


def fail_safe_rosenberg(yi: ArrayLike, vi: ArrayLike, alpha: float = 0.05) -> int:
    """Rosenberg's weighted fail-safe N, based on the equal-effects z test at two-tailed ``alpha``:
    added studies have a null effect and the average weight, N = k (Σw y / z_{alpha/2})² - Σw) / Σw."""
    y, v = as_float_array(yi, "yi"), as_float_array(vi, "vi")
    k = y.shape[0]
    w = 1.0 / v
    sw = float(np.sum(w))
    w_p = (float(np.sum(w * y)) / float(stats.norm.isf(alpha / 2.0))) ** 2 - sw
    return int(round_fail_safe(max(0.0, k * w_p / sw)))


@dataclass(frozen=True)
class EggerTest:
    """Egger's regression test: the z test of the standard-error coefficient, and the limit estimate
    (the model's intercept as the standard error goes to 0)."""

    z: float
    p: float
    slope: float
    slope_se: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float


def egger_test(result: MetaResult) -> EggerTest:
    """metafor's ``regtest(res)`` default: refit the *same kind* of model (same tau² estimator, same
    moderators, same test) with the standard error sqrt(v_i) added as a moderator, and test its
    coefficient (z, or t under Knapp-Hartung).

    Raises MetaInputError when the augmented model cannot be fitted (too few studies for the extra
    coefficient, or all standard errors equal so that sei is collinear with the intercept).
    """
    sei = np.sqrt(result.vi)
    X = np.column_stack([result.X, sei])
    k, p = X.shape
    if k <= p:
        raise MetaInputError("Egger's test needs more studies than model coefficients plus one")
    if np.linalg.matrix_rank(X) < p:
        raise MetaInputError("Egger's test is undefined when all standard errors are equal")
    aug = fit(
        result.yi,
        result.vi,
        X,
        [*result.names, "sei"],
        method=result.method,
        level=result.level,
        intercept=result.intercept,
        test=result.test,
        r2=False,
    )
    coef = aug.coefficients[-1]
    limit = aug.coefficients[0]
    return EggerTest(coef.z, coef.p, coef.estimate, coef.se, limit.estimate, limit.ci_low, limit.ci_high)


@dataclass(frozen=True)
class RankCorrelationTest:
    """Begg and Mazumdar's rank-correlation test: Kendall's tau between the standardised effects and
    their variances, with its two-sided p-value."""

    tau: float
    p: float
    exact: bool  # exact null distribution (no ties) rather than the normal approximation


# Exact Kendall p-values are computed up to this many studies; beyond it the normal approximation is
# indistinguishable and the exact distribution costs more than it is worth.
RANK_TEST_EXACT_MAX_K = 500


def rank_correlation_test(yi: ArrayLike, vi: ArrayLike) -> RankCorrelationTest:
    """metafor's ``ranktest``: with the equal-effects mean b (weights 1/v_i) and its variance v_b = 1/Σw,
    standardise y*_i = (y_i - b) / sqrt(v_i - v_b) and correlate y*_i with v_i by Kendall's tau (tau-b).

    As R's ``cor.test(..., method="kendall", exact=TRUE)``: the exact null distribution when there are no
    ties, else the normal approximation with the variance corrected for ties (no continuity correction).
    A correlation means that the smaller studies have systematically larger (or smaller) effects.
    """
    y, v = as_float_array(yi, "yi"), as_float_array(vi, "vi")
    if y.shape != v.shape:
        raise ValueError("yi and vi must have the same length")
    k = int(y.shape[0])
    if k < 3:
        raise MetaInputError("the rank-correlation test needs at least 3 studies")
    if np.any(v <= 0):
        raise MetaInputError("the rank-correlation test needs positive sampling variances")
    w = 1.0 / v
    theta = float(np.sum(w * y) / np.sum(w))
    v_star = v - 1.0 / float(np.sum(w))
    y_star = (y - theta) / np.sqrt(v_star)
    ties = len(np.unique(y_star)) < k or len(np.unique(v)) < k
    exact = not ties and k <= RANK_TEST_EXACT_MAX_K
    res = stats.kendalltau(y_star, v, method="exact" if exact else "asymptotic")
    return RankCorrelationTest(float(res.statistic), float(res.pvalue), exact)
