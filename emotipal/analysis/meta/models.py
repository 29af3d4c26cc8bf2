"""Equal-effects, random-effects and mixed-effects (meta-regression) models, as metafor's ``rma.uni``.

One function, :func:`fit`, covers all of them: the model is ``y = X beta + u + e`` with ``e ~ N(0, vi)``
and ``u ~ N(0, tau²)`` (tau² = 0 for the equal-effects model). Without moderators ``X`` is a column of
ones and ``beta`` is the pooled effect.

Two kinds of inference, as metafor's ``test`` argument:

* ``test="z"`` (metafor's default): Wald z tests, normal CIs and a chi-square QM.
* ``test="knha"``: the Knapp-Hartung (Hartung-Knapp-Sidik-Jonkman) method. The variance of the
  coefficients is multiplied by s² = Σ w_i (y_i - x_i'b)² / (k - p) with w_i = 1/(v_i + tau²), tests and
  CIs use the t distribution with k - p degrees of freedom and QM becomes an F test (QM/m on m and k - p
  df). The normal-theory intervals treat tau² as known and are too narrow when there are few studies;
  Knapp-Hartung intervals keep close to their nominal coverage even then (IntHout et al. 2014).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._stats import FloatArray, as_float_array, chi2_p, two_sided_p, z_crit
from ._wls import weighted_fit
from .errors import MetaInputError
from .tau2 import estimate_tau2

METHODS: tuple[str, ...] = ("REML", "DL", "PM", "EE")
TESTS: tuple[str, ...] = ("z", "knha")
# Below this many studies Knapp-Hartung intervals are the default where EmotiPal pools separate studies
# or sites (see small_sample_test): normal-theory CIs undercover badly for small k (IntHout et al. 2014).
KNHA_BELOW_K = 10
METHOD_LABELS = {
    "EE": "Equal-effects model",
    "DL": "Random-effects model (tau² by DerSimonian-Laird)",
    "REML": "Random-effects model (tau² by REML)",
    "PM": "Random-effects model (tau² by Paule-Mandel)",
}


def small_sample_test(k: int) -> str:
    """The test to use when pooling ``k`` separate studies or sites: Knapp-Hartung ("knha") for
    2 <= k < KNHA_BELOW_K, else "z" (with one study there is nothing to estimate the Knapp-Hartung factor
    from, and with many the two agree)."""
    return "knha" if 2 <= k < KNHA_BELOW_K else "z"


def _ratio(a: float, b: float) -> float:
    # A zero standard error (e.g. Knapp-Hartung with identical effects) gives an undefined statistic.
    if b == 0.0 or not math.isfinite(b):
        return math.nan if a == 0.0 or not math.isfinite(b) else math.copysign(math.inf, a)
    return a / b


@dataclass(frozen=True)
class Coefficient:
    """One model coefficient with its test and confidence interval.

    ``z`` is the test statistic: a z value, or a t value on ``df`` degrees of freedom under Knapp-Hartung.
    """

    name: str
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    df: int | None = None


@dataclass(frozen=True)
class WaldTest:
    """A Wald test of several coefficients (metafor's QM): chi-square on ``df`` degrees of freedom, or,
    under Knapp-Hartung, ``q`` is the F statistic (QM/df) on ``df`` and ``df2`` degrees of freedom."""

    q: float
    df: int
    p: float
    df2: int | None = None


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
    test: str = "z"
    s2w: float = 1.0  # Knapp-Hartung variance factor (1 for the z test)

    @property
    def ddf(self) -> int | None:
        """Degrees of freedom of the t tests (Knapp-Hartung), None for z tests."""
        return self.k - self.p if self.test == "knha" else None

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
        """Critical value of the CIs: normal, or t on k - p df under Knapp-Hartung (nan without df)."""
        if self.test != "knha":
            return z_crit(self.level)
        df = self.k - self.p
        return float(stats.t.ppf(1.0 - (1.0 - self.level) / 2.0, df)) if df > 0 else math.nan

    def p_value(self, statistic: float) -> float:
        """Two-sided p-value of a coefficient's statistic under this model's test."""
        if self.test != "knha":
            return two_sided_p(statistic)
        df = self.k - self.p
        if df <= 0 or math.isnan(statistic):
            return math.nan
        return float(2.0 * stats.t.sf(abs(statistic), df))

    @property
    def se_beta(self) -> FloatArray:
        return np.sqrt(np.diag(self.vb))

    @property
    def coefficients(self) -> list[Coefficient]:
        se = self.se_beta
        out = []
        crit = self.crit
        for j, name in enumerate(self.names):
            b, s = float(self.beta[j]), float(se[j])
            z = _ratio(b, s)
            out.append(Coefficient(name, b, s, z, self.p_value(z), b - crit * s, b + crit * s, self.ddf))
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
        """The pooled effect's test statistic (a t value under Knapp-Hartung)."""
        return _ratio(self.estimate, self.se)

    @property
    def pval(self) -> float:
        return self.p_value(self.z)

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
        return _wald(self.beta, self.vb, tuple(int(j) for j in indices), self.test, self.k - self.p)

    def predict(self, x: ArrayLike | None = None) -> Prediction:
        """Prediction at moderator row ``x`` (default: the intercept-only model's pooled effect).

        The prediction interval is metafor's: pred ± crit * sqrt(se² + tau²), with the normal critical value,
        or the t value on k - p df under Knapp-Hartung; with tau² = 0 (equal-effects model) it coincides
        with the CI.
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


def _wald(beta: FloatArray, vb: FloatArray, tested: tuple[int, ...], test: str, ddf: int) -> WaldTest:
    b = beta[list(tested)]
    sub = vb[np.ix_(tested, tested)]
    try:
        q = float(b @ np.linalg.solve(sub, b))
    except np.linalg.LinAlgError:  # a zero Knapp-Hartung factor makes the variance singular
        q = math.nan
    m = len(tested)
    if test != "knha":
        return WaldTest(q, m, chi2_p(q, m))
    f = q / m
    p = float(stats.f.sf(f, m, ddf)) if ddf > 0 and not math.isnan(f) else math.nan
    return WaldTest(f, m, p, ddf)


def _heterogeneity(
    method: str, tau2: float, yi: FloatArray, vi: FloatArray, X: FloatArray
) -> tuple[float, float, float, float, float]:
    """QE with its p-value, I², H² and the 'typical' sampling variance s², exactly as metafor.

    QE = Σ (y_i - x_i'b)² / v_i with b the equal-effects (weights 1/v_i) fit, summed term by term (the
    textbook y'P y loses all its digits when the variances are tiny). s² = (k-p)/tr(P) with P from the
    weights 1/vi; for a random/mixed-effects model I² = tau²/(tau² + s²) and H² = 1 + tau²/s², so I² is
    *not* (Q - df)/Q unless tau² is the DL estimate. For the equal-effects model I² = max(0, (QE - df)/QE)
    and H² = QE/df.
    """
    k, p = X.shape
    if k <= p:  # saturated model: nothing left to test (metafor's convention)
        return 0.0, 1.0, 0.0, 1.0, 0.0
    wf = weighted_fit(yi, 1.0 / vi, X)
    qe = wf.rss
    df = k - p
    s2 = df / wf.trace_p
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
        rss = weighted_fit(yi, w, X).rss
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
    test: str = "z",
    r2: bool = True,
) -> MetaResult:
    """Fit an equal-, random- or mixed-effects model.

    ``X`` is the full model matrix (include the column of ones yourself; ``intercept`` says whether its
    first column is that intercept, which decides the default coefficients tested by QM - all but the
    intercept, or all of them - and whether a pseudo R² is reported). ``method`` is one of EE, DL, REML, PM;
    ``test`` is "z", "knha" (Knapp-Hartung, see the module docstring) or "auto", which picks
    :func:`small_sample_test` for the number of studies (the default where EmotiPal pools separate studies
    or sites). ``r2=False`` skips the pseudo R² (one more model fit), for the many refits of the influence
    diagnostics.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (use one of {', '.join(METHODS)})")
    if test == "auto":
        test = small_sample_test(int(np.asarray(yi).shape[0]))
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r} (use one of {', '.join(TESTS)}, or auto)")
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
    if test == "knha" and k <= p:
        raise MetaInputError(f"Knapp-Hartung tests need more studies than coefficients ({k} for {p})")

    if k == 1:
        # A single study is its own estimate; there is no information about tau² (metafor sets it to 0).
        est_tau2, se_tau2, iters = 0.0, None, 0
    else:
        est = estimate_tau2(method, y, v, mat)
        est_tau2, se_tau2, iters = est.tau2, est.se, est.iterations

    wf = weighted_fit(y, 1.0 / (v + est_tau2), mat)
    vb = wf.xtwx_inv
    beta = wf.beta
    s2w = 1.0
    if test == "knha":
        # metafor: s² = RSS/(k - p) with the model's weights, 0 when the RSS is at rounding level.
        rss = wf.rss
        s2w = 0.0 if rss <= float(np.finfo(float).eps) or k <= p else rss / (k - p)
        vb = s2w * vb

    qe, qe_p, i2, h2, s2 = _heterogeneity(method, est_tau2, y, v, mat)
    if btt is None:
        btt = tuple(range(1, p)) if (intercept and p > 1) else tuple(range(p))
    tested = tuple(int(j) for j in btt)
    qm = _wald(beta, vb, tested, test, k - p)
    pseudo_r2 = _r2(method, y, v, mat, est_tau2) if (r2 and intercept and p > 1 and k > p) else None

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
        r2=pseudo_r2,
        level=level,
        intercept=intercept,
        test=test,
        s2w=s2w,
    )


def meta_analysis(
    yi: ArrayLike, vi: ArrayLike, method: str = "REML", level: float = 0.95, test: str = "z"
) -> MetaResult:
    """Pool effects without moderators (metafor: ``rma(yi, vi, method=..., test=...)``).

    For separate studies or sites use ``test="auto"``: Knapp-Hartung below KNHA_BELOW_K studies.
    """
    return fit(yi, vi, method=method, level=level, test=test)
