"""Effect sizes and their sampling variances, defined as in metafor's ``escalc``.

Each function returns an :class:`EffectSizes` (``yi``, ``vi``) ready for the models in
:mod:`emotipal.analysis.meta.models`. Invalid inputs raise :class:`MetaInputError` naming the study
(0-based position), so callers with richer context (a CSV line) should validate first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ._stats import FloatArray, as_float_array
from .errors import MetaInputError


@dataclass(frozen=True)
class EffectSizes:
    """Observed effects ``yi`` with sampling variances ``vi`` (one entry per study)."""

    yi: FloatArray
    vi: FloatArray
    measure: str

    @property
    def sei(self) -> FloatArray:
        return np.sqrt(self.vi)


def _check_finite(arr: FloatArray, name: str) -> None:
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise MetaInputError(f"study {int(bad[0])}: {name} is missing or not a finite number")


def _same_length(*arrays: FloatArray) -> None:
    if len({a.shape[0] for a in arrays}) != 1:
        raise MetaInputError("all inputs must have one value per study (lengths differ)")


# --- correlations -------------------------------------------------------------------------------


def fisher_z(r: ArrayLike, n: ArrayLike) -> EffectSizes:
    """Fisher's r-to-z: ``yi = atanh(r)``, ``vi = 1/(n - 3)`` (metafor measure "ZCOR").

    The transform makes the sampling distribution nearly normal with a variance that no longer depends on
    the unknown correlation, which is why correlations are pooled on this scale and transformed back.
    """
    r_arr = as_float_array(r, "r")
    n_arr = as_float_array(n, "n")
    _same_length(r_arr, n_arr)
    _check_finite(r_arr, "r")
    _check_finite(n_arr, "n")
    for i in range(r_arr.shape[0]):
        if abs(r_arr[i]) >= 1.0:
            raise MetaInputError(f"study {i}: r = {r_arr[i]:g} must lie strictly between -1 and 1")
        if n_arr[i] <= 3.0:
            raise MetaInputError(f"study {i}: n = {n_arr[i]:g} must be greater than 3 for Fisher's z")
    return EffectSizes(np.arctanh(r_arr), 1.0 / (n_arr - 3.0), "ZCOR")


def z_to_r(z: ArrayLike) -> FloatArray:
    """Back-transform Fisher's z (an estimate or a CI bound) to the correlation scale."""
    return np.tanh(np.asarray(z, dtype=float))


def r_from_beta(beta: ArrayLike, method: str = "peterson-brown") -> FloatArray:
    """Impute r from a standardised regression coefficient, for studies that report only beta.

    ``"peterson-brown"`` (Peterson & Brown, 2005): ``r = beta + 0.05*lambda`` with ``lambda = 1`` when
    ``beta >= 0`` and 0 otherwise; they validated it for ``|beta| < 0.5``, so larger values are refused.
    ``"identity"`` uses beta itself as r (only sensible for a model with a single predictor, where the two
    coincide).
    """
    b = as_float_array(beta, "beta")
    _check_finite(b, "beta")
    if method == "identity":
        out = b.copy()
    elif method == "peterson-brown":
        big = np.flatnonzero(np.abs(b) >= 0.5)
        if big.size:
            raise MetaInputError(
                f"study {int(big[0])}: |beta| = {abs(b[big[0]]):g} >= 0.5, outside the range where the "
                "Peterson-Brown imputation of r holds"
            )
        out = b + 0.05 * (b >= 0.0)
    else:
        raise ValueError(f"unknown beta-to-r method {method!r}")
    bad = np.flatnonzero(np.abs(out) >= 1.0)
    if bad.size:
        raise MetaInputError(f"study {int(bad[0])}: beta gives |r| >= 1")
    return out


def fisher_z_from_beta(beta: ArrayLike, n: ArrayLike, method: str = "peterson-brown") -> EffectSizes:
    """Standardised regression coefficients used as a proxy for r, then analysed as Fisher's z."""
    es = fisher_z(r_from_beta(beta, method), n)
    return EffectSizes(es.yi, es.vi, "ZCOR(beta)")


# --- 2x2 tables -----------------------------------------------------------------------------------


