"""Agreement between raters: intraclass correlations with their confidence intervals.

Two supervisors who rate the same piece of homework practice on the observer form give an n-targets x k-raters
matrix. The questions differ by model (Shrout & Fleiss 1979; McGraw & Wong 1996):

- ICC(2,1), two-way random, absolute agreement, single rater: would another rater from the same pool give the
  same number? Raters who are systematically harsher lower it. This is the figure for "do our raters agree".
- ICC(3,1), two-way mixed, consistency, single rater: do these raters rank the work the same way, whatever
  their level? A harsh but consistent rater does not lower it.
- ICC(1,1), one-way random: each target rated by different raters (given for completeness and the
  published example).

The confidence intervals are the exact F-based ones for ICC(1,1) and ICC(3,1) and the Satterthwaite
approximation for ICC(2,1), as given by McGraw & Wong (1996, Table 7). Pure: numpy and scipy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Icc:
    kind: str  # "ICC(1,1)", "ICC(2,1)" or "ICC(3,1)"
    value: float
    lower: float
    upper: float
    f: float
    df1: float
    df2: float
    p: float


@dataclass(frozen=True)
class Agreement:
    targets: int  # complete targets used
    raters: int
    dropped: int  # targets left out because a rater's rating was missing
    icc1: Icc
    icc2: Icc
    icc3: Icc


class NotEnoughRatings(ValueError):
    """Fewer than two complete targets or two raters: no ICC can be estimated."""


def _mean_squares(x: np.ndarray) -> tuple[float, float, float, float]:
    """Two-way ANOVA without replication: mean squares of rows (targets), columns (raters), error, and the
    one-way within-target mean square."""
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    ss_total = float(((x - grand) ** 2).sum())
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    return msr, msc, mse, msw


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return math.inf if numerator > 0 else math.nan
    return numerator / denominator


def _icc(kind: str, value: float, lower: float, upper: float, f: float, df1: float, df2: float) -> Icc:
    return Icc(
        kind, float(value), float(lower), float(upper), float(f), df1, df2, float(stats.f.sf(f, df1, df2))
    )


def icc(matrix: Sequence[Sequence[float | None]], alpha: float = 0.05) -> Agreement:
    """ICC(1,1), ICC(2,1) and ICC(3,1) with (1 - alpha) confidence intervals for an n x k matrix (rows are
    targets, columns raters). Rows with a missing value (None or NaN) are dropped and counted."""
    raw = np.array([[math.nan if v is None else float(v) for v in row] for row in matrix], dtype=float)
    if raw.ndim != 2:
        raise NotEnoughRatings("the ratings must form a targets x raters table")
    complete = ~np.isnan(raw).any(axis=1)
    x = raw[complete]
    n, k = x.shape if x.size else (0, raw.shape[1] if raw.ndim == 2 else 0)
    if n < 2 or k < 2:
        raise NotEnoughRatings("at least two targets rated by at least two raters are needed")
    msr, msc, mse, msw = _mean_squares(x)
    q = 1 - alpha / 2

    # ICC(1,1): one-way random.
    f1 = _ratio(msr, msw)
    df1, df2_1 = n - 1, n * (k - 1)
    value1 = (msr - msw) / (msr + (k - 1) * msw)
    fl, fu = f1 / stats.f.ppf(q, df1, df2_1), f1 * stats.f.ppf(q, df2_1, df1)
    icc1 = _icc("ICC(1,1)", value1, (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1), f1, df1, df2_1)

    # ICC(3,1): two-way mixed, consistency.
    f3 = _ratio(msr, mse)
    df2 = (n - 1) * (k - 1)
    value3 = (msr - mse) / (msr + (k - 1) * mse)
    fl, fu = f3 / stats.f.ppf(q, df1, df2), f3 * stats.f.ppf(q, df2, df1)
    icc3 = _icc("ICC(3,1)", value3, (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1), f3, df1, df2)

    # ICC(2,1): two-way random, absolute agreement; CI with Satterthwaite's degrees of freedom.
    value2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    a = k * value2 / (n * (1 - value2))
    b = 1 + k * value2 * (n - 1) / (n * (1 - value2))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / df2)
    f_low, f_up = stats.f.ppf(q, df1, v), stats.f.ppf(q, v, df1)
    lower2 = n * (msr - f_low * mse) / (f_low * (k * msc + (k * n - k - n) * mse) + n * msr)
    upper2 = n * (f_up * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_up * msr)
    icc2 = _icc("ICC(2,1)", value2, lower2, upper2, f3, df1, df2)

    return Agreement(n, k, int((~complete).sum()), icc1, icc2, icc3)
