"""Leave-one-out analysis and case diagnostics, as metafor's ``leave1out`` and ``influence`` (rma.uni).

Each study is left out in turn and the same model (same tau² estimator, same test, same moderators) is
refitted to the other k - 1. From the refits:

* **leave-one-out** (models without moderators): the pooled estimate, its CI and the heterogeneity
  statistics without study i - does any single study carry the conclusion?
* **rstudent**: the externally studentised residual (y_i - x_i'b_(-i)) / sqrt(s²_(-i) (v_i + tau²_(-i)) +
  x_i' V_(-i) x_i), i.e. how far study i lies from what the others predict (s² is the Knapp-Hartung factor,
  1 for z tests); a mean-shift outlier test.
* **dffits**: (x_i'b - x_i'b_(-i)) / sqrt(s²_(-i) h_i (tau²_(-i) + v_i)), the change in study i's fitted
  value in standard-error units.
* **cook.d**: (b - b_(-i))' V^-1 (b - b_(-i)), Cook's distance on all coefficients.
* **cov.r**: det V_(-i) / det V, below 1 when leaving the study out makes the estimates more precise.
* **tau2.del** and **QE.del**: tau² and the QE test without study i.
* **hat**: the leverage h_i (diagonal of X (X'W X)^-1 X'W) and **weight**: the study's weight in percent.
* **dfbetas**: (b - b_(-i)) / sqrt(s²_(-i) diag((X'W_(-i) X)^-1)) with W_(-i) = diag(1/(v + tau²_(-i))) over
  all k studies.

A study is flagged as influential, as metafor marks it with "*", when |dffits| > 3 sqrt(p/(k - p)), the
chi-square(p) distribution function at cook.d exceeds 0.5, h_i > 3p/k, or any |dfbetas| > 1.

Where a refit is impossible (leaving the study out makes a moderator constant, or too few studies remain),
that row holds NaN, as metafor's NA. Memory stays O(k p); the k refits take O(k²) time in all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._stats import FloatArray
from ._wls import hat_values, weighted_fit
from .errors import MetaInputError
from .models import MetaResult, fit


@dataclass(frozen=True)
class LeaveOneOutRow:
    """The model refitted without one study (``left_out`` is its 0-based index)."""

    left_out: int
    estimate: float
    se: float
    z: float  # a t value under Knapp-Hartung
    p: float
    ci_low: float
    ci_high: float
    q: float
    q_p: float
    tau2: float
    i2: float
    h2: float


@dataclass(frozen=True)
class CaseDiagnostics:
    """metafor's ``influence(res)`` for one study."""

    index: int
    rstudent: float
    dffits: float
    cook_d: float
    cov_r: float
    tau2_del: float
    qe_del: float
    hat: float
    weight: float
    dfbetas: tuple[float, ...]
    influential: bool


def _refit(result: MetaResult, i: int) -> MetaResult | None:
    """The same model without study i, or None when it cannot be fitted."""
    keep = np.arange(result.k) != i
    try:
        return fit(
            result.yi[keep],
            result.vi[keep],
            result.X[keep],
            result.names,
            method=result.method,
            level=result.level,
            intercept=result.intercept,
            test=result.test,
            r2=False,
        )
    except (MetaInputError, np.linalg.LinAlgError):
        return None


def leave_one_out_fits(result: MetaResult) -> list[MetaResult | None]:
    """The model refitted without each study in turn (None where that cannot be fitted).

    These k fits are the cost of both :func:`leave_one_out` and :func:`influence` (O(k²) in all); compute
    them once and pass them to both when both are wanted.
    """
    return [_refit(result, i) for i in range(result.k)]


def _check_refits(
    result: MetaResult, fits: Sequence[MetaResult | None] | None
) -> Sequence[MetaResult | None]:
    if fits is None:
        return leave_one_out_fits(result)
    if len(fits) != result.k:
        raise ValueError("one refit per study is needed")
    return fits


