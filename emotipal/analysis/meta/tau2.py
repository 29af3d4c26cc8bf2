"""Estimators of the between-study variance tau², following metafor's ``rma.uni``.

All estimators work for a general moderator matrix ``X`` (k x p), so the same code serves the
random-effects model (``X`` = a column of ones) and mixed-effects meta-regression (residual tau²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._stats import FloatArray
from ._wls import weighted_fit
from .errors import ConvergenceError

# metafor's defaults: Fisher scoring stops when |change in tau²| < 1e-5, after at most 100 iterations.
REML_THRESHOLD = 1e-5
REML_MAXITER = 100
# metafor compares the REML log-likelihood at the solution with the one at tau² = 0 using this tolerance.
LL0_TOL = float(np.finfo(float).eps ** 0.25)


@dataclass(frozen=True)
class Tau2Estimate:
    """A tau² estimate with its standard error (None where metafor reports none) and iteration count."""

    tau2: float
    se: float | None
    iterations: int = 0


def p_matrix(w: FloatArray, X: FloatArray) -> FloatArray:
    """Residual-forming matrix P = W - W X (X'W X)^-1 X'W for weights ``w`` (W = diag(w)).

    This is the textbook form, k x k: it is kept as a reference for tests on small data. The estimators
    below never build it; they use the equivalent sums of :mod:`._wls`, which need O(k) memory and do not
    lose digits to cancellation.
    """
    wx = X * w[:, None]
    xtwx = X.T @ wx
    return np.diag(w) - wx @ np.linalg.solve(xtwx, wx.T)


def generalized_q(tau2: float, yi: FloatArray, vi: FloatArray, X: FloatArray) -> float:
    """Generalised Q statistic Σ w_i (y_i - x_i'b)² with weights 1/(vi + tau²) (= y' P(tau²) y); Q(0) is
    Cochran's Q (QE)."""
    return weighted_fit(yi, 1.0 / (vi + tau2), X).rss


def tau2_dl(yi: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    """DerSimonian-Laird moment estimator (QE - (k-p)) / tr(P), truncated at 0.

    Its standard error is metafor's: sqrt((2(k-p) + 4 tau² tr P + 2 tau⁴ tr P²) / (tr P)²).
    """
    k, p = X.shape
    wf = weighted_fit(yi, 1.0 / vi, X)
    trP = wf.trace_p
    raw = (wf.rss - (k - p)) / trP
    t = max(0.0, raw)
    se = math.sqrt((2.0 * (k - p) + 4.0 * t * trP + 2.0 * t * t * wf.trace_pp) / trP**2)
    return Tau2Estimate(t, se)


def tau2_he(yi: FloatArray, vi: FloatArray, X: FloatArray) -> float:
    """Hedges' (unweighted moment) estimator, untruncated; metafor uses it to start REML.

    (RSS of the unweighted fit - Σ (1 - h_i) v_i) / (k - p), with h_i the unweighted hat values (the
    diagonal of I - X (X'X)^-1 X' is 1 - h_i).
    """
    k, p = X.shape
    ols = weighted_fit(yi, np.ones(k), X)
    return (ols.rss - float(np.sum((1.0 - ols.hat) * vi))) / (k - p)


def tau2_pm(yi: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    """Paule-Mandel: the tau² at which the generalised Q equals its expectation k - p (0 if Q(0) < k-p).

    Q(tau²) decreases monotonically in tau², so the root is bracketed and found with Brent's method; we
    solve to 1e-12 rather than uniroot's 1.2e-4 because a tighter root is simply more accurate.
    """
    k, p = X.shape
    target = float(k - p)
    if generalized_q(0.0, yi, vi, X) < target:
        return Tau2Estimate(0.0, _se_pm(0.0, vi, k, p))
    upper = max(100.0, 10.0 * float(np.var(yi)))
    for _ in range(60):  # expand until Q(upper) falls below the target
        if generalized_q(upper, yi, vi, X) <= target:
            break
        upper *= 10.0
    else:  # pragma: no cover - needs absurd data
        raise ConvergenceError("Paule-Mandel estimator: could not bracket tau²")
    root = optimize.brentq(lambda t: generalized_q(t, yi, vi, X) - target, 0.0, upper, xtol=1e-12, rtol=1e-14)
    t = float(root)
    return Tau2Estimate(t, _se_pm(t, vi, k, p))


def _se_pm(t: float, vi: FloatArray, k: int, p: int) -> float:
    # metafor's (simplified) standard error for PM-type estimators: sqrt(2 k² / (k-p) / (Σw)²).
    sw = float(np.sum(1.0 / (vi + t)))
    return math.sqrt(2.0 * k * k / (k - p) / sw**2)


def _reml_loglik(tau2: float, yi: FloatArray, vi: FloatArray, X: FloatArray) -> float:
    """Restricted log-likelihood up to a constant (for metafor's tau² = 0 check and the direct fallback)."""
    wf = weighted_fit(yi, 1.0 / (vi + tau2), X)
    return -0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * wf.logdet_xtwx - 0.5 * wf.rss


def _reml_loglik_grid(grid: FloatArray, yi: FloatArray, vi: FloatArray, X: FloatArray) -> FloatArray:
    """_reml_loglik at many tau² values at once. Only used to find the region of the maximum; the
    refinement uses _reml_loglik.

    For a block of g grid values the weights form a g x k matrix W, and every sum over the studies is one
    matrix product with it: X'W X for all g at once is W @ [x_i x_i'] (k x p² products, built once),
    X'W y is W @ (X * y). The residuals are then formed explicitly, so the RSS is a sum of non-negative
    terms as in weighted_fit. Memory stays at a few g x k blocks (about 4 MB each), whatever k is.
    """
    k, p = X.shape
    out = np.empty(grid.shape[0])
    outer = (X[:, :, None] * X[:, None, :]).reshape(k, p * p)  # x_i x_i', one row per study
    xy = X * yi[:, None]
    block = max(1, min(100, 500_000 // k))  # at most ~500,000 weights in memory at a time
    for start in range(0, grid.shape[0], block):
        t = grid[start : start + block]
        total = vi[None, :] + t[:, None]  # (g, k)
        w = 1.0 / total
        xtwx = (w @ outer).reshape(-1, p, p)
        xtwy = w @ xy
        beta = np.linalg.solve(xtwx, xtwy[:, :, None])[:, :, 0]
        resid = yi[None, :] - beta @ X.T
        rss = np.einsum("gk,gk->g", w, resid * resid)
        _, logdet = np.linalg.slogdet(xtwx)
        out[start : start + block] = -0.5 * np.sum(np.log(total), axis=1) - 0.5 * logdet - 0.5 * rss
    return out


def tau2_reml(
    yi: FloatArray,
    vi: FloatArray,
    X: FloatArray,
    threshold: float = REML_THRESHOLD,
    maxiter: int = REML_MAXITER,
) -> Tau2Estimate:
    """Restricted maximum likelihood by Fisher scoring, exactly as metafor iterates it.

    Start at max(0, Hedges' estimate); step ``adj = (y'PPy - tr P) / tr(PP)`` (score over information),
    halving the step while it would make tau² negative; stop when the step changes tau² by less than
    ``threshold``. Copying metafor's start, step and stopping rule (rather than solving more tightly)
    reproduces its printed digits. Afterwards, like metafor, tau² = 0 is taken if it has a higher restricted
    likelihood (Fisher scoring can stall at a local maximum). A direct search of the whole range then makes
    sure the answer is the global maximum (metafor does not; see the comment below). SE = sqrt(2 / tr(PP))
    from the information.

    Fisher scoring can oscillate and diverge (e.g. one very precise study among imprecise ones); metafor
    then stops with an error. We instead maximise the restricted likelihood directly, which gives the
    REML estimate the iteration was looking for (``iterations`` is then reported as 0).
    """
    tau2 = max(0.0, tau2_he(yi, vi, X))
    change = threshold + 1.0
    iterations = 0
    while change > threshold:
        iterations += 1
        if iterations > maxiter:
            tau2, iterations = _reml_direct(yi, vi, X), 0
            break
        old = tau2
        wf = weighted_fit(yi, 1.0 / (vi + tau2), X)
        py = wf.py
        adj = (float(py @ py) - wf.trace_p) / wf.trace_pp
        if math.isnan(adj):
            adj = 0.0
        if tau2 + adj < 0.0:
            # metafor halves the step until tau² stays >= 0; from tau² = 0 that ends at a zero step.
            if tau2 <= 0.0:
                adj = 0.0
            while tau2 + adj < 0.0:
                adj /= 2.0
        tau2 = tau2 + adj
        change = abs(old - tau2)
    if iterations:
        # Fisher scoring climbs to the nearest maximum; the restricted likelihood can have two (one at or
        # near 0 and one inside), and near a steep boundary the 1e-5 stopping rule can stop short. The REML
        # estimate is the global maximum, so compare with a direct search and take it when it is better by
        # more than metafor's own likelihood tolerance (so metafor's digits stay where both agree).
        direct = _reml_direct(yi, vi, X)
        if _reml_loglik(direct, yi, vi, X) - _reml_loglik(tau2, yi, vi, X) > LL0_TOL:
            tau2, iterations = direct, 0
    if tau2 > threshold and _reml_loglik(0.0, yi, vi, X) - _reml_loglik(tau2, yi, vi, X) > LL0_TOL:
        tau2 = 0.0
    tau2 = max(0.0, tau2)
    return Tau2Estimate(tau2, math.sqrt(2.0 / weighted_fit(yi, 1.0 / (vi + tau2), X).trace_pp), iterations)


def _reml_direct(yi: FloatArray, vi: FloatArray, X: FloatArray) -> float:
    """Maximise the restricted log-likelihood over tau² >= 0 without derivatives.

    A log-spaced grid up to a generous bound (the likelihood falls off for tau² far beyond the spread of
    the effects) locates the best region; Brent's bounded method then refines it to ~1e-10.
    """
    spread = float(np.var(yi)) + float(np.max(vi))
    upper = max(100.0, 100.0 * spread)
    grid = np.concatenate([[0.0], np.geomspace(1e-8, upper, 400)])
    values = _reml_loglik_grid(grid, yi, vi, X)
    best = int(np.argmax(values))
    lo = float(grid[max(0, best - 1)])
    hi = float(grid[min(len(grid) - 1, best + 1)])
    found = optimize.minimize_scalar(
        lambda t: -_reml_loglik(float(t), yi, vi, X),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-12},
    )
    candidate = float(found.x)
    if _reml_loglik(candidate, yi, vi, X) < values[best]:  # pragma: no cover - Brent is at least as good
        candidate = float(grid[best])
    if not math.isfinite(candidate):  # pragma: no cover
        raise ConvergenceError("REML estimation failed; try --method DL or PM")
    return candidate


# Variances whose median lies outside this range are brought into it by a power of ten before estimating.
SCALE_RANGE = (1e-4, 1e4)


def unit_scale(vi: FloatArray) -> float:
    """A power of ten c² such that vi / c² has a median near 1 (1.0 for data already in SCALE_RANGE).

    The REML stopping rule (a change below 1e-5), metafor's likelihood tolerance and the search ranges are
    absolute numbers; on effects whose variances are around 1e-12 they would stop REML at its start value.
    tau² scales exactly with the variances (y -> c y, v -> c² v gives tau² -> c² tau²), so estimating on
    rescaled data and scaling back gives the same answer as on well-scaled data.
    """
    median = float(np.median(vi))
    if SCALE_RANGE[0] <= median <= SCALE_RANGE[1]:
        return 1.0
    return float(10.0 ** (2 * round(math.log10(median) / 2)))


def _estimate_unscaled(method: str, yi: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    if method == "DL":
        return tau2_dl(yi, vi, X)
    if method == "REML":
        return tau2_reml(yi, vi, X)
    if method == "PM":
        return tau2_pm(yi, vi, X)
    raise ValueError(f"unknown method {method!r} (use EE, DL, REML or PM)")


def estimate_tau2(method: str, yi: FloatArray, vi: FloatArray, X: FloatArray) -> Tau2Estimate:
    """Dispatch on the method name used by the models and the command line."""
    if method == "EE":
        return Tau2Estimate(0.0, None)
    c2 = unit_scale(vi)
    if c2 == 1.0:
        return _estimate_unscaled(method, yi, vi, X)
    est = _estimate_unscaled(method, yi / math.sqrt(c2), vi / c2, X)
    return Tau2Estimate(est.tau2 * c2, None if est.se is None else est.se * c2, est.iterations)
