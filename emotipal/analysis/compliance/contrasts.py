"""Does the compliance-outcome correlation depend on the source, type or timing of the figure?

The figures are labelled by three moderators. A difference between two levels of one moderator can only be
put down to that moderator when figures at the two levels agree on the other two; otherwise the levels are
*confounded*. In EmotiPal's figure set every objective figure is a count or a percentage and every rating is
on a 0-4 (Likert) scale, so "objective vs rating" (source) and "count/percentage vs Likert" (type) are the
same split of the figures, and a difference between them - for example a halo on the ratings - cannot be
called a source or a type effect. This module works out which comparisons the figure set can separate:

* for moderator M, the figures are grouped in *strata* of equal levels of the other moderators; two levels
  of M are linked when some stratum holds both, and the levels linked directly or in a chain form a
  *separable group*; levels in different groups never meet on equal terms and are confounded with the
  moderator(s) whose levels never overlap between them (with all of the others when each one overlaps);
* within a separable group the level effects are estimated from the figures' Fisher z values by least
  squares on stratum and level (``z = stratum + level``); with one figure per level and stratum that is the
  mean of the matched differences. Every estimate is a fixed linear combination of the figures' z values,
  so its covariance follows from the bootstrap covariance of the figures (see :mod:`.clustered`), which
  carries their dependence (same clients, same caseloads);
* the moderator is tested by a Wald chi-square test of all its separable level differences at once
  (degrees of freedom = their number), and each difference gets its estimate, SE, 95% CI and p;
* a confounded split is reported once, naming all the moderators it belongs to, with the same kind of
  contrast matched on the moderators that do overlap (when any does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .clustered import Z95, Correlations
from .figures import LEVEL_ORDER, MODERATORS, FigureSpec


@dataclass(frozen=True)
class Difference:
    """A level's difference from the group's reference level, in Fisher z (positive: larger correlation)."""

    level: str
    reference: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float


@dataclass(frozen=True)
class LevelMean:
    """Descriptive: the Fisher-z mean of a level's figures, back on the r scale, with its interval."""

    r: float
    ci_low: float
    ci_high: float
    k: int  # figures


@dataclass(frozen=True)
class Confounded:
    """Levels of one moderator that the figure set cannot tell apart from other moderators."""

    levels: tuple[str, ...]
    other_levels: tuple[str, ...]
    confounded_with: tuple[str, ...]


@dataclass(frozen=True)
class ModeratorTest:
    name: str
    levels: dict[str, LevelMean]
    groups: tuple[tuple[str, ...], ...]  # separable groups of levels (in LEVEL_ORDER)
    matched_on: tuple[str, ...]  # the other moderators the comparison holds fixed
    differences: tuple[Difference, ...]
    statistic: float | None  # Wald chi-square of all differences; None when nothing is separable
    df: int
    p: float | None
    confounded: tuple[Confounded, ...]
    reason: str | None  # why there is no test


@dataclass(frozen=True)
class JointContrast:
    """A split of the figures that belongs to several moderators at once (they are confounded on it)."""

    moderators: tuple[str, ...]
    side_a: tuple[str, ...]  # figure names
    side_b: tuple[str, ...]
    labels: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # moderator -> (levels of a, levels of b)
    matched_on: tuple[str, ...]
    estimate: float | None  # b minus a, in Fisher z; None when no stratum holds both sides
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


@dataclass(frozen=True)
class ModeratorAnalysis:
    tests: dict[str, ModeratorTest]
    joint: tuple[JointContrast, ...]


def _ordered(moderator: str, levels: set[str]) -> tuple[str, ...]:
    known = [lev for lev in LEVEL_ORDER.get(moderator, ()) if lev in levels]
    return tuple(known + sorted(levels - set(known)))


def _stratum(spec: FigureSpec, others: Sequence[str]) -> tuple[str, ...]:
    return tuple(getattr(spec, o) for o in others)


