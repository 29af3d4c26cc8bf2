"""Multiple imputation of missing weekly PHQ-9 scores, and Rubin's rules for pooling what is computed on them.

Weekly scores go missing when a questionnaire is skipped and after a client leaves. A per-client figure that
needs a score at a fixed time (the end of the course, the weeks a mediator was rated in) is computed on
each of ``m`` completed data sets, and the ``m`` results are pooled by Rubin's rules, so its uncertainty
includes that of the missing scores (Rubin 1987; van Buuren 2018).

The imputation model is the linear mixed model of the scores that the analysis itself assumes::

    phq9[i, t] = x_i' beta + t * (x_i' gamma) + u0_i + u1_i * t + e[i, t]

with a random intercept and time slope per client (correlated, covariance G), residual variance sigma^2,
and per-client covariates x_i (an intercept, the standardised auxiliary figures - by default the share of
planned practices done and the therapist-rated mastery - and the therapist when there are few enough
therapists) on both the level and the slope, so that what predicts improvement in the analyses also
predicts the imputed scores. It is fitted by a Gibbs sampler (flat prior on the fixed effects, Jeffreys'
prior on sigma^2, a weak inverse-Wishart prior on G; Schafer & Yucel 2002), and each imputation takes the
missing scores from one draw of all parameters and random effects - a *proper* imputation, whose
between-imputation spread carries the parameter uncertainty. Draws are ``THIN`` iterations apart after
``BURN_IN``. The imputations are valid when scores are missing at random given the observed scores and
the covariates (e.g. skipped more often after a bad week, or not given after a discharge that followed
the observed course).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from .client_covariates import ClientCovariates
from .dataset import PHQ9_MAX, Dataset

DEFAULT_IMPUTATIONS = 20
DEFAULT_SEED = 2026
BURN_IN = 200
THIN = 10
PRIOR_DF = 3.0  # inverse-Wishart prior on G: q + 1 degrees of freedom, a small scale - weak
PRIOR_SCALE = 0.1
METHOD = (
    "multiple imputation from a linear mixed model (random intercept and time slope per client; the "
    "auxiliary figures on level and slope), fitted by Gibbs sampling; results pooled by Rubin's rules"
)


@dataclass(frozen=True)
class Imputations:
    clients: tuple[str, ...]  # clients with at least one score
    weeks: int
    observed: np.ndarray  # (n, weeks) bool
    completed: np.ndarray  # (m, n, weeks): the observed scores, and draws where they are missing
    auxiliaries: tuple[str, ...]
    seed: int

    @property
    def m(self) -> int:
        return int(self.completed.shape[0])

    @property
    def share_missing(self) -> float:
        return float(1.0 - self.observed.mean()) if self.observed.size else 0.0


_CACHE: dict[tuple[int, int, int, tuple[str, ...]], tuple[weakref.ref[Dataset], Imputations]] = {}


def impute_scores(
    data: Dataset,
    auxiliaries: Mapping[str, Mapping[str, float]],
    *,
    m: int = DEFAULT_IMPUTATIONS,
    seed: int = DEFAULT_SEED,
) -> Imputations:
    """``m`` completed weekly score matrices (clients with at least one score x weeks 0 .. weeks - 1).

    ``auxiliaries`` maps a name to per-client values (a client without one gets the mean). Without a
    missing score every imputation is the observed matrix. Results are cached per data set object.
    """
    key = (id(data), m, seed, tuple(sorted(auxiliaries)))
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is data:
        return cached[1]
    result = _impute(data, m, seed, auxiliaries)

    def forget(_ref: weakref.ref[Dataset]) -> None:
        _CACHE.pop(key, None)

    _CACHE[key] = (weakref.ref(data, forget), result)
    return result


def _impute(data: Dataset, m: int, seed: int, auxiliaries: Mapping[str, Mapping[str, float]]) -> Imputations:
    weeks = data.weeks
    clients = [c for c in data.clients if c.scores]
    n = len(clients)
    y = np.full((n, weeks), np.nan)
    for i, c in enumerate(clients):
        for w, v in c.scores.items():
            y[i, w] = v
    observed = ~np.isnan(y)
    keys = tuple(c.key for c in clients)
    names = tuple(sorted(auxiliaries))
    if observed.all() or n < 3 or weeks < 2:  # nothing to impute, or too little to fit a model to
        return Imputations(keys, weeks, observed, np.repeat(y[None], m, axis=0), names, seed)

    discharged = np.array([c.discharged_week is not None for c in clients])
    covariates, by_discharge = _covariates(
        keys, [c.therapist_key for c in clients], names, auxiliaries, discharged
    )
    groups = discharged.astype(int) if by_discharge else np.zeros(n, dtype=int)
    draws = _gibbs(y, observed, covariates, groups, m, np.random.default_rng(seed))
    return Imputations(keys, weeks, observed, draws, names, seed)


def _covariates(
    keys: Sequence[str],
    therapists: Sequence[str],
    names: Sequence[str],
    auxiliaries: Mapping[str, Mapping[str, float]],
    discharged: np.ndarray,
) -> tuple[ClientCovariates, bool]:
    """Per-client covariates (n, k): an intercept, the standardised auxiliaries, therapist indicators.

    Where enough clients were discharged early, discharge and its interaction with every auxiliary join
    them: a figure measured over a few weeks before a discharge is a noisier guide to the course than one
    measured over all of it, and a single slope for both would impute the discharged clients' ends as if
    they were as predictable as the others' (which inflates correlations with the figure). The second
    value says whether they did (the two groups then also get their own random-effects covariance).
    """
    n = len(keys)
    columns = [np.ones(n)]
    aux = []
    for name in names:
        values = auxiliaries[name]
        known = [values[k] for k in keys if k in values]
        if len(known) < 2 or np.ptp(known) == 0:
            continue
        mean, sd = float(np.mean(known)), float(np.std(known))
        aux.append(np.array([(values[k] - mean) / sd if k in values else 0.0 for k in keys]))
    columns += aux
    n_discharged = int(discharged.sum())
    by_discharge = min(n_discharged, n - n_discharged) >= max(5, 2 * (len(aux) + 1))
    if by_discharge:
        d = discharged.astype(float)
        columns += [d, *(d * a for a in aux)]
    levels = sorted(set(therapists))
    # Therapists as fixed effects on level and slope, while they cost few parameters per client.
    if 1 < len(levels) <= n // 10:
        codes = np.searchsorted(np.array(levels), np.array(therapists))
        return ClientCovariates(np.column_stack(columns), codes, len(levels)), by_discharge
    return ClientCovariates(np.column_stack(columns)), by_discharge


def _gibbs(
    y: np.ndarray,
    observed: np.ndarray,
    covariates: ClientCovariates,
    groups: np.ndarray,
    m: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``m`` completed copies of ``y`` (clients x weeks, NaN where missing) from one Gibbs chain.

    ``groups`` (0, 1, ...) per client: each group has its own random-effects covariance G.
    """
    n, weeks = y.shape
    n_groups = int(groups.max()) + 1
    t = (np.arange(weeks) - (weeks - 1) / 2) / max(1, weeks - 1)  # centred and scaled: the chain mixes better
    k = covariates.width
    p = 2 * k
    # The fixed-effect design of a client-week is the client's covariates on the level and, times the week,
    # on the slope. It is never built (clients x weeks x 2k numbers): every product with it goes through the
    # covariates and the per-client sums over the observed weeks of 1, t and t².
    obs = observed.astype(float)
    t_obs = obs * t[None, :]
    s0, s1, s2 = obs.sum(axis=1), t_obs.sum(axis=1), (t_obs * t[None, :]).sum(axis=1)

    def fixed_part(coef: np.ndarray) -> np.ndarray:  # X b as (clients, weeks)
        return covariates.times(coef[:k])[:, None] + covariates.times(coef[k:])[:, None] * t[None, :]

    def crossprod(r: np.ndarray) -> np.ndarray:  # X'r for r (clients, weeks), 0 where not observed
        return np.concatenate(
            [covariates.transposed_times(r.sum(axis=1)), covariates.transposed_times(r @ t)]
        )

    cross = covariates.gram(s1)
    xtx = np.block([[covariates.gram(s0), cross], [cross, covariates.gram(s2)]])
    z = np.stack([np.ones(weeks), t], axis=1)  # (weeks, 2)
    zz = np.einsum("wa,wb->wab", z, z)  # (weeks, 2, 2)
    obs_y = y[observed]
    n_obs = obs_y.size
    xtx_inv = _inverse(xtx)
    xtx_chol = np.linalg.cholesky(_plus_ridge(xtx_inv, 1e-12))
    ztz = np.einsum("iw,wab->iab", obs, zz)  # (n, 2, 2)
    y0 = np.where(observed, y, 0.0)

    beta = xtx_inv @ crossprod(y0)
    sigma2 = float(np.var(obs_y - fixed_part(beta)[observed])) or 1.0
    g_inv = np.repeat(np.diag([1.0 / sigma2, 1.0 / sigma2])[None], n_groups, axis=0)
    prior = PRIOR_SCALE * np.eye(2)
    saved: list[np.ndarray] = []
    total = BURN_IN + THIN * m
    for it in range(1, total + 1):
        # Random effects given the rest: b_i ~ N(V Z'r / sigma2, V), V = (G^-1 + Z'Z / sigma2)^-1.
        resid = np.where(observed, y0 - fixed_part(beta), 0.0)
        precision = g_inv[groups] + ztz / sigma2
        cov = np.linalg.inv(precision)
        cov = (cov + np.swapaxes(cov, 1, 2)) / 2
        mean = np.einsum("iab,ib->ia", cov, resid @ z) / sigma2
        b = mean + np.einsum("iab,ib->ia", np.linalg.cholesky(cov), rng.standard_normal((n, 2)))
        random_part = b @ z.T  # (n, weeks)
        # Fixed effects given the rest (flat prior).
        target = np.where(observed, y0 - random_part, 0.0)
        beta_hat = xtx_inv @ crossprod(target)
        beta = beta_hat + math.sqrt(sigma2) * (xtx_chol @ rng.standard_normal(p))
        # Residual variance (Jeffreys' prior) and the random-effects covariance (inverse Wishart).
        ssr = float(np.sum(np.where(observed, target - fixed_part(beta), 0.0) ** 2))
        sigma2 = ssr / rng.chisquare(n_obs)
        for j in range(n_groups):
            bj = b[groups == j]
            g = stats.invwishart.rvs(df=len(bj) + PRIOR_DF, scale=bj.T @ bj + prior, random_state=rng)
            g_inv[j] = np.linalg.inv(g)
        if it > BURN_IN and (it - BURN_IN) % THIN == 0:
            draw = fixed_part(beta) + random_part + math.sqrt(sigma2) * rng.standard_normal((n, weeks))
            # Kept inside the questionnaire's range: a straight line continued past 0 or 27 is not a score.
            saved.append(np.where(observed, y, np.clip(draw, 0.0, PHQ9_MAX)))
    return np.stack(saved)


