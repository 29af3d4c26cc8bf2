"""Small numerical helpers shared by the modules of the meta-analysis engine."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]


def as_float_array(values: ArrayLike, name: str) -> FloatArray:
    """Return a 1-d float array (finiteness is checked by the callers, which know what to call the value)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr


def z_crit(level: float) -> float:
    """Two-sided normal critical value, e.g. 1.959964 for a 95% level (metafor's qnorm(0.975))."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    return float(stats.norm.ppf(1.0 - (1.0 - level) / 2.0))


def two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard-normal statistic (sf keeps precision for large |z|)."""
    if math.isnan(z):
        return math.nan
    return float(2.0 * stats.norm.sf(abs(z)))


def chi2_p(q: float, df: int) -> float:
    """Upper-tail chi-square p-value; undefined (nan) without degrees of freedom."""
    if df <= 0 or math.isnan(q):
        return math.nan
    return float(stats.chi2.sf(q, df))
