"""A simple mediation analysis: engagement -> mechanism -> improvement, with a percentile bootstrap CI.

Three least-squares regressions across clients (Baron & Kenny's paths; Hayes 2018 for the bootstrap):

* a: mechanism on engagement,
* b and c': improvement on mechanism and engagement together,
* c: improvement on engagement alone (the total effect; c = c' + a*b exactly in OLS).

The indirect effect a*b has no normal sampling distribution, so its CI comes from resampling clients with
replacement (percentile bootstrap, seeded so the report is reproducible). Resamples in which engagement or
the mechanism does not vary cannot be fitted and are left out (their number is reported).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 2026
MIN_CLIENTS = 8


def _paths(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """a, b, c' and c for each row of x, m, y (arrays of shape (resamples, n)), from centred sums."""
    xc = x - x.mean(axis=-1, keepdims=True)
    mc = m - m.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    sxx, smm = (xc * xc).sum(-1), (mc * mc).sum(-1)
    sxm, sxy, smy = (xc * mc).sum(-1), (xc * yc).sum(-1), (mc * yc).sum(-1)
    det = sxx * smm - sxm * sxm
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sxm / sxx
        b = (sxx * smy - sxm * sxy) / det
        c_prime = (smm * sxy - sxm * smy) / det
        c = sxy / sxx
    bad = (sxx <= 1e-12) | (np.abs(det) <= 1e-12 * np.maximum(sxx * smm, 1e-300))
    return tuple(np.where(bad, np.nan, v) for v in (a, b, c_prime, c))


def _ols(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients, standard errors and two-sided t-test p-values of an OLS fit."""
    n, p = design.shape
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    sigma2 = float(resid @ resid) / (n - p)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    se = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        pvals = 2.0 * stats.t.sf(np.abs(coef / se), n - p)
    return coef, se, pvals


def mediation(
    x: list[float],
    m: list[float],
    y: list[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> dict[str, Any]:
    """The paths, the indirect effect a*b and its percentile bootstrap CI; JSON-ready."""
    n = len(x)
    if n < MIN_CLIENTS:
        return {"error": f"too few clients with engagement, mechanism and improvement ({n} < {MIN_CLIENTS})"}
    xa, ma, ya = (np.asarray(v, dtype=float) for v in (x, m, y))
    a, b, c_prime, c = (float(v) for v in _paths(xa, ma, ya))
    if any(math.isnan(v) for v in (a, b, c_prime, c)):
        return {"error": "engagement and the mechanism must both vary (and not be collinear)"}
    ones = np.ones(n)
    coef_a, se_a, p_a = _ols(np.column_stack([ones, xa]), ma)
    coef_b, se_b, p_b = _ols(np.column_stack([ones, xa, ma]), ya)
    coef_c, se_c, p_c = _ols(np.column_stack([ones, xa]), ya)

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    ba, bb, _, _ = _paths(xa[idx], ma[idx], ya[idx])
    boot = ba * bb
    ok = boot[np.isfinite(boot)]
    tail = 100.0 * (1.0 - level) / 2.0
    ci_low, ci_high = (float(v) for v in np.percentile(ok, [tail, 100.0 - tail])) if ok.size else (None, None)
    sd_x, sd_y = float(np.std(xa, ddof=1)), float(np.std(ya, ddof=1))

    def path(coef: float, se: float, p: float) -> dict[str, float | None]:
        return {"estimate": _num(coef), "se": _num(se), "p": _num(p)}

    return {
        "n": n,
        "a": path(coef_a[1], se_a[1], p_a[1]),
        "b": path(coef_b[2], se_b[2], p_b[2]),
        "c_prime": path(coef_b[1], se_b[1], p_b[1]),
        "c": path(coef_c[1], se_c[1], p_c[1]),
        "indirect": {
            "estimate": _num(a * b),
            "ci_low": _num(ci_low),
            "ci_high": _num(ci_high),
            "level": level,
            "standardised": _num(a * b * sd_x / sd_y) if sd_y > 0 else None,
        },
        "bootstrap": {
            "method": "percentile",
            "resamples": resamples,
            "seed": seed,
            "failed": int(resamples - ok.size),
        },
    }


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None