def separable_groups(specs: Sequence[FigureSpec], moderator: str) -> tuple[tuple[str, ...], ...]:
    """The moderator's levels, grouped so that levels in one group share strata of the other moderators."""
    others = [m for m in MODERATORS if m != moderator]
    parent = {getattr(s, moderator): getattr(s, moderator) for s in specs}

    def root(level: str) -> str:
        while parent[level] != level:
            level = parent[level]
        return level

    strata: dict[tuple[str, ...], set[str]] = {}
    for s in specs:
        strata.setdefault(_stratum(s, others), set()).add(getattr(s, moderator))
    for levels in strata.values():
        first, *rest = sorted(levels)
        for lev in rest:
            parent[root(lev)] = root(first)
    groups: dict[str, set[str]] = {}
    for lev in parent:
        groups.setdefault(root(lev), set()).add(lev)
    order = {lev: i for i, lev in enumerate(_ordered(moderator, set(parent)))}
    return tuple(sorted((_ordered(moderator, g) for g in groups.values()), key=lambda g: order[g[0]]))


def _confounded_with(
    specs: Sequence[FigureSpec], moderator: str, a: Sequence[str], b: Sequence[str]
) -> tuple[str, ...]:
    """The other moderators whose levels never overlap between the figures at levels a and at levels b."""
    others = [m for m in MODERATORS if m != moderator]
    side_a = [s for s in specs if getattr(s, moderator) in a]
    side_b = [s for s in specs if getattr(s, moderator) in b]
    disjoint = tuple(
        o for o in others if not {getattr(s, o) for s in side_a} & {getattr(s, o) for s in side_b}
    )
    return disjoint or tuple(
        others
    )  # each overlaps, but never all at once: confounded with their combination


def _effects_matrix(
    strata: Sequence[tuple[str, ...]], levels: Sequence[str], group: Sequence[str]
) -> np.ndarray:
    """Rows map the figures' z values to the effects of group[1:] against group[0] in ``z = stratum + level``.

    Least squares with one parameter per stratum and per non-reference level; the group is connected, so
    the level effects are estimable and the pseudo-inverse gives their unique least-squares estimate.
    """
    names = sorted(set(strata))
    effects = list(group[1:])
    design = np.zeros((len(levels), len(names) + len(effects)))
    for i, (stratum, lev) in enumerate(zip(strata, levels, strict=True)):
        design[i, names.index(stratum)] = 1.0
        if lev in effects:
            design[i, len(names) + effects.index(lev)] = 1.0
    return np.linalg.pinv(design)[len(names) :]


def _difference(level: str, reference: str, value: float, se: float) -> Difference:
    p = float(2.0 * stats.norm.sf(abs(value) / se)) if se > 0 else float("nan")
    return Difference(level, reference, value, se, value - Z95 * se, value + Z95 * se, p)


def _level_means(specs: Sequence[FigureSpec], co: Correlations, moderator: str) -> dict[str, LevelMean]:
    out = {}
    for lev in _ordered(moderator, {getattr(s, moderator) for s in specs}):
        weights = np.array([1.0 if getattr(s, moderator) == lev else 0.0 for s in specs])
        weights /= weights.sum()
        value, se = co.combination(weights)
        out[lev] = LevelMean(
            math.tanh(value),
            math.tanh(value - Z95 * se),
            math.tanh(value + Z95 * se),
            int((weights > 0).sum()),
        )
    return out


def moderator_test(specs: Sequence[FigureSpec], co: Correlations, moderator: str) -> ModeratorTest:
    """`specs` are the figures with an estimate, in the order of ``co.names``."""
    others = tuple(m for m in MODERATORS if m != moderator)
    groups = separable_groups(specs, moderator)
    strata = [_stratum(s, others) for s in specs]
    rows: list[np.ndarray] = []
    differences: list[tuple[str, str]] = []
    for group in groups:
        if len(group) < 2:
            continue
        members = [i for i, s in enumerate(specs) if getattr(s, moderator) in group]
        levels_of = [getattr(specs[i], moderator) for i in members]
        effects = _effects_matrix([strata[i] for i in members], levels_of, group)
        for lev, row in zip(group[1:], effects, strict=True):
            full = np.zeros(len(specs))
            full[members] = row
            rows.append(full)
            differences.append((lev, group[0]))
    confounded = tuple(
        Confounded(a, b, _confounded_with(specs, moderator, a, b))
        for i, a in enumerate(groups)
        for b in groups[i + 1 :]
    )
    levels = _level_means(specs, co, moderator)
    if not rows:
        reason = (
            "every figure with a value has the same " + moderator
            if len(levels) < 2
            else "no two levels share the levels of the other moderators (confounded)"
        )
        return ModeratorTest(moderator, levels, groups, others, (), None, 0, None, confounded, reason)
    contrast = np.array(rows)
    estimates = contrast @ co.z
    cov = contrast @ co.cov @ contrast.T
    if not np.isfinite(cov).all():
        reason = "the bootstrap could not estimate the figures' covariance (a correlation was undefined in too many resamples)"
        return ModeratorTest(moderator, levels, groups, others, (), None, 0, None, confounded, reason)
    found = tuple(
        _difference(lev, ref, float(estimates[j]), math.sqrt(max(float(cov[j, j]), 0.0)))
        for j, (lev, ref) in enumerate(differences)
    )
    statistic, df = _wald(estimates, cov)
    p = float(stats.chi2.sf(statistic, df)) if df else None
    return ModeratorTest(moderator, levels, groups, others, found, statistic, df, p, confounded, None)


