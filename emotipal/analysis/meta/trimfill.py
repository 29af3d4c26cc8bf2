"""Duval and Tweedie's trim-and-fill method, as metafor's ``trimfill`` (rma.uni, no moderators).

If small studies with unwelcome results are missing, the funnel plot is lopsided. Trim and fill estimates
how many studies k0 are missing on one side, "trims" the k0 most extreme studies on the other side,
re-estimates the centre from the rest, and repeats until k0 stops changing. It then "fills" in the mirror
images of the trimmed studies about the centre (with the same variances) and refits the model to the
k + k0 studies. The filled estimate is a sensitivity analysis, not a corrected effect: the method assumes
the asymmetry is due to missing studies, which heterogeneity can also produce.

Each iteration: centre the effects on the estimate b from the truncated data, rank |y_i - b| over all k
studies (ties by position, R's ties.method="first"), and sign the ranks. Then

* L0 (default): k0 = (4 S_r - k(k+1)) / (2k - 1), with S_r the sum of the positive signed ranks, and
  se(k0) = 4 sqrt(Var S_r) / (2k - 1);
* R0: k0 = k - (largest rank among the negative centred values) - 1, the length of the rightmost run
  of ranks less one, with se(k0) = sqrt(2 max(0, k0) + 2) and the test of "no missing studies" p = 0.5^(k0+1);

k0 is rounded (half to even, as R's round) and floored at 0. The side on which studies are missing is,
unless given, metafor's rule: fit the same model with the standard error as a moderator (the model of
Egger's test); a negative slope (small studies have smaller effects) means the studies are missing on the
right, otherwise on the left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._stats import FloatArray
from .errors import MetaInputError
from .models import MetaResult, fit

ESTIMATORS: tuple[str, ...] = ("L0", "R0")
SIDES: tuple[str, ...] = ("left", "right")


@dataclass(frozen=True)
class TrimAndFill:
    """The estimated number of missing studies and the model refitted with the filled-in studies."""

    k0: int
    se_k0: float
    side: str  # where the studies are estimated to be missing
    estimator: str
    p_k0: float | None  # R0 only: p-value of the test that no studies are missing on that side
    filled_yi: FloatArray  # the k0 filled-in effects (mirror images)
    filled_vi: FloatArray
    model: MetaResult  # fitted to the k observed plus k0 filled studies (the original model when k0 = 0)
    iterations: int


def asymmetry_side(result: MetaResult) -> str:
    """metafor's rule for the side with missing studies: the sign of the standard-error slope."""
    sei = np.sqrt(result.vi)
    X = np.column_stack([np.ones(result.k), sei])
    if result.k < 3 or np.linalg.matrix_rank(X) < 2:
        raise MetaInputError(
            "the side of the funnel with missing studies cannot be estimated (too few studies or all "
            "standard errors equal); give it explicitly"
        )
    slope = fit(result.yi, result.vi, X, ["intrcpt", "sei"], method=result.method, r2=False).beta[1]
    return "right" if slope < 0 else "left"


def _missing(signed_ranks: FloatArray, k: int, estimator: str) -> tuple[float, float]:
    """(unrounded k0, its standard error) from the signed ranks of the centred effects."""
    if estimator == "R0":
        negative = -signed_ranks[signed_ranks < 0]
        k0 = (k - (float(np.max(negative)) if negative.size else 0.0)) - 1.0
        return k0, math.sqrt(2.0 * max(0.0, k0) + 2.0)
    sr = float(np.sum(signed_ranks[signed_ranks > 0]))
    k0 = (4.0 * sr - k * (k + 1)) / (2 * k - 1)
    var_sr = (
        k * (k + 1) * (2 * k + 1)
        + 10 * k0**3
        + 27 * k0**2
        + 17 * k0
        - 18 * k * k0**2
        - 18 * k * k0
        + 6 * k**2 * k0
    ) / 24.0
    return k0, 4.0 * math.sqrt(max(0.0, var_sr)) / (2 * k - 1)


def trim_and_fill(
    result: MetaResult, side: str | None = None, estimator: str = "L0", maxiter: int = 100
) -> TrimAndFill:
    """Trim and fill for a model without moderators (same tau² estimator and test for every refit)."""
    if result.p != 1:
        raise MetaInputError("trim and fill is only defined for models without moderators")
    if result.k < 2:
        raise MetaInputError("trim and fill needs at least 2 studies")
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r} (use L0 or R0)")
    if side is None:
        side = asymmetry_side(result)
    elif side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")

    def refit(yi: FloatArray, vi: FloatArray) -> MetaResult:
        return fit(yi, vi, method=result.method, level=result.level, test=result.test if len(yi) > 1 else "z")

    # Work on the left side: flip the effects when the studies are missing on the right.
    sign = -1.0 if side == "right" else 1.0
    y = sign * result.yi
    order = np.argsort(y, kind="stable")
    y, v = y[order], result.vi[order]
    k = result.k

    k0, previous, iterations, se_k0 = 0, -1, 0, 0.0
    beta = 0.0
    tolerance = 1e-10 * max(1.0, float(np.max(np.abs(y))))
    while k0 != previous:
        previous = k0
        iterations += 1
        if iterations > maxiter:
            raise MetaInputError("the trim-and-fill algorithm did not converge")
        beta = refit(y[: k - k0], v[: k - k0]).estimate
        centred = y - beta
        # An effect equal to the centre up to rounding has no side: its sign would be floating-point noise
        # (identical effects made the estimate flip between iterations and never converge).
        centred[np.abs(centred) <= tolerance] = 0.0
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        raw, se_k0 = _missing(np.sign(centred) * ranks, k, estimator)
        k0 = max(0, round(raw))
        if k0 >= k:
            raise MetaInputError("trim and fill estimated as many missing studies as there are studies")
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else None
    if k0 == 0:
        empty = np.zeros(0)
        return TrimAndFill(0, se_k0, side, estimator, p_k0, empty, empty, result, iterations)
    # Mirror the k0 most extreme studies about the final centre, back on the original scale.
    filled_yi = sign * (2.0 * beta - y[k - k0 :])
    filled_vi = v[k - k0 :].copy()
    model = refit(np.concatenate([result.yi, filled_yi]), np.concatenate([result.vi, filled_vi]))
    return TrimAndFill(k0, se_k0, side, estimator, p_k0, filled_yi, filled_vi, model, iterations)
