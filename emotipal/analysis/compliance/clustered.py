"""Correlations of many compliance figures with one outcome, measured on the same clients of a few therapists.

Two things make the clients of a data set depend on each other, and both are handled here:

* **every figure is computed on the same clients**, so the figures' correlations with improvement are not
  independent estimates: all of them are recomputed on each bootstrap resample of *clients* (a client's
  figures stay together), and averages and differences over figures take their covariance from there;
* **clients are clustered in therapists' caseloads**, and therapists may differ both in how much their
  clients practise and in how much they improve. That would make practice and improvement correlate across
  clients even when, within every caseload, they do not. So the association is split:

  - *within therapists*: Pearson's r of the values centred on the mean of the therapist's clients (the
    pooled within-cluster correlation; equivalently the partial correlation given the therapist). This is
    the headline figure, with a stratified bootstrap that resamples clients within each caseload;
  - *between therapists*: the correlation of the caseload means, described only (a handful of therapists
    gives no useful interval);
  - *all clients*: the plain correlation, which mixes the two, described only.

Standard errors are on Fisher's z scale (z = atanh r): the standard deviation of the resampled z values,
multiplied by sqrt(n / (n - T - 2)) for n clients in T caseloads. The bootstrap's variance of z is about
1/n where Fisher's small-sample variance of a correlation computed after removing T means is
1/(n - T - 2); without the factor, small samples would be overconfident. Intervals are z ± 1.96 SE turned
back into r, and p-values come from the same normal approximation, so an interval excludes 0 exactly when
p < .05.

With missing scores the outcome comes as m multiple imputations (`Sample.draws`): each figure's z is the
mean of its z over the imputations (Rubin's point estimate), and the bootstrap resamples are spread over
the imputations (resample r uses imputation r mod m), so the spread of the pooled resampled z values
carries the between-imputation variance as well (Schomaker & Heumann 2018). Pure numpy; no Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from scipy import stats

from .grouping import Grouping, grouping

MIN_WITHIN_DF = 4  # clients with both values minus their caseloads (n - T): fewer gives no usable interval
MIN_BETWEEN = 4  # caseloads needed for a between-therapist correlation (fewer make it meaningless)
Z95 = float(stats.norm.ppf(0.975))
R_LIMIT = 1.0 - 1e-12  # |r| is kept below 1 so that atanh stays finite


@dataclass(frozen=True)
class Estimate:
    """A correlation with a normal interval on Fisher's z scale (None where it cannot be computed)."""

    r: float | None
    z: float | None
    se_z: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None


NO_ESTIMATE = Estimate(None, None, None, None, None, None)


def estimate_from_z(z: float, se: float | None) -> Estimate:
    if se is None or not math.isfinite(se) or se <= 0:
        return Estimate(math.tanh(z), z, None, None, None, None)
    p = float(2.0 * stats.norm.sf(abs(z) / se))
    return Estimate(math.tanh(z), z, se, math.tanh(z - Z95 * se), math.tanh(z + Z95 * se), p)


@dataclass(frozen=True)
class FigureCorrelation:
    """One figure against the outcome, on the clients who have both."""

    name: str
    n: int  # clients with both values
    n_therapists: int  # caseloads among them
    within: Estimate
    between: float | None  # r of the caseload means
    all_clients: float | None  # r across all clients, ignoring therapists
    by_therapist: tuple[tuple[str, int, float | None], ...]  # (therapist, n, r) per caseload, described only
    reason: str | None  # why `within` is missing


@dataclass(frozen=True)
class Correlations:
    figures: tuple[FigureCorrelation, ...]
    names: tuple[str, ...]  # figures with a within-therapist estimate, in order; the columns of `cov`
    z: np.ndarray  # their within-therapist Fisher z values
    cov: np.ndarray  # the bootstrap covariance of those z values (scaled as in the module docstring)
    resamples: int
    failed: int  # resamples left out because some figure's correlation was undefined in them
    seed: int

    def combination(self, weights: np.ndarray) -> tuple[float, float]:
        """A weighted sum of the figures' z values and its standard error."""
        value = float(weights @ self.z)
        return value, math.sqrt(max(float(weights @ self.cov @ weights), 0.0))


@dataclass(frozen=True)
class Sample:
    """The outcome, therapist and figures of the clients who have the outcome."""

    outcome: np.ndarray  # (n,)
    groups: np.ndarray  # (n,) caseload index 0..T-1
    group_names: tuple[str, ...]
    figures: dict[str, np.ndarray]  # name -> (n,) values, NaN where the client has none
    draws: np.ndarray | None = None  # (m, n): the outcome in each imputation; None: observed, no imputations

    @classmethod
    def build(
        cls,
        outcome: Mapping[str, float],
        therapist_of: Mapping[str, str],
        figures: Mapping[str, Mapping[str, float]],
        draws: Sequence[Mapping[str, float]] | None = None,
    ) -> Sample:
        keys = sorted(outcome)
        names = tuple(sorted({therapist_of[k] for k in keys}))
        index = {t: i for i, t in enumerate(names)}
        imputed = None if not draws else np.array([[d[k] for k in keys] for d in draws], dtype=float)
        return cls(
            np.array([outcome[k] for k in keys], dtype=float),
            np.array([index[therapist_of[k]] for k in keys], dtype=int),
            names,
            {f: np.array([vals.get(k, np.nan) for k in keys], dtype=float) for f, vals in figures.items()},
            imputed,
        )

    @property
    def outcomes(self) -> np.ndarray:
        """(m, n): the outcome once per imputation (one row without imputations)."""
        return self.outcome[None] if self.draws is None else self.draws