def _wald(estimates: np.ndarray, cov: np.ndarray) -> tuple[float, int]:
    """estimates' cov^-1 estimates, with the rank of cov as degrees of freedom (figures can coincide)."""
    values, vectors = np.linalg.eigh(cov)
    keep = values > 1e-10 * max(float(values.max()), 1e-300)
    projected = vectors[:, keep].T @ estimates
    return float(np.sum(projected**2 / values[keep])), int(keep.sum())


def _split_difference(
    specs: Sequence[FigureSpec], co: Correlations, a: set[str], b: set[str], on: Sequence[str]
) -> tuple[float, float] | None:
    """Figures b minus figures a in Fisher z, matched on the moderators `on`; None without a shared stratum."""
    members = [i for i, s in enumerate(specs) if s.name in a | b]
    strata = [_stratum(specs[i], on) for i in members]
    sides = ["a" if specs[i].name in a else "b" for i in members]
    if not {st for st, side in zip(strata, sides, strict=True) if side == "a"} & {
        st for st, side in zip(strata, sides, strict=True) if side == "b"
    }:
        return None
    weights = np.zeros(len(specs))
    weights[members] = _effects_matrix(strata, sides, ("a", "b"))[0]
    return co.combination(weights)


def _joint(
    specs: Sequence[FigureSpec], co: Correlations, tests: dict[str, ModeratorTest]
) -> tuple[JointContrast, ...]:
    """Each confounded split once, with every moderator it belongs to."""
    # A split is an unordered pair of sets of figures; several moderators can describe the same one.
    sides: dict[frozenset[frozenset[str]], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    labels: dict[frozenset[frozenset[str]], dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    matchable: dict[frozenset[frozenset[str]], set[str]] = {}
    for name, test in tests.items():
        for c in test.confounded:
            a = tuple(s.name for s in specs if getattr(s, name) in c.levels)
            b = tuple(s.name for s in specs if getattr(s, name) in c.other_levels)
            key = frozenset({frozenset(a), frozenset(b)})
            first, _second = sides.setdefault(key, (a, b))
            same_order = set(a) == set(first)
            labels.setdefault(key, {})[name] = (
                (c.levels, c.other_levels) if same_order else (c.other_levels, c.levels)
            )
            # Only moderators that overlap between the two sides for every describing moderator can be held fixed.
            fixed = {m for m in MODERATORS if m != name and m not in c.confounded_with}
            matchable[key] = matchable.get(key, set(MODERATORS)) & fixed
    out = []
    for key, named in labels.items():
        a, b = sides[key]
        on = tuple(m for m in MODERATORS if m in matchable[key] and m not in named)
        found = _split_difference(specs, co, set(a), set(b), on)
        if found is None:
            out.append(
                JointContrast(
                    tuple(m for m in MODERATORS if m in named), a, b, named, on, None, None, None, None, None
                )
            )
            continue
        d = _difference("b", "a", *found)
        out.append(
            JointContrast(
                tuple(m for m in MODERATORS if m in named),
                a,
                b,
                named,
                on,
                d.estimate,
                d.se,
                d.ci_low,
                d.ci_high,
                d.p,
            )
        )
    return tuple(out)


def moderator_analysis(specs: Sequence[FigureSpec], co: Correlations) -> ModeratorAnalysis:
    """Every moderator's separable test and the confounded splits, for the figures in ``co.names``."""
    by_name = {s.name: s for s in specs}
    ordered = [by_name[name] for name in co.names]
    tests = {m: moderator_test(ordered, co, m) for m in MODERATORS}
    return ModeratorAnalysis(tests, _joint(ordered, co, tests))
