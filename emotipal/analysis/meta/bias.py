"""Publication-bias diagnostics: fail-safe N (metafor ``fsn``) and Egger's regression test (``regtest``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._stats import as_float_array
from .errors import MetaInputError
from .models import MetaResult, fit


def fail_safe_rosenthal(yi: ArrayLike, vi: ArrayLike, alpha: float = 0.05) -> int:
    """Rosenthal's file-drawer number: how many null studies would make Stouffer's combined z
    non-significant at one-tailed ``alpha``.

    With z_i = y_i/sqrt(v_i): N = (Σz_i)² / z_alpha² - k, floored at 0 and rounded up (metafor's ``fsn``).
    """
    y, v = as_float_array(yi, "yi"), as_float_array(vi, "vi")
    k = y.shape[0]
    z_sum = abs(float(np.sum(y / np.sqrt(v))))
    z_alpha = float(stats.norm.isf(alpha))
    return math.ceil(max(0.0, z_sum**2 / z_alpha**2 - k))


def fail_safe_orwin(yi: ArrayLike, vi: ArrayLike | None = None, target: float | None = None) -> float:
    """Orwin's fail-safe N: studies averaging a null effect needed to pull the mean effect down to ``target``.

    N = k (mean - target) / target, rounded up; the mean is unweighted without ``vi`` and inverse-variance
    weighted with it (as metafor's ``fsn(type="Orwin")``). The default target is half the mean (which
    always gives N = k). Returns ``inf`` when the target is 0 or has the opposite sign of the mean.
    """
    y = as_float_array(yi, "yi")
    k = y.shape[0]
    if vi is None:
        mean = float(np.mean(y))
    else:
        w = 1.0 / as_float_array(vi, "vi")
        mean = float(np.sum(w * y) / np.sum(w))
    tgt = mean / 2.0 if target is None else float(target)
    if tgt == 0.0 or np.sign(tgt) != np.sign(mean):
        return math.inf
    return float(math.ceil(max(0.0, k * (mean - tgt) / tgt)))


def fail_safe_rosenberg(yi: ArrayLike, vi: ArrayLike, alpha: float = 0.05) -> int:
    """Rosenberg's weighted fail-safe N, based on the equal-effects z test at two-tailed ``alpha``:
    added studies have a null effect and the average weight, N = k (Σw y / z_{alpha/2})² - Σw) / Σw."""
    y, v = as_float_array(yi, "yi"), as_float_array(vi, "vi")
    k = y.shape[0]
    w = 1.0 / v
    sw = float(np.sum(w))
    w_p = (float(np.sum(w * y)) / float(stats.norm.isf(alpha / 2.0))) ** 2 - sw
    return math.ceil(max(0.0, k * w_p / sw))


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
    moderators) with the standard error sqrt(v_i) added as a moderator, and test its coefficient with z.

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
    )
    coef = aug.coefficients[-1]
    limit = aug.coefficients[0]
    return EggerTest(coef.z, coef.p, coef.estimate, coef.se, limit.estimate, limit.ci_low, limit.ci_high)