SINGULAR = 1e-12  # squared ratio of the smallest to the largest Cholesky pivot below which X'X is singular


def _inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive semi-definite matrix; the pseudo-inverse where it is singular.

    By Cholesky where it is positive definite: the pseudo-inverse's SVD costs about ten times as much, which
    is minutes for the 8,000 fixed effects of 4,000 therapists (a network of 100,000 clients).
    """
    try:
        factor = linalg.cho_factor(matrix, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return np.linalg.pinv(matrix)
    pivots = np.abs(np.diag(factor[0]))
    if pivots.min() ** 2 <= SINGULAR * pivots.max() ** 2:  # factored, but only by rounding: singular
        return np.linalg.pinv(matrix)
    inverse = linalg.cho_solve(factor, np.eye(len(matrix)), check_finite=False)
    return (inverse + inverse.T) / 2.0


def _plus_ridge(matrix: np.ndarray, ridge: float) -> np.ndarray:
    """matrix + ridge x I, without building the identity (512 MB at 8,000 x 8,000)."""
    out = matrix.copy()
    out[np.diag_indices_from(out)] += ridge
    return out


# --- Rubin's rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """A scalar pooled over m imputations by Rubin's rules (df by Barnard & Rubin 1999)."""

    estimate: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    within: float  # mean within-imputation variance
    between: float  # between-imputation variance
    fmi: float  # fraction of missing information, approximately (B + B/m) / T

    def as_dict(self) -> dict[str, float | None]:
        return {k: _num(getattr(self, k)) for k in ("estimate", "se", "df", "ci_low", "ci_high", "fmi")}


