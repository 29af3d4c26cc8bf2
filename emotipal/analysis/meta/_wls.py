"""Weighted least squares without the k x k matrices, and without cancellation in the residual sum.

Meta-analysis formulas are usually written with the residual-forming matrix
P = W - W X (X'W X)^-1 X'W (k x k). Building P costs k² memory (800 MB per matrix at k = 10,000), and
Q = y'P y = y'W y - (y'W X)(X'W X)^-1(X'W y) subtracts two large, nearly equal numbers, so it loses
every digit when the weights are large (variances near 1e-12). Everything the models need from P can be
had from a QR decomposition of the weighted model matrix sqrt(W) X = Q R (k x p):

* the residuals r = y - X b and Q = Σ w_i r_i² (a sum of non-negative terms: no cancellation);
* P y = w * r;
* the hat values h_i = |Q_i|² (the diagonal of sqrt(W) X (X'W X)^-1 X' sqrt(W));
* tr P = Σ w_i - Σ w_i h_i;
* tr P² = Σ w_i² - 2 Σ w_i² h_i + ||Q' W Q||²_F, since P² = W² - 2 W B + B² with B = W X (X'W X)^-1 X'W.

All of it is O(k p²) time and O(k p) memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._stats import FloatArray


@dataclass(frozen=True)
class WeightedFit:
    """The weighted least-squares fit of y on X with weights w, and the traces the estimators need."""

    w: FloatArray
    beta: FloatArray
    resid: FloatArray  # y - X beta
    hat: FloatArray  # diagonal of the hat matrix of the weighted fit
    q_factor: FloatArray  # Q of sqrt(W) X = Q R (k x p)
    r_factor: FloatArray  # R (p x p, upper triangular)

    @property
    def rss(self) -> float:
        """Σ w_i (y_i - x_i'b)², the generalised Q statistic (y'P y) computed term by term."""
        return float(np.sum(self.w * self.resid**2))

    @property
    def py(self) -> FloatArray:
        """P y = W (y - X b)."""
        return self.w * self.resid

    @property
    def trace_p(self) -> float:
        return float(np.sum(self.w) - np.sum(self.w * self.hat))

    @property
    def trace_pp(self) -> float:
        w = self.w
        gram = self.q_factor.T @ (w[:, None] * self.q_factor)
        return float(np.sum(w * w) - 2.0 * np.sum(w * w * self.hat) + np.sum(gram * gram))

    @property
    def xtwx_inv(self) -> FloatArray:
        """(X'W X)^-1 = R^-1 R^-T."""
        r_inv = np.linalg.inv(self.r_factor)
        return np.asarray(r_inv @ r_inv.T, dtype=np.float64)

    @property
    def logdet_xtwx(self) -> float:
        """log det(X'W X) = 2 Σ log |R_jj|."""
        return 2.0 * float(np.sum(np.log(np.abs(np.diag(self.r_factor)))))


def weighted_fit(y: FloatArray, w: FloatArray, X: FloatArray) -> WeightedFit:
    """Fit y = X b by weighted least squares through a QR decomposition of sqrt(W) X."""
    sw = np.sqrt(w)
    q, r = np.linalg.qr(X * sw[:, None])
    diag = np.abs(np.diag(r))
    if diag.size and (not np.all(np.isfinite(diag)) or float(np.min(diag)) <= 1e-13 * float(np.max(diag))):
        raise np.linalg.LinAlgError("the weighted model matrix is (numerically) singular")
    beta = np.linalg.solve(r, q.T @ (sw * y))
    resid = y - X @ beta
    hat = np.sum(q * q, axis=1)
    return WeightedFit(w, beta, resid, hat, q, r)


def hat_values(w: FloatArray, X: FloatArray) -> FloatArray:
    """The diagonal of X (X'W X)^-1 X'W, as metafor's ``hatvalues`` (values within 10 eps of 1 become 1)."""
    q, _ = np.linalg.qr(X * np.sqrt(w)[:, None])
    hat = np.sum(q * q, axis=1)
    hat[hat > 1.0 - 10.0 * math.ulp(1.0)] = 1.0
    return hat
