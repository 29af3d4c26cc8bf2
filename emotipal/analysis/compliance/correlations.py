"""Does compliance predict improvement, and does it depend on the source, type and timing of the figure?

1. For each compliance figure, the correlation across clients between the figure and improvement, with a
   Fisher-z confidence interval.
2. Each therapist's caseload is treated as a study: for every figure and therapist the correlation is
   computed within the caseload and analysed as Fisher's z (yi = atanh r, vi = 1/(n - 3)).
3. All these figure-by-therapist correlations are pooled with a random-effects model (REML), and each
   moderator (source, type, timing) is tested on its own in a mixed-effects model with a common tau² (the
   omnibus QM test), with a pooled estimate per level - the moderator analysis of Mausbach et al. (2010).

Caveat, stated in the report too: the figures of one caseload come from the same clients, so its studies
are not independent, and the model treats them as if they were. The standard errors are then somewhat too
small; the moderator estimates are best read as a description of this data set.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from scipy import stats

from emotipal.analysis.meta import (
    EffectSizes,
    MetaResult,
    SubgroupAnalysis,
    fisher_z,
    meta_analysis,
    subgroup_analysis,
)
from emotipal.analysis.meta.errors import MetaInputError

from .dataset import AnalysisInputError, Dataset
from .figures import FIGURES, LEVEL_ORDER, MODERATORS, FigureSpec, client_figures, improvements

MIN_N = 4  # Fisher's z needs n > 3
METHOD = "REML"
Z95 = float(stats.norm.ppf(0.975))
T = TypeVar("T")


@dataclass(frozen=True)
class Correlation:
    r: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    p: float | None


def correlate(x: list[float], y: list[float]) -> Correlation:
    """Pearson r with a 95% Fisher-z CI (tanh(atanh r ± 1.96/sqrt(n - 3))) and the t-test p-value."""
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
class Study:
    """One figure's correlation with improvement within one therapist's caseload."""

    figure: FigureSpec
    therapist: str
    corr: Correlation


@dataclass(frozen=True)
class Skipped:
    figure: str
    therapist: str
    n: int
    reason: str


@dataclass(frozen=True)
class FigureResult:
    spec: FigureSpec
    corr: Correlation  # across all clients
    pooled: MetaResult | None  # across therapists (random effects), None without any study


@dataclass(frozen=True)
class ComplianceOutcome:
    n_clients: int  # clients with an improvement score
    n_without_improvement: int
    figures: list[FigureResult]
    studies: list[Study]
    skipped: list[Skipped]
    overall: MetaResult
    moderators: dict[str, SubgroupAnalysis]
    figure_groups: SubgroupAnalysis | None  # by figure, for the forest plot (None when it cannot be fitted)

    @property
    def yi(self) -> np.ndarray:
        return self.overall.yi

    def levels(self, moderator: str) -> list[str]:
        return [getattr(s.figure, moderator) for s in self.studies]


def _aligned(
    values: dict[str, float], outcome: dict[str, float], keys: list[str]
) -> tuple[list[float], list[float]]:
    both = [k for k in keys if k in values and k in outcome]
    return [values[k] for k in both], [outcome[k] for k in both]


def compliance_outcome(data: Dataset, *, moderators: bool = True) -> ComplianceOutcome:
    """Correlations per figure, per figure and therapist, pooled, and the moderator analyses.

    With ``moderators=False`` only the overall model is fitted (quicker, for simulation studies).
    """
    outcome = improvements(data)
    if len(outcome) < 2:
        raise AnalysisInputError(
            f"{data.path}: at least 2 clients with two or more PHQ-9 scores are needed, found {len(outcome)}"
        )
    values = client_figures(data)
    all_keys = [c.key for c in data.clients]
    caseloads = {t: [c.key for c in data.clients if c.therapist_key == t] for t in data.therapists}

    studies: list[Study] = []
    skipped: list[Skipped] = []
    for spec in FIGURES:
        for therapist, keys in caseloads.items():
            corr = correlate(*_aligned(values[spec.name], outcome, keys))
            reason = None
            if corr.n < MIN_N:
                reason = f"fewer than {MIN_N} clients with both values"
            elif corr.r is None:
                reason = "no variation in the figure or the improvement"
            elif abs(corr.r) >= 1.0:
                reason = "a perfect correlation (|r| = 1) has no Fisher-z variance"
            if reason is None:
                studies.append(Study(spec, therapist, corr))
            else:
                skipped.append(Skipped(spec.name, therapist, corr.n, reason))
    if len(studies) < 2:
        raise AnalysisInputError(
            f"{data.path}: at least 2 studies (figure-by-therapist correlations, each on {MIN_N} or more "
            f"clients) are needed for a random-effects model, found {len(studies)}"
        )

    figures = []
    for spec in FIGURES:
        own = [s for s in studies if s.figure.name == spec.name]
        pooled = _pool(own) if own else None
        figures.append(FigureResult(spec, correlate(*_aligned(values[spec.name], outcome, all_keys)), pooled))

    es = _effects(studies)
    overall = _guard("the overall random-effects model", lambda: meta_analysis(es.yi, es.vi, method=METHOD))
    mods: dict[str, SubgroupAnalysis] = {}
    groups: SubgroupAnalysis | None = None
    if moderators:
        for name in MODERATORS:
            mods[name] = _moderator(es, [getattr(s.figure, name) for s in studies], name)
        try:
            groups = subgroup_analysis(
                es.yi, es.vi, figure_group_labels(studies), method=METHOD, name="figure"
            )
        except (MetaInputError, np.linalg.LinAlgError):
            groups = None  # e.g. one therapist: as many figures as studies; the forest is drawn ungrouped
    return ComplianceOutcome(
        len(outcome), len(data.clients) - len(outcome), figures, studies, skipped, overall, mods, groups
    )


def figure_group_labels(studies: list[Study]) -> list[str | None]:
    """Group labels that sort in the order of FIGURES (the forest plot lists subgroups sorted)."""
    order = {f.name: i for i, f in enumerate(FIGURES)}
    return [f"{order[s.figure.name] + 1}. {s.figure.label}" for s in studies]


def _effects(studies: list[Study]) -> EffectSizes:
    # Studies are only kept with a defined r (see compliance_outcome), hence the `or 0.0` never applies.
    return fisher_z([s.corr.r or 0.0 for s in studies], [s.corr.n for s in studies])


def _moderator(es: EffectSizes, levels: list[str | None], name: str) -> SubgroupAnalysis:
    return _guard(
        f"moderator '{name}'", lambda: subgroup_analysis(es.yi, es.vi, levels, method=METHOD, name=name)
    )


def _pool(studies: list[Study]) -> MetaResult:
    es = _effects(studies)
    what = f"pooling '{studies[0].figure.name}'"
    # Separate caseloads, like sites: Knapp-Hartung intervals below 10 of them (meta.small_sample_test).
    return _guard(what, lambda: meta_analysis(es.yi, es.vi, method=METHOD, test="auto"))


def _guard(what: str, fn: Callable[[], T]) -> T:
    """Run a model fit; a failure becomes an input error that says which model failed."""
    try:
        return fn()
    except MetaInputError as exc:
        raise AnalysisInputError(f"compliance-outcome analysis, {what}: {exc}") from None
    except np.linalg.LinAlgError as exc:
        raise AnalysisInputError(
            f"compliance-outcome analysis, {what}: the model cannot be fitted ({exc})"
        ) from None


def level_order(moderator: str, present: list[str]) -> list[str]:
    known = [lev for lev in LEVEL_ORDER[moderator] if lev in present]
    return known + sorted(set(present) - set(known))