def rubin(
    estimates: Sequence[float], variances: Sequence[float], *, df_complete: float, level: float = 0.95
) -> Pooled:
    """Pool m estimates with their within-imputation variances; ``df_complete`` is the complete-data df."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    qbar, ubar = float(q.mean()), float(u.mean())
    b = float(q.var(ddof=1)) if m > 1 else 0.0
    total = ubar + (1.0 + 1.0 / m) * b
    if b <= 0 or total <= 0:
        df = df_complete
        lam = 0.0
    else:
        lam = (1.0 + 1.0 / m) * b / total
        df_old = (m - 1) / lam**2
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = 1.0 / (1.0 / df_old + 1.0 / df_obs)
    half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(total)
    return Pooled(qbar, math.sqrt(total), df, qbar - half, qbar + half, ubar, b, lam)


def pooled_correlation(
    values: Mapping[str, float], imputations: Sequence[Mapping[str, float]], *, level: float = 0.95
) -> dict[str, float | int | None]:
    """Pearson r of a per-client figure with an imputed one, pooled on Fisher's z by Rubin's rules."""
    keys = [k for k in imputations[0] if k in values]
    n = len(keys)
    if n < 4:
        return {"r": None, "ci_low": None, "ci_high": None, "n": n, "fmi": None}
    x = np.array([values[k] for k in keys])
    zs = []
    for imp in imputations:
        r = float(np.corrcoef(x, np.array([imp[k] for k in keys]))[0, 1])
        zs.append(math.atanh(max(-0.999999, min(0.999999, r))))
    pooled = rubin(zs, [1.0 / (n - 3)] * len(zs), df_complete=float(n - 3), level=level)
    return {
        "r": math.tanh(pooled.estimate),
        "ci_low": math.tanh(pooled.ci_low),
        "ci_high": math.tanh(pooled.ci_high),
        "n": n,
        "fmi": pooled.fmi,
    }


def _num(value: float) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None
