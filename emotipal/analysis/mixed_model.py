"""Linear mixed models with random effects per group, fitted by REML from per-group sums.

    y_i = X_i b + Z_i u_i + e_i,   u_i ~ N(0, sigma² L L'),   e_i ~ N(0, sigma² I)

for groups i (clients, participants) with q random effects each (a random intercept, or an intercept and a
time slope). The REML criterion is profiled over b and sigma² and minimised over the q(q+1)/2 entries of
the lower-triangular relative factor L, as lme4 does (Bates et al. 2015, J Stat Softw 67(1), section 3).
With M_i = I + L' Z_i'Z_i L (q x q), Woodbury's identity gives everything the criterion needs from the
per-group sums Z_i'Z_i, Z_i'X_i, Z_i'y_i and the totals X'X, X'y, y'y:

    X'W^-1 X = X'X - sum_i (L' Z_i'X_i)' M_i^-1 (L' Z_i'X_i),   log|W| = sum_i log|M_i|

(W = the scores' covariance over sigma²). So one evaluation is a few array operations over the groups of
q x q matrices, where a per-group loop in Python (statsmodels MixedLM's likelihood and score) took 70% of
`emotipal analyse` at 2,000 clients and grows with them. L's diagonal is bounded at 0, not transformed, so
a variance that belongs on the boundary (no spread of slopes) is reached exactly and said.

The log-likelihood is the REML one statsmodels reports (constants included), so likelihood-ratio tests
between models with the same fixed effects read as before; standard errors of b are sigma² (X'W^-1 X)^-1
at the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

FloatArray = np.ndarray

# L-BFGS-B's defaults stop on a relative change in the criterion of about 2e-9; this is tighter, so
# estimates agree with other REML software to the digits a report shows.
_FTOL = 1e-12
_GTOL = 1e-7
_MAXITER = 500
# Below this a relative variance (L's diagonal) is read as "on the boundary": zero.
_BOUNDARY = 1e-6


class MixedModelError(ValueError):
    """The model cannot be fitted to these data (too few groups, a singular design)."""


@dataclass(frozen=True)
class MixedFit:
    """A fitted model: fixed effects with their covariance, random-effects covariance, residual variance."""

    fe_params: FloatArray
    cov_fe: FloatArray
    cov_re: FloatArray  # q x q, in the scores' units (sigma² L L')
    scale: float  # residual variance sigma²
    llf: float  # REML log-likelihood
    converged: bool
    n_obs: int
    n_groups: int
    evaluations: int  # of the REML criterion
    warnings: list[str] = field(default_factory=list)

    @property
    def bse_fe(self) -> FloatArray:
        return np.sqrt(np.diag(self.cov_fe))


@dataclass(frozen=True)
class _GroupSums:
    """The sufficient statistics, the group last so each entry is one contiguous vector over the groups."""

    ztz: FloatArray  # (q, q, G)
    ztx: FloatArray  # (q, p, G)
    zty: FloatArray  # (q, G)
    xtx: FloatArray  # (p, p)
    xty: FloatArray  # (p,)
    yty: float
    n: int

    @property
    def p(self) -> int:
        return self.xtx.shape[0]

    @property
    def q(self) -> int:
        return self.ztz.shape[0]

    @property
    def n_groups(self) -> int:
        return self.ztz.shape[2]


@dataclass(frozen=True)
class _Profile:
    """The criterion at one L, with what the estimates are read from."""

    deviance: float
    beta: FloatArray
    xwx: FloatArray
    rwr: float


def fit_reml(
    endog: FloatArray, exog: FloatArray, groups: FloatArray, exog_re: FloatArray | None = None
) -> MixedFit:
    """Fit by REML; ``exog_re`` None means a random intercept. Raises MixedModelError when it cannot."""
    y = np.asarray(endog, dtype=float)
    x = np.asarray(exog, dtype=float)
    z = np.ones((len(y), 1)) if exog_re is None else np.asarray(exog_re, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    if x.ndim != 2 or len(x) != len(y) or len(z) != len(y) or len(groups) != len(y):
        raise MixedModelError("the scores, the fixed and random designs and the groups differ in length")
    if not (np.isfinite(y).all() and np.isfinite(x).all() and np.isfinite(z).all()):
        raise MixedModelError("the data hold missing or infinite values")
    _, member_of = np.unique(np.asarray(groups), return_inverse=True)
    sums = _group_sums(y, x, z, member_of.ravel())
    n_groups = sums.n_groups
    if n_groups < 2 or sums.n <= sums.p:
        raise MixedModelError("too few groups or observations for the model")
    if np.linalg.matrix_rank(sums.xtx) < sums.p:
        raise MixedModelError("the fixed-effects design is singular (a column repeats another)")

    q = sums.q
    lower = np.tril_indices(q)
    on_diagonal = lower[0] == lower[1]
    bounds = [(0.0, None) if d else (None, None) for d in on_diagonal]
    start = np.where(on_diagonal, 1.0, 0.0)  # lme4's start: random effects as variable as the residual

    def criterion(theta: FloatArray) -> float:
        return _profile(sums, _factor(theta, q, lower)).deviance

    best = optimize.minimize(
        criterion,
        start,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": _FTOL, "gtol": _GTOL, "maxiter": _MAXITER},
    )
    # A derivative-free search from where it stopped settles the hard cases, and pins the optimum down where
    # the criterion is flat: L-BFGS-B stops when the deviance no longer falls by 1e-12 of itself, which leaves
    # the variance parameters uncertain to about 1e-6 relative, and the machine's rounding picks where (on
    # sleepstudy the intercept's standard error came out 3.6e-6 from lme4's on one machine, 1e-8 on another).
    polished = optimize.minimize(
        criterion, best.x, method="Powell", bounds=bounds, options={"xtol": 1e-8, "ftol": 1e-13}
    )
    chosen = polished if polished.fun <= best.fun else best
    theta = np.where(on_diagonal & (np.abs(chosen.x) < _BOUNDARY), 0.0, chosen.x)
    factor = _factor(theta, q, lower)
    fit = _profile(sums, factor)
    dof = sums.n - sums.p
    scale = fit.rwr / dof
    messages = []
    if np.any(np.diag(factor) == 0.0):
        messages.append("a random-effect variance is estimated at zero (on the boundary of its range)")
    return MixedFit(
        fe_params=fit.beta,
        cov_fe=_symmetric(scale * np.linalg.inv(fit.xwx)),
        cov_re=_symmetric(scale * factor @ factor.T),
        scale=scale,
        llf=-0.5 * (fit.deviance + dof * (1.0 + math.log(2.0 * math.pi))),
        converged=bool(best.success or chosen.success) and math.isfinite(fit.deviance),
        n_obs=sums.n,
        n_groups=n_groups,
        evaluations=int(best.nfev) + int(polished.nfev),
        warnings=messages,
    )


def _symmetric(matrix: FloatArray) -> FloatArray:
    """Exactly symmetric (rounding leaves the two triangles a last digit apart)."""
    return (matrix + matrix.T) / 2.0


def _group_sums(y: FloatArray, x: FloatArray, z: FloatArray, member_of: FloatArray) -> _GroupSums:
    """Per-group cross-products by one weighted count per entry (no per-group loop, no n x q x p array)."""
    n_groups = int(member_of.max()) + 1
    q, p = z.shape[1], x.shape[1]

    def per_group(weights: FloatArray) -> FloatArray:
        return np.bincount(member_of, weights=weights, minlength=n_groups)

    ztz = np.empty((q, q, n_groups))
    for a in range(q):
        for b in range(a, q):
            ztz[a, b] = ztz[b, a] = per_group(z[:, a] * z[:, b])
    ztx = np.array([[per_group(z[:, a] * x[:, b]) for b in range(p)] for a in range(q)])
    zty = np.array([per_group(z[:, a] * y) for a in range(q)])
    return _GroupSums(ztz, ztx, zty, x.T @ x, x.T @ y, float(y @ y), len(y))


def _factor(theta: FloatArray, q: int, lower: tuple[FloatArray, FloatArray]) -> FloatArray:
    factor = np.zeros((q, q))
    factor[lower] = theta
    return factor


def _profile(sums: _GroupSums, factor: FloatArray) -> _Profile:
    """-2 x the REML log-likelihood, less its constants, with b and sigma² profiled out.

    Products over the small dimensions (q, p) are written out, each a vector operation over the groups.
    """
    q = sums.q
    lt = factor.T
    # M_g = I + L' (Z'Z)_g L, B_g = L' (Z'X)_g, c_g = L' (Z'y)_g
    m = np.tensordot(np.tensordot(lt, sums.ztz, axes=(1, 0)), factor, axes=(1, 0)).transpose(0, 2, 1)
    for a in range(q):
        m[a, a] += 1.0
    b = np.tensordot(lt, sums.ztx, axes=(1, 0))
    c = lt @ sums.zty
    m_inv, logdet_m = _inverse_and_logdet(m)
    mb = np.zeros_like(b)
    mc = np.zeros_like(c)
    for a in range(q):
        for k in range(q):
            mb[a] += m_inv[a, k] * b[k]
            mc[a] += m_inv[a, k] * c[k]
    xwx = sums.xtx - sum(b[a] @ mb[a].T for a in range(q))
    xwy = sums.xty - sum(b[a] @ mc[a] for a in range(q))
    ywy = sums.yty - float(sum(c[a] @ mc[a] for a in range(q)))
    sign, logdet_xwx = np.linalg.slogdet(xwx)
    if sign <= 0:
        return _Profile(math.inf, np.full(sums.p, np.nan), xwx, math.nan)
    beta = np.linalg.solve(xwx, xwy)
    rwr = ywy - float(beta @ xwy)
    if not rwr > 0:
        return _Profile(math.inf, beta, xwx, rwr)
    dof = sums.n - sums.p
    deviance = float(logdet_m.sum()) + logdet_xwx + dof * math.log(rwr / dof)
    return _Profile(deviance, beta, xwx, rwr)


def _inverse_and_logdet(m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverses and log-determinants of a stack (q, q, G) of symmetric positive definite matrices.

    In closed form for 1 x 1 and 2 x 2 (a random intercept, with or without a slope): numpy's batched
    solver costs about a microsecond per matrix, which would be most of an evaluation at 100,000 groups.
    """
    q = m.shape[0]
    if q == 1:
        return 1.0 / m, np.log(m[0, 0])
    if q == 2:
        a, b, d = m[0, 0], m[0, 1], m[1, 1]
        det = a * d - b * b
        return np.array([[d / det, -b / det], [-b / det, a / det]]), np.log(det)
    stacked = np.moveaxis(m, 2, 0)
    _, logdet = np.linalg.slogdet(stacked)
    return np.moveaxis(np.linalg.inv(stacked), 0, 2), logdet
