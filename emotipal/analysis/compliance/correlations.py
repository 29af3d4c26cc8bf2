"""Does compliance predict improvement, and does it depend on the source, type and timing of the figure?

All of it is computed on one sample, in which every figure describes the same clients and the clients are
clustered in therapists' caseloads (:mod:`.clustered` and :mod:`.contrasts` say how that is handled):

1. For each compliance figure, its correlation with improvement *within therapists* (values centred on the
   therapist's caseload mean), with a 95% CI and p-value from a bootstrap that resamples clients within
   each caseload; beside it, described only, the correlation *between therapists* (of the caseload means)
   and across all clients.
2. The overall figure: the mean of the figures' within-therapist Fisher z values, back on the r scale, with
   its CI from the same bootstrap (so the figures' dependence is in its standard error).
3. The moderators (source, type, timing): only comparisons of figures that agree on the other moderators
   are tested, with a Wald test on the bootstrap covariance; confounded splits are named as such.

Meta-analytic pooling (:mod:`emotipal.analysis.meta`, ``emotipal meta``) is for combining separate studies
or sites; the figures and caseloads of one sample are not separate studies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .clustered import (
    MIN_WITHIN_DF,
    Correlations,
    Estimate,
    FigureCorrelation,
    Sample,
    correlations,
    estimate_from_z,
    point_correlations,
)
from .contrasts import ModeratorAnalysis, moderator_analysis
from .dataset import AnalysisInputError, Dataset
from .figures import FIGURES, FigureSpec, client_figures, improvement_imputations, improvements

MIN_N = 4  # Fisher's z needs n > 3
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 2026
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Correlation:
    r: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    p: float | None


def correlate(x: list[float], y: list[float]) -> Correlation:
    """Pearson r with a 95% Fisher-z CI (tanh(atanh r ± 1.96/sqrt(n - 3))) and the t-test p-value.

    Valid for independent pairs only; the compliance analysis uses :mod:`.clustered` instead.
    """
    n = len(x)
    if n < 3:
        return Correlation(None, n, None, None, None)
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return Correlation(None, n, None, None, None)  # a constant has no correlation
    r = float(np.clip(np.corrcoef(xa, ya)[0, 1], -1.0, 1.0))
    if abs(r) >= 1.0:
        return Correlation(r, n, None, None, 0.0)
    t = r * math.sqrt((n - 2) / (1.0 - r * r))
    p = float(2.0 * stats.t.sf(abs(t), n - 2))
    if n < MIN_N:
        return Correlation(r, n, None, None, p)
    half = Z95 / math.sqrt(n - 3)
    z = math.atanh(r)
    return Correlation(r, n, math.tanh(z - half), math.tanh(z + half), p)


@dataclass(frozen=True)
class FigureResult:
    spec: FigureSpec
    corr: FigureCorrelation  # within (headline), between and all-clients correlations


@dataclass(frozen=True)
class ComplianceOutcome:
    n_clients: int  # clients with an improvement score
    n_without_improvement: int
    n_therapists: int
    figures: list[FigureResult]
    correlations: Correlations  # the bootstrap: the figures' z values and their covariance
    overall: Estimate  # the Fisher-z mean of the figures' within-therapist correlations
    overall_k: int  # figures in it
    moderators: ModeratorAnalysis

    def figure(self, name: str) -> FigureResult:
        return next(f for f in self.figures if f.spec.name == name)


def _sample(data: Dataset) -> Sample:
    therapist_of = {c.key: c.therapist_key for c in data.clients}
    # With missing scores the improvement comes as multiple imputations; the bootstrap pools over them.
    draws = improvement_imputations(data)
    imputed = draws if any(d != draws[0] for d in draws[1:]) else None
    return Sample.build(improvements(data), therapist_of, client_figures(data), imputed)


def compliance_outcome(
    data: Dataset, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> ComplianceOutcome:
    """Within-therapist correlations per figure, the overall mean and the moderator tests."""
    outcome = improvements(data)
    if len(outcome) < 2:
        raise AnalysisInputError(
            f"{data.path}: at least 2 clients with two or more PHQ-9 scores are needed, found {len(outcome)}"
        )
    sample = _sample(data)
    co = correlations(sample, resamples=resamples, seed=seed)
    if not co.names:
        raise AnalysisInputError(
            f"{data.path}: no compliance figure can be correlated with improvement within therapists: each "
            f"needs clients with both values numbering at least {MIN_WITHIN_DF} more than their therapists "
            f"({len(outcome)} clients with an improvement score, {len(sample.group_names)} therapists)"
        )
    by_name = {f.name: f for f in co.figures}
    figures = [FigureResult(spec, by_name[spec.name]) for spec in FIGURES]
    k = len(co.names)
    value, se = co.combination(np.full(k, 1.0 / k))
    return ComplianceOutcome(
        len(outcome),
        len(data.clients) - len(outcome),
        len(sample.group_names),
        figures,
        co,
        estimate_from_z(value, se),
        k,
        moderator_analysis(FIGURES, co),
    )


def population_correlations(data: Dataset) -> dict[str, dict[str, float | None]]:
    """Every figure's within-therapist and all-clients correlation with improvement, as point values.

    The simulator computes each figure's truth with this on a very large sample.
    """
    return point_correlations(_sample(data))
