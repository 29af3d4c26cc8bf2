"""Moderator analyses: subgroups (categorical moderator) and meta-regression (continuous moderators).

Subgroups are analysed as in metafor with ``mods = ~ factor``: one mixed-effects model with a *common*
tau², whose omnibus QM (df = levels - 1) tests whether the subgroups differ; the same model without
intercept (``~ 0 + factor``) gives each subgroup's mean. Separately, each subgroup can get its own tau²
(one random-effects model per level), compared with a Q-between test.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._stats import FloatArray, as_float_array
from .design import build_design
from .models import MetaResult, WaldTest, fit


@dataclass(frozen=True)
class SubgroupEstimate:
    """Pooled effect of one subgroup; the heterogeneity fields are set when tau² is estimated per level."""

    level: str
    k: int
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    tau2: float | None = None
    i2: float | None = None
    q: float | None = None
    q_df: int | None = None
    q_p: float | None = None


@dataclass(frozen=True)
class SubgroupAnalysis:
    """Mixed-effects subgroup analysis with a common tau²."""

    moderator: str
    levels: tuple[str, ...]
    model: MetaResult  # intercept + treatment contrasts; model.qm tests the differences between levels
    means_model: MetaResult  # one coefficient per level; means_model.qm tests that all means are 0
    subgroups: dict[str, SubgroupEstimate]
    kept: tuple[int, ...]
    excluded: tuple[int, ...]

    @property
    def qm(self) -> WaldTest:
        return self.model.qm


@dataclass(frozen=True)
class SeparateSubgroups:
    """One model per subgroup (own tau²) and the Q-between test of the subgroup estimates."""

    moderator: str
    subgroups: dict[str, SubgroupEstimate]
    q_between: WaldTest
    kept: tuple[int, ...]
    excluded: tuple[int, ...]


@dataclass(frozen=True)
class RegressionAnalysis:
    """Mixed-effects meta-regression on continuous moderators, fitted on the rows without missing values."""

    moderators: tuple[str, ...]
    model: MetaResult
    kept: tuple[int, ...]
    excluded: tuple[int, ...]


def _inputs(yi: ArrayLike, vi: ArrayLike) -> tuple[FloatArray, FloatArray]:
    y, v = as_float_array(yi, "yi"), as_float_array(vi, "vi")
    if y.shape != v.shape:
        raise ValueError("yi and vi must have the same length")
    return y, v


def subgroup_analysis(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Sequence[str | None],
    method: str = "REML",
    name: str = "group",
    level: float = 0.95,
    test: str = "z",
    missing: Collection[str] = (),
) -> SubgroupAnalysis:
    """Categorical moderator as a mixed-effects model with a common tau² (metafor ``mods = ~ factor``).

    Only empty cells (and None) are missing; ``missing`` adds spellings that mean "no value" in this data
    (say "NA"), so a level literally named "none" stays a level unless it is listed.
    """
    y, v = _inputs(yi, vi)
    design = build_design(y.shape[0], categorical={name: groups}, missing=missing)
    idx = list(design.kept)
    ys, vs = y[idx], v[idx]
    model = fit(ys, vs, design.X, design.names, method=method, level=level, test=test)
    levels = design.levels[name]
    means = build_design(y.shape[0], categorical={name: groups}, intercept=False, missing=missing)
    # Same model, reparametrised: P (and so every tau² estimator and its iterations) depends only on the
    # column space of X, which both codings share, so the tau² here is identical to the one above.
    means_model = fit(ys, vs, means.X, means.names, method=method, level=level, intercept=False, test=test)
    labels = np.array([str(groups[i]).strip() for i in idx])
    subgroups = {}
    for lev, coef in zip(levels, means_model.coefficients, strict=True):
        subgroups[lev] = SubgroupEstimate(
            lev, int(np.sum(labels == lev)), coef.estimate, coef.se, coef.z, coef.p, coef.ci_low, coef.ci_high
        )
    return SubgroupAnalysis(name, levels, model, means_model, subgroups, design.kept, design.excluded)


def separate_subgroups(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Sequence[str | None],
    method: str = "REML",
    name: str = "group",
    level: float = 0.95,
    test: str = "z",
    missing: Collection[str] = (),
) -> SeparateSubgroups:
    """A separate model (own tau²) per subgroup, then Q-between = Σ w_j (θ_j - θ̄)², w_j = 1/se_j².

    Q-between is the heterogeneity statistic of an equal-effects meta-analysis of the subgroup estimates,
    chi-square with (levels - 1) df (Borenstein et al., 2009, ch. 19). A subgroup with one study has no
    information on tau² and contributes that study's own effect (tau² = 0, and a z interval even under
    Knapp-Hartung, which needs two studies or more).
    """
    y, v = _inputs(yi, vi)
    design = build_design(y.shape[0], categorical={name: groups}, missing=missing)
    levels = design.levels[name]
    labels = {i: str(groups[i]).strip() for i in design.kept}
    subgroups = {}
    for lev in levels:
        idx = [i for i in design.kept if labels[i] == lev]
        res = fit(y[idx], v[idx], method=method, level=level, test=test if len(idx) > 1 else "z")
        subgroups[lev] = SubgroupEstimate(
            lev,
            len(idx),
            res.estimate,
            res.se,
            res.z,
            res.pval,
            res.ci_low,
            res.ci_high,
            tau2=res.tau2,
            i2=res.i2,
            q=res.qe,
            q_df=res.qe_df,
            q_p=res.qe_p if res.qe_df > 0 else None,
        )
    est = np.array([s.estimate for s in subgroups.values()])
    var = np.array([s.se**2 for s in subgroups.values()])
    between = fit(est, var, method="EE")
    q_between = WaldTest(between.qe, between.qe_df, between.qe_p)
    return SeparateSubgroups(name, subgroups, q_between, design.kept, design.excluded)


def meta_regression(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: Mapping[str, Sequence[float | None]],
    method: str = "REML",
    level: float = 0.95,
    test: str = "z",
    missing: Collection[str] = (),
) -> RegressionAnalysis:
    """Mixed-effects meta-regression ``y ~ 1 + mods`` (metafor ``rma(yi, vi, mods = ~ a + b)``).

    The model's QE tests residual heterogeneity, QM tests all moderators jointly, and each coefficient has
    its own z test; rows with a missing moderator value are left out and returned in ``excluded``.
    """
    y, v = _inputs(yi, vi)
    design = build_design(y.shape[0], continuous=mods, missing=missing)
    idx = list(design.kept)
    model = fit(y[idx], v[idx], design.X, design.names, method=method, level=level, test=test)
    return RegressionAnalysis(tuple(mods), model, design.kept, design.excluded)


def contrast(result: MetaResult, weights: Sequence[float]) -> tuple[float, float, float, float]:
    """A linear contrast c'beta with its se, statistic and p (e.g. the difference between two subgroup
    means); the statistic is a t value under Knapp-Hartung, as for the model's coefficients."""
    c = np.asarray(weights, dtype=float)
    est = float(c @ result.beta)
    se = float(np.sqrt(c @ result.vb @ c))
    z = est / se if se > 0 else math.nan
    return est, se, z, result.p_value(z)
