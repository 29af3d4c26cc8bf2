"""The REML fit at scale (issue 15): the O(k p²) formulas equal the dense k x k reference, and a fit of
k = 10,000 studies stays far below the memory and time a k x k matrix would need (800 MB per matrix).

The dense reference is metafor's own algorithm written with P = W - W X (X'W X)^-1 X'W (tau2.p_matrix):
Fisher scoring from Hedges' estimate with the step (y'PPy - tr P) / tr(PP), and the restricted
log-likelihood -1/2 (Σ log(v_i + tau²) + log det X'W X + y'P y).
"""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np
import pytest

from emotipal.analysis.meta import fit, tau2_ci
from emotipal.analysis.meta.tau2 import (
    REML_THRESHOLD,
    _reml_loglik,
    _reml_loglik_grid,
    p_matrix,
    tau2_he,
)


def _studies(seed: int, k: int, p: int, tau2: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.2, k)
    X = np.column_stack([np.ones(k)] + [rng.standard_normal(k) for _ in range(p - 1)])
    beta = np.linspace(0.3, -0.2, p)
    yi = X @ beta + rng.normal(0.0, np.sqrt(vi + tau2))
    return yi, vi, X


def _dense_reml(yi: np.ndarray, vi: np.ndarray, X: np.ndarray) -> tuple[float, float]:
    """metafor's Fisher scoring with the k x k matrix P; returns (tau², its SE)."""
    tau2 = max(0.0, tau2_he(yi, vi, X))
    change = REML_THRESHOLD + 1.0
    while change > REML_THRESHOLD:
        old = tau2
        P = p_matrix(1.0 / (vi + tau2), X)
        py = P @ yi
        adj = (float(py @ py) - float(np.trace(P))) / float(np.sum(P * P))
        while tau2 + adj < 0.0:
            adj /= 2.0
        tau2 += adj
        change = abs(old - tau2)
    P = p_matrix(1.0 / (vi + tau2), X)
    return tau2, math.sqrt(2.0 / float(np.sum(P * P)))


def _dense_loglik(tau2: float, yi: np.ndarray, vi: np.ndarray, X: np.ndarray) -> float:
    w = 1.0 / (vi + tau2)
    P = p_matrix(w, X)
    _, logdet = np.linalg.slogdet(X.T @ (w[:, None] * X))
    return -0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * logdet - 0.5 * float(yi @ P @ yi)


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_reml_equals_the_dense_reference(seed: int, p: int) -> None:
    yi, vi, X = _studies(seed, 60, p)
    res = fit(yi, vi, X, method="REML")
    tau2, se = _dense_reml(yi, vi, X)
    assert res.tau2 == pytest.approx(tau2, rel=1e-9, abs=1e-12)
    assert res.se_tau2 == pytest.approx(se, rel=1e-9)
    w = 1.0 / (vi + res.tau2)
    vb = np.linalg.inv(X.T @ (w[:, None] * X))
    np.testing.assert_allclose(res.beta, vb @ (X.T @ (w * yi)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.vb, vb, rtol=1e-10)
    P0 = p_matrix(1.0 / vi, X)
    assert res.qe == pytest.approx(float(yi @ P0 @ yi), rel=1e-9)
    assert res.s2 == pytest.approx((len(yi) - p) / float(np.trace(P0)), rel=1e-10)


@pytest.mark.parametrize("p", [1, 3])
def test_likelihood_grid_equals_the_dense_likelihood(p: int) -> None:
    yi, vi, X = _studies(11, 40, p)
    grid = np.concatenate([[0.0], np.geomspace(1e-8, 100.0, 37)])
    fast = _reml_loglik_grid(grid, yi, vi, X)
    dense = np.array([_dense_loglik(float(t), yi, vi, X) for t in grid])
    one_by_one = np.array([_reml_loglik(float(t), yi, vi, X) for t in grid])
    np.testing.assert_allclose(fast, dense, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fast, one_by_one, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("p", [1, 3])
def test_k_10000_fit_stays_linear_in_memory_and_fast(p: int) -> None:
    # One k x k float matrix at k = 10,000 is 800 MB, and metafor's P %*% P is O(k³); the fit must need
    # neither (measured: about 5-20 MB and 0.1 s; bench/bench_meta.py times it against metafor).
    yi, vi, X = _studies(15, 10_000, p)
    tracemalloc.start()
    began = time.perf_counter()
    try:
        res = fit(yi, vi, X, method="REML")
        _ = res.coefficients, res.qe_p, res.predict(X[0])
        ci = tau2_ci(res)
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50e6, peak
    assert elapsed < 20.0, elapsed  # under tracemalloc on a loaded 2-core machine; ~0.3 s without
    assert abs(res.tau2 - 0.05) < 0.005
    assert ci.tau2_low < res.tau2 < ci.tau2_high


def test_shared_leave_one_out_fits_give_the_same_tables() -> None:
    # The report computes the k refits once for both tables (they are the O(k²) part of --influence).
    from emotipal.analysis.meta import influence, leave_one_out, leave_one_out_fits

    yi, vi, _ = _studies(5, 25, 1)
    res = fit(yi, vi, method="REML")
    fits = leave_one_out_fits(res)
    assert leave_one_out(res, fits) == leave_one_out(res)
    shared, alone = influence(res, fits), influence(res)
    assert [d.index for d in shared] == [d.index for d in alone]
    for a, b in zip(shared, alone, strict=True):
        np.testing.assert_array_equal(
            [a.rstudent, a.dffits, a.cook_d, a.cov_r, a.tau2_del, a.qe_del, *a.dfbetas],
            [b.rstudent, b.dffits, b.cook_d, b.cov_r, b.tau2_del, b.qe_del, *b.dfbetas],
        )
    with pytest.raises(ValueError):
        influence(res, fits[:-1])