def _two_by_two(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, add: float, correct: bool
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validate the cells and, like metafor's default ``to="only0"``, add ``add`` to *all four* cells of
    the studies that have a zero cell (other studies are left untouched)."""
    cells = [as_float_array(x, name) for x, name in ((ai, "ai"), (bi, "bi"), (ci, "ci"), (di, "di"))]
    _same_length(*cells)
    for arr, name in zip(cells, ("ai", "bi", "ci", "di"), strict=True):
        _check_finite(arr, name)
        neg = np.flatnonzero(arr < 0)
        if neg.size:
            raise MetaInputError(f"study {int(neg[0])}: cell {name} is negative")
    a, b, c, d = (x.copy() for x in cells)
    for i in range(a.shape[0]):
        if a[i] + b[i] == 0 or c[i] + d[i] == 0:
            raise MetaInputError(f"study {i}: a group has no participants")
    if correct:
        zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
        for x in (a, b, c, d):
            x[zero] += add
    return a, b, c, d


def log_risk_ratio(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, add: float = 0.5
) -> EffectSizes:
    """Log risk ratio of group 1 (events ai, non-events bi) versus group 2 (ci, di).

    ``yi = ln(a/(a+b)) - ln(c/(c+d))``, ``vi = 1/a - 1/(a+b) + 1/c - 1/(c+d)`` (metafor measure "RR").
    """
    a, b, c, d = _two_by_two(ai, bi, ci, di, add, correct=True)
    n1, n2 = a + b, c + d
    if np.any(a == 0) or np.any(c == 0):  # only possible with add=0
        raise MetaInputError("a zero event count makes the log risk ratio undefined (use add > 0)")
    yi = np.log(a / n1) - np.log(c / n2)
    vi = 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2
    return EffectSizes(yi, vi, "RR")


def log_odds_ratio(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, add: float = 0.5
) -> EffectSizes:
    """Log odds ratio ``ln(ad/(bc))`` with Woolf's variance ``1/a + 1/b + 1/c + 1/d`` (measure "OR")."""
    a, b, c, d = _two_by_two(ai, bi, ci, di, add, correct=True)
    if np.any((a == 0) | (b == 0) | (c == 0) | (d == 0)):
        raise MetaInputError("a zero cell makes the log odds ratio undefined (use add > 0)")
    yi = np.log(a) + np.log(d) - np.log(b) - np.log(c)
    vi = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d
    return EffectSizes(yi, vi, "OR")


def risk_difference(ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike) -> EffectSizes:
    """Risk difference ``a/(a+b) - c/(c+d)`` with the usual binomial variance (measure "RD").

    No continuity correction: the risk difference is defined with zero cells. A study whose variance is
    zero (both risks 0 or 1) cannot be weighted and is refused.
    """
    a, b, c, d = _two_by_two(ai, bi, ci, di, 0.0, correct=False)
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    vi = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2
    zero = np.flatnonzero(vi <= 0)
    if zero.size:
        raise MetaInputError(f"study {int(zero[0])}: the risk difference has zero variance")
    return EffectSizes(p1 - p2, vi, "RD")


# --- standardised mean difference -------------------------------------------------------------------


def hedges_correction(m: ArrayLike) -> FloatArray:
    """Hedges' (1981) exact small-sample factor c(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2)), m = n1+n2-2.

    Computed on the log scale (gammaln) so large samples do not overflow; metafor's ``cmicalc``.
    """
    m_arr = np.asarray(m, dtype=float)
    return np.exp(
        special.gammaln(m_arr / 2.0) - 0.5 * np.log(m_arr / 2.0) - special.gammaln((m_arr - 1.0) / 2.0)
    )


def hedges_g(
    m1: ArrayLike,
    sd1: ArrayLike,
    n1: ArrayLike,
    m2: ArrayLike,
    sd2: ArrayLike,
    n2: ArrayLike,
    vtype: str = "LS",
) -> EffectSizes:
    """Bias-corrected standardised mean difference (Hedges' g), metafor measure "SMD".

    ``g = c(m) (m1 - m2) / s_pooled``. The default variance is metafor's large-sample ``vtype="LS"``:
    ``1/n1 + 1/n2 + g²/(2(n1+n2))`` (with the corrected g); ``vtype="UB"`` gives the unbiased estimate
    ``1/ñ + (1 - (m-2)/(m c(m)²)) g²`` with ``ñ = n1 n2/(n1+n2)``.
    """
    arrs = [
        as_float_array(x, name)
        for x, name in ((m1, "m1"), (sd1, "sd1"), (n1, "n1"), (m2, "m2"), (sd2, "sd2"), (n2, "n2"))
    ]
    _same_length(*arrs)
    for arr, name in zip(arrs, ("m1", "sd1", "n1", "m2", "sd2", "n2"), strict=True):
        _check_finite(arr, name)
    mean1, s1, size1, mean2, s2, size2 = arrs
    for i in range(mean1.shape[0]):
        if size1[i] < 2 or size2[i] < 2 or size1[i] + size2[i] <= 3:
            raise MetaInputError(f"study {i}: each group needs at least 2 participants (and n1+n2 > 3)")
        if s1[i] < 0 or s2[i] < 0:
            raise MetaInputError(f"study {i}: a standard deviation is negative")
    m = size1 + size2 - 2.0
    sp = np.sqrt(((size1 - 1.0) * s1**2 + (size2 - 1.0) * s2**2) / m)
    zero_sd = np.flatnonzero(sp <= 0)
    if zero_sd.size:
        raise MetaInputError(f"study {int(zero_sd[0])}: the pooled standard deviation is zero")
    cm = hedges_correction(m)
    g = cm * (mean1 - mean2) / sp
    n_tilde = size1 * size2 / (size1 + size2)
    if vtype == "LS":
        vi = 1.0 / n_tilde + g**2 / (2.0 * (size1 + size2))
    elif vtype == "UB":
        vi = 1.0 / n_tilde + (1.0 - (m - 2.0) / (m * cm**2)) * g**2
    else:
        raise ValueError(f"unknown vtype {vtype!r}")
    return EffectSizes(g, vi, "SMD")


def check_effects(yi: ArrayLike, vi: ArrayLike) -> EffectSizes:
    """Validate user-supplied effects with variances (finite effects, strictly positive variances)."""
    y = as_float_array(yi, "yi")
    v = as_float_array(vi, "vi")
    _same_length(y, v)
    _check_finite(y, "yi")
    _check_finite(v, "vi")
    bad = np.flatnonzero(v <= 0)
    if bad.size:
        raise MetaInputError(f"study {int(bad[0])}: variance vi = {v[bad[0]]:g} must be positive")
    return EffectSizes(y, v, "GEN")


def is_fisher_z(measure: str) -> bool:
    """True for effects that live on Fisher's z scale (so results can be shown as correlations)."""
    return measure.startswith("ZCOR")


__all__ = [
    "EffectSizes",
    "check_effects",
    "fisher_z",
    "fisher_z_from_beta",
    "hedges_correction",
    "hedges_g",
    "is_fisher_z",
    "log_odds_ratio",
    "log_risk_ratio",
    "r_from_beta",
    "risk_difference",
    "z_to_r",
]