def centred_sums(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, weights: np.ndarray, layout: Grouping | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sxx, Syy, Sxy of x and y centred on their weighted caseload means, for each row of `weights`.

    `weights` is (B, n): how often each client is drawn in each of B resamples (a row of ones is the sample
    itself). Only the clients passed in count; the caller leaves out those without a value.
    """
    # Shifting by the overall mean first keeps the sums of squares free of cancellation.
    xs, ys = x - x.mean(), y - y.mean()
    # Each caseload's weighted sums of 1, x, y, x², y², xy in every resample: the clients sorted by caseload
    # once, then one running sum per caseload (grouping.py), not a pass over all clients per caseload.
    # The weights are put in caseload order once, not once per moment: they are the bootstrap's big array.
    order, starts = layout or grouping(groups)
    w_sorted = weights[:, order]
    xo, yo = xs[order], ys[order]

    def per_caseload(moment: np.ndarray | None) -> np.ndarray:  # (B, caseloads)
        return np.add.reduceat(w_sorted if moment is None else w_sorted * moment, starts, axis=1)

    w, sx, sy = per_caseload(None), per_caseload(xo), per_caseload(yo)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(w > 0, 1.0 / w, 0.0)
    sxx = (per_caseload(xo * xo) - sx * sx * inv).sum(axis=1)
    syy = (per_caseload(yo * yo) - sy * sy * inv).sum(axis=1)
    sxy = (per_caseload(xo * yo) - sx * sy * inv).sum(axis=1)
    return sxx, syy, sxy


def within_r(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    weights: np.ndarray | None = None,
    layout: Grouping | None = None,
) -> np.ndarray:
    """The pooled within-caseload correlation for each row of `weights` (NaN where a variance is 0)."""
    w = np.ones((1, len(x))) if weights is None else weights
    sxx, syy, sxy = centred_sums(x, y, groups, w, layout)
    # A figure that is constant within every caseload leaves only rounding error after centring.
    flat_x = sxx <= 1e-10 * (w @ (x - x.mean()) ** 2)
    flat_y = syy <= 1e-10 * (w @ (y - y.mean()) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = sxy / np.sqrt(sxx * syy)
    return np.where(flat_x | flat_y, np.nan, r)


def client_resamples(groups: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n) draw counts: each caseload's clients drawn with replacement, as many as it has."""
    counts = np.zeros((resamples, len(groups)))
    for members in grouping(groups).members():  # one sort, not a mask per caseload
        counts[:, members] = rng.multinomial(
            len(members), np.full(len(members), 1.0 / len(members)), resamples
        )
    return counts


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.clip(np.corrcoef(x, y)[0, 1], -1.0, 1.0))


def _describe(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, group_names: Sequence[str]
) -> tuple[float | None, float | None, tuple[tuple[str, int, float | None], ...]]:
    present = np.unique(groups)
    means_x = np.array([x[groups == g].mean() for g in present])
    means_y = np.array([y[groups == g].mean() for g in present])
    between = _pearson(means_x, means_y) if len(present) >= MIN_BETWEEN else None
    per = tuple(
        (group_names[g], int((groups == g).sum()), _pearson(x[groups == g], y[groups == g])) for g in present
    )
    return between, _pearson(x, y), per


class _Estimable(NamedTuple):
    name: str
    has: np.ndarray  # the clients with a value
    z: float
    scale: float  # sqrt(n / (n - T - 2)), see the module docstring