def leave_one_out(
    result: MetaResult, fits: Sequence[MetaResult | None] | None = None
) -> list[LeaveOneOutRow]:
    """The pooled estimate and heterogeneity with each study left out in turn (no moderators).

    ``fits`` are the :func:`leave_one_out_fits` of ``result`` if already computed (e.g. for :func:`influence` too).
    """
    if result.p != 1:
        raise MetaInputError("the leave-one-out analysis is for models without moderators")
    if result.k < 2:
        raise MetaInputError("the leave-one-out analysis needs at least 2 studies")
    nan = math.nan
    rows = []
    for i, res in enumerate(_check_refits(result, fits)):
        if res is None:
            rows.append(LeaveOneOutRow(i, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan))
            continue
        rows.append(
            LeaveOneOutRow(
                i,
                res.estimate,
                res.se,
                res.z,
                res.pval,
                res.ci_low,
                res.ci_high,
                res.qe,
                res.qe_p if res.qe_df > 0 else nan,
                res.tau2,
                res.i2,
                res.h2,
            )
        )
    return rows


def influence(result: MetaResult, fits: Sequence[MetaResult | None] | None = None) -> list[CaseDiagnostics]:
    """Case diagnostics for every study of a fitted model (with or without moderators).

    ``fits`` are the :func:`leave_one_out_fits` of ``result`` if already computed (e.g. for :func:`leave_one_out` too).
    """
    k, p = result.k, result.p
    if k < 2:
        raise MetaInputError("influence diagnostics need at least 2 studies")
    X, y, v = result.X, result.yi, result.vi
    fitted = X @ result.beta
    hat = hat_values(result.weights, X)
    weight = result.weights_percent
    vb_inv = np.linalg.inv(result.vb)
    det_vb = float(np.linalg.det(result.vb))
    dffits_cut = 3.0 * math.sqrt(p / (k - p)) if k > p else math.inf
    out = []
    for i, res in enumerate(_check_refits(result, fits)):
        if res is None:
            nan = math.nan
            out.append(
                CaseDiagnostics(
                    i,
                    nan,
                    nan,
                    nan,
                    nan,
                    nan,
                    nan,
                    float(hat[i]),
                    float(weight[i]),
                    tuple([nan] * p),
                    bool(hat[i] > 3.0 * p / k),
                )
            )
            continue
        xi = X[i]
        del_pred = float(xi @ res.beta)
        var_del_pred = float(xi @ res.vb @ xi)
        s2w = res.s2w
        resid = float(y[i]) - del_pred
        if abs(resid) < 100.0 * np.finfo(float).eps:
            resid = 0.0
        rstudent = _div(resid, math.sqrt(v[i] * s2w + var_del_pred + res.tau2 * s2w))
        dffits = _div(float(fitted[i]) - del_pred, math.sqrt(s2w * hat[i] * (res.tau2 + v[i])))
        dfb = result.beta - res.beta
        cook = float(dfb @ vb_inv @ dfb)
        cov_r = float(np.linalg.det(res.vb)) / det_vb if det_vb > 0 else math.nan
        vb_del = weighted_fit(y, 1.0 / (v + res.tau2), X).xtwx_inv
        dfbetas = tuple(
            _div(float(d), math.sqrt(s2w * float(s))) for d, s in zip(dfb, np.diag(vb_del), strict=True)
        )
        flagged = (
            abs(dffits) > dffits_cut
            or float(stats.chi2.cdf(cook, p)) > 0.5
            or hat[i] > 3.0 * p / k
            or any(abs(d) > 1.0 for d in dfbetas)
        )
        out.append(
            CaseDiagnostics(
                i,
                rstudent,
                dffits,
                cook,
                cov_r,
                res.tau2,
                res.qe,
                float(hat[i]),
                float(weight[i]),
                dfbetas,
                bool(flagged),
            )
        )
    return out


def _div(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(b) else math.nan


def as_arrays(diagnostics: list[CaseDiagnostics]) -> dict[str, FloatArray]:
    """The diagnostics as columns (rstudent, dffits, cook_d, ...), e.g. for a table or a plot."""
    names = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight")
    return {n: np.array([getattr(d, n) for d in diagnostics], dtype=float) for n in names}
