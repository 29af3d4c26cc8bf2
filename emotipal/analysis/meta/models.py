"""Equal-effects, random-effects and mixed-effects (meta-regression) models, as metafor's ``rma.uni``.

One function, :func:`fit`, covers all of them: the model is ``y = X beta + u + e`` with ``e ~ N(0, vi)``
and ``u ~ N(0, tau²)`` (tau² = 0 for the equal-effects model). Without moderators ``X`` is a column of
ones and ``beta`` is the pooled effect. Tests are Wald z tests and CIs are normal (metafor's default
``test="z"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._stats import FloatArray, as_float_array, chi2_p, two_sided_p, z_crit
from .errors import MetaInputError
from .tau2 import estimate_tau2, p_matrix

METHODS: tuple[str, ...] = ("REML", "DL", "PM", "EE")
METHOD_LABELS = {
    "EE": "Equal-effects model",
    "DL": "Random-effects model (tau² by DerSimonian-Laird)",
    "REML": "Random-effects model (tau² by REML)",
    "PM": "Random-effects model (tau² by Paule-Mandel)",
}


@dataclass(frozen=True)
class Coefficient:
    """One model coefficient with its Wald z test and confidence interval."""

    name: str
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class WaldTest:
    """A chi-square Wald test of several coefficients (metafor's QM)."""

    q: float
    df: int
    p: float


@dataclass(frozen=True)
class Prediction:
    """Predicted (average) effect with its CI and prediction interval for a new study's true effect."""

    pred: float
    se: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


@dataclass(frozen=True)
class MetaResult:
    """A fitted model. Array fields are per-study (``yi``, ``vi``, rows of ``X``) or per-coefficient."""

    method: str
    yi: FloatArray
    vi: FloatArray
    X: FloatArray
    names: tuple[str, ...]
    beta: FloatArray
    vb: FloatArray
    tau2: float
    se_tau2: float | None
    tau2_iterations: int
    qe: float
    qe_df: int
    qe_p: float
    i2: float
    h2: float
    s2: float
    qm: WaldTest
    btt: tuple[int, ...]
    r2: float | None
    level: float
    intercept: bool

    @property
    def k(self) -> int:
        return int(self.yi.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    @property
    def crit(self) -> float:
        return z_crit(self.level)

    @property
    def se_beta(self) -> FloatArray:
        return np.sqrt(np.diag(self.vb))

    @property
    def coefficients(self) -> list[Coefficient]:
        se = self.se_beta
        out = []
        for j, name in enumerate(self.names):
            b, s = float(self.beta[j]), float(se[j])
            z = b / s
            out.append(Coefficient(name, b, s, z, two_sided_p(z), b - self.crit * s, b + self.crit * s))
        return out

    # The pooled effect of a model without moderators is its only coefficient.
    @property
    def estimate(self) -> float:
        return float(self.beta[0])

    @property
    def se(self) -> float:
        return float(self.se_beta[0])

    @property
    def z(self) -> float:
        return self.estimate / self.se

    @property
    def pval(self) -> float:
        return two_sided_p(self.z)

    @property
    def ci_low(self) -> float:
        return self.estimate - self.crit * self.se

    @property
    def ci_high(self) -> float:
        return self.estimate + self.crit * self.se

    @property
    def weights(self) -> FloatArray:
        """Inverse-variance weights 1/(vi + tau²) used to fit the model."""
        return 1.0 / (self.vi + self.tau2)

    @property
    def weights_percent(self) -> FloatArray:
        w = self.weights
        return 100.0 * w / float(np.sum(w))

    def wald_test(self, indices: Sequence[int]) -> WaldTest:
        """QM for any subset of coefficients, e.g. the dummies of one factor in a larger model."""
        idx = list(indices)
        b = self.beta[idx]
        q = float(b @ np.linalg.solve(self.vb[np.ix_(idx, idx)], b))
        return WaldTest(q, len(idx), chi2_p(q, len(idx)))

    def predict(self, x: ArrayLike | None = None) -> Prediction:
        """Prediction at moderator row ``x`` (default: the intercept-only model's pooled effect).

        The prediction interval is metafor's: pred ± z_crit * sqrt(se² + tau²); with tau² = 0 (equal-effects
        model) it coincides with the CI.
        """
        xv = np.ones(1) if x is None else np.asarray(x, dtype=float)
        if xv.shape != (self.p,):
            raise ValueError(f"x needs {self.p} values (one per coefficient)")
        pred = float(xv @ self.beta)
        se = math.sqrt(float(xv @ self.vb @ xv))
        half_ci = self.crit * se
        half_pi = self.crit * math.sqrt(se * se + self.tau2)
        return Prediction(pred, se, pred - half_ci, pred + half_ci, pred - half_pi, pred + half_pi)


def _design(k: int, X: ArrayLike | None, names: Sequence[str] | None) -> tuple[FloatArray, tuple[str, ...]]:
    if X is None:
        return np.ones((k, 1)), ("intrcpt",)
    mat = np.asarray(X, dtype=float)
    if mat.ndim == 1:
        mat = mat[:, None]
    if mat.shape[0] != k:
        raise ValueError("X must have one row per study")
    if not np.all(np.isfinite(mat)):
        raise MetaInputError("moderator values must be finite numbers (drop rows with missing values first)")
    labels = tuple(names) if names is not None else tuple(f"x{j}" for j in range(mat.shape[1]))
    if len(labels) != mat.shape[1]:
        raise ValueError("one name per column of X is needed")
    return mat, labels


def _heterogeneity(
    method: str, tau2: float, yi: FloatArray, vi: FloatArray, X: FloatArray
) -> tuple[float, float, float, float, float]:
    """QE with its p-value, I², H² and the 'typical' sampling variance s², exactly as metafor.

    s² = (k-p)/tr(P) with P from the weights 1/vi; for a random/mixed-effects model I² = tau²/(tau² + s²)
    and H² = 1 + tau²/s², so I² is *not* (Q - df)/Q unless tau² is the DL estimate. For the equal-effects
    model I² = max(0, (QE - df)/QE) and H² = QE/df.
    """
    k, p = X.shape
    if k <= p:  # saturated model: nothing left to test (metafor's convention)
        return 0.0, 1.0, 0.0, 1.0, 0.0
    P = p_matrix(1.0 / vi, X)
    qe = max(0.0, float(yi @ P @ yi))
    df = k - p
    s2 = df / float(np.trace(P))
    if method == "EE":
        i2 = max(0.0, 100.0 * (qe - df) / qe) if qe > 0 else 0.0
        h2 = qe / df
    else:
        i2 = 100.0 * tau2 / (s2 + tau2)
        h2 = 1.0 + tau2 / s2
    return qe, chi2_p(qe, df), i2, h2, s2


def _r2(method: str, yi: FloatArray, vi: FloatArray, X: FloatArray, tau2: float) -> float:
    """Pseudo R² (percent): share of tau² accounted for by the moderators, as metafor computes it.

    Random/mixed: max(0, (tau²_RE - tau²_ME) / tau²_RE) with tau²_RE from the model without moderators
    (same estimator). Equal-effects: the adjusted R² of the weighted least-squares regression.
    """
    k, p = X.shape
    if method == "EE":
        w = 1.0 / vi
        wx = X * w[:, None]
        beta = np.linalg.solve(X.T @ wx, wx.T @ yi)
        rss = float(np.sum(w * (yi - X @ beta) ** 2))
        ybar = float(np.sum(w * yi) / np.sum(w))
        tss = float(np.sum(w * (yi - ybar) ** 2))
        if tss <= 0 or k <= p:
            return 0.0
        adj = 1.0 - (rss / tss) * (k - 1) / (k - p)
        return max(0.0, 100.0 * adj)
    tau2_re = estimate_tau2(method, yi, vi, np.ones((k, 1))).tau2
    if tau2_re <= 0:
        return 0.0
    return max(0.0, 100.0 * (tau2_re - tau2) / tau2_re)


def fit(
    yi: ArrayLike,
    vi: ArrayLike,
    X: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    method: str = "REML",
    btt: Sequence[int] | None = None,
    level: float = 0.95,
    intercept: bool = True,
) -> MetaResult:
    """Fit an equal-, random- or mixed-effects model.

    ``X`` is the full model matrix (include the column of ones yourself; ``intercept`` says whether its
    first column is that intercept, which decides the default coefficients tested by QM - all but the
    intercept, or all of them - and whether a pseudo R² is reported). ``method`` is one of EE, DL, REML, PM.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (use one of {', '.join(METHODS)})")
    y = as_float_array(yi, "yi")
    v = as_float_array(vi, "vi")
    if y.shape != v.shape:
        raise ValueError("yi and vi must have the same length")
    k = int(y.shape[0])
    if k == 0:
        raise MetaInputError("no studies to analyse")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise MetaInputError("effects and variances must be finite numbers")
    if np.any(v <= 0):
        raise MetaInputError("sampling variances must be positive")
    mat, labels = _design(k, X, names)
    p = mat.shape[1]
    if np.linalg.matrix_rank(mat) < p:
        raise MetaInputError("the moderators are constant or collinear (model matrix not of full rank)")
    if k < p or (method != "EE" and k == p and k > 1):
        raise MetaInputError(f"{k} studies are too few to estimate {p} coefficients and tau²")

    if k == 1:
        # A single study is its own estimate; there is no information about tau² (metafor sets it to 0).
        est_tau2, se_tau2, iters = 0.0, None, 0
    else:
        est = estimate_tau2(method, y, v, mat)
        est_tau2, se_tau2, iters = est.tau2, est.se, est.iterations

    w = 1.0 / (v + est_tau2)
    wx = mat * w[:, None]
    vb = np.asarray(np.linalg.inv(mat.T @ wx), dtype=np.float64)
    beta = vb @ (wx.T @ y)

    qe, qe_p, i2, h2, s2 = _heterogeneity(method, est_tau2, y, v, mat)
    if btt is None:
        btt = tuple(range(1, p)) if (intercept and p > 1) else tuple(range(p))
    tested = tuple(int(j) for j in btt)
    b = beta[list(tested)]
    qm_q = float(b @ np.linalg.solve(vb[np.ix_(tested, tested)], b))
    qm = WaldTest(qm_q, len(tested), chi2_p(qm_q, len(tested)))
    r2 = _r2(method, y, v, mat, est_tau2) if (intercept and p > 1 and k > p) else None

    return MetaResult(
        method=method,
        yi=y,
        vi=v,
        X=mat,
        names=labels,
        beta=beta,
        vb=vb,
        tau2=est_tau2,
        se_tau2=se_tau2,
        tau2_iterations=iters,
        qe=qe,
        qe_df=max(0, k - p),
        qe_p=qe_p,
        i2=i2,
        h2=h2,
        s2=s2,
        qm=qm,
        btt=tested,
        r2=r2,
        level=level,
        intercept=intercept,
    )


def meta_analysis(yi: ArrayLike, vi: ArrayLike, method: str = "REML", level: float = 0.95) -> MetaResult:
    """Pool effects without moderators (metafor: ``rma(yi, vi, method=...)``)."""
    return fit(yi, vi, method=method, level=level)