def correlations(sample: Sample, *, resamples: int, seed: int) -> Correlations:
    """Every figure's within-therapist correlation with the outcome, with the joint bootstrap."""
    figures: list[FigureCorrelation] = []
    estimable: list[_Estimable] = []
    for name, values in sample.figures.items():
        has = ~np.isnan(values)
        x, y, g = values[has], sample.outcome[has], sample.groups[has]
        n, t = int(has.sum()), len(np.unique(g))
        between, overall, per = _describe(x, y, g, sample.group_names) if n else (None, None, ())
        reason = None
        r = math.nan
        if n - t < MIN_WITHIN_DF:
            reason = (
                f"too few clients: {n} with both values in {t} caseloads (n - caseloads must be >= "
                f"{MIN_WITHIN_DF})"
            )
        else:
            r = _pooled_within_r(x, sample.outcomes[:, has], g)
            if not math.isfinite(r):
                reason = "the figure or the improvement does not vary within caseloads"
            elif abs(r) >= R_LIMIT:
                reason = "a perfect correlation (|r| = 1) has no sampling variation to estimate"
        if reason is None:
            estimable.append(_Estimable(name, has, math.atanh(r), math.sqrt(n / (n - t - 2))))
        figures.append(FigureCorrelation(name, n, t, NO_ESTIMATE, between, overall, per, reason))

    boot = _bootstrap_z(sample, [(e.has, e.name) for e in estimable], resamples, seed)
    cov, failed = _covariance(boot, np.array([e.scale for e in estimable]))
    z = np.array([e.z for e in estimable])
    position = {e.name: j for j, e in enumerate(estimable)}
    final = []
    for f in figures:
        if f.name in position:
            j = position[f.name]
            se = math.sqrt(cov[j, j]) if math.isfinite(cov[j, j]) else None
            f = replace(f, within=estimate_from_z(float(z[j]), se))
        final.append(f)
    return Correlations(tuple(final), tuple(e.name for e in estimable), z, cov, resamples, failed, seed)


def _pooled_within_r(x: np.ndarray, outcomes: np.ndarray, groups: np.ndarray) -> float:
    """The within-caseload r, averaged over the imputations on Fisher's z scale (the observed r without)."""
    caseloads = grouping(groups)  # once for every imputation
    if len(outcomes) == 1:
        return float(within_r(x, outcomes[0], groups, layout=caseloads)[0])
    rs = np.array([float(within_r(x, y, groups, layout=caseloads)[0]) for y in outcomes])
    if not np.isfinite(rs).all():
        return math.nan
    return math.tanh(float(np.mean(np.arctanh(np.clip(rs, -R_LIMIT, R_LIMIT)))))


CHUNK_CELLS = 2_000_000  # resamples x clients held in memory at once


def _bootstrap_z(
    sample: Sample, figures: Sequence[tuple[np.ndarray, str]], resamples: int, seed: int
) -> np.ndarray:
    """(resamples, figures) Fisher z of the within correlations, the resamples drawn in memory-sized chunks."""
    rng = np.random.default_rng(seed)
    chunk = max(1, CHUNK_CELLS // max(1, len(sample.outcome)))
    parts = []
    outcomes = sample.outcomes
    layouts = [grouping(sample.groups[has]) for has, _ in figures]
    for start in range(0, resamples, chunk):
        counts = client_resamples(sample.groups, min(chunk, resamples - start), rng)
        which = (start + np.arange(len(counts))) % len(outcomes)  # each resample's imputation
        columns = []
        for (has, name), layout in zip(figures, layouts, strict=True):
            column = np.empty(len(counts))
            for j in np.unique(which):
                rows = which == j
                column[rows] = within_r(
                    sample.figures[name][has],
                    outcomes[j][has],
                    sample.groups[has],
                    counts[rows][:, has],
                    layout,
                )
            columns.append(np.arctanh(np.clip(column, -R_LIMIT, R_LIMIT)))
        parts.append(np.column_stack(columns) if columns else np.zeros((len(counts), 0)))
    return np.vstack(parts) if parts else np.zeros((0, len(figures)))


MIN_USABLE = 10  # resamples needed for a standard error


def _covariance(boot: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, int]:
    """The scaled covariance of the resampled z values, and how many resamples had an undefined figure.

    Each figure's variance uses every resample in which it is defined; the correlations between figures
    use the resamples in which all are, so that the matrix stays positive semi-definite (D R D).
    """
    k = boot.shape[1]
    if k == 0:
        return np.zeros((0, 0)), 0
    finite = np.isfinite(boot)
    common = finite.all(axis=1)
    variances = np.array(
        [
            np.var(boot[finite[:, j], j], ddof=1) if finite[:, j].sum() >= MIN_USABLE else np.nan
            for j in range(k)
        ]
    )
    sd = np.sqrt(variances) * scale
    if common.sum() >= MIN_USABLE:
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.atleast_2d(np.corrcoef(boot[common], rowvar=False))
        corr = np.where(np.isfinite(corr), corr, 0.0)
        np.fill_diagonal(corr, 1.0)
    else:
        corr = np.full((k, k), np.nan)
        np.fill_diagonal(corr, 1.0)
    return sd[:, None] * corr * sd[None, :], int((~common).sum())


def point_correlations(sample: Sample) -> dict[str, dict[str, float | None]]:
    """Each figure's within-therapist and all-clients correlation, without intervals (for large samples)."""
    out: dict[str, dict[str, float | None]] = {}
    for name, values in sample.figures.items():
        has = ~np.isnan(values)
        x, y, g = values[has], sample.outcome[has], sample.groups[has]
        within = float(within_r(x, y, g)[0]) if has.sum() - len(np.unique(g)) >= MIN_WITHIN_DF else math.nan
        out[name] = {"within": within if math.isfinite(within) else None, "all_clients": _pearson(x, y)}
    return out
