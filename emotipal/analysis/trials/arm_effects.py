"""Arm effects of a randomised experiment: intention-to-treat comparisons with robust standard errors.

Every participant is analysed in the arm they were allocated (intention to treat); a participant without the
outcome (or without a covariate) is left out and counted. For each arm other than the reference,
:func:`compare_arms` fits one least-squares model over all arms, ``outcome ~ arm + covariates`` (the
covariates centred, so with a baseline score it is ANCOVA), and reports the arm's coefficient:

* **unit = participant**: HC2 standard errors (each squared residual divided by 1 - its leverage). Without
  covariates the difference is the difference in means and its HC2 standard error is Welch's
  (s1^2/n1 + s2^2/n2)^1/2; with the Welch-Satterthwaite degrees of freedom the interval and p-value are
  exactly Welch's t test. With covariates the degrees of freedom are Bell-McCaffrey's (below).
* **unit = therapist or clinic** (``cluster``): the cluster-robust CR2 sandwich (Bell & McCaffrey 2002),
  with their degrees of freedom, which can be far below G - 1 when few clusters are in an arm (Imbens &
  Kolesar 2016; Pustejovsky & Tipton 2018). With a handful of clusters the interval is wide, as it should be.

Effect size: Hedges' g, the (adjusted) difference over the pooled SD of the outcome in the two arms, times
J = 1 - 3 / (4 (n1 + n2) - 9). Its interval is the usual large-sample one, g +- z (
(n1 + n2) / (n1 n2) + g^2 / (2 (n1 + n2)) )^1/2 (Hedges & Olkin 1985), for an unadjusted comparison of
participants; with covariates or clusters it is the difference's own (robust) interval on the same scale
(times J / pooled SD), so it carries the adjustment and the clustering.

:func:`time_by_arm` fits the mixed model of weekly scores, ``score ~ week * arm`` with a random intercept and
slope per participant, and reports the week-by-arm interaction: how much faster (points per week) the arm's
scores change than the reference's.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from emotipal.analysis.compliance.dataset import AnalysisInputError
from emotipal.analysis.mixed_model import MixedFit, MixedModelError, fit_reml

MIN_PER_ARM = 2  # participants with the outcome needed in each arm compared


@dataclass(frozen=True)
class ArmComparison:
    outcome: str
    arm: str
    reference: str
    n_arm: int
    n_reference: int
    mean_arm: float
    mean_reference: float
    difference: float  # arm minus reference; adjusted for `adjusted_for` when given
    ci_low: float
    ci_high: float
    p: float
    se_method: str
    effect_size: float
    es_ci_low: float
    es_ci_high: float
    es_name: str
    adjusted_for: tuple[str, ...] = ()
    se: float = math.nan
    df: float = math.nan
    n_missing_arm: int = 0  # allocated to the arm but left out: no outcome (or no covariate)
    n_missing_reference: int = 0
    level: float = 0.95


@dataclass(frozen=True)
class TimeByArm:
    arm: str
    reference: str
    estimate: float  # the arm's weekly slope minus the reference's (score points per week)
    ci_low: float
    ci_high: float
    p: float
    n_participants: int
    n_observations: int
    model: str


# --- robust covariances ----------------------------------------------------------------------------------


def _inverse_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric inverse square root, with (numerically) zero eigenvalues left at zero."""
    values, vectors = np.linalg.eigh(matrix)
    inv = np.where(values > 1e-12, 1.0 / np.sqrt(np.clip(values, 1e-300, None)), 0.0)
    return (vectors * inv) @ vectors.T


def cluster_robust_covariance(
    x: np.ndarray, residuals: np.ndarray, groups: np.ndarray | None = None, *, kind: str = "CR2"
) -> np.ndarray:
    """The sandwich covariance of least-squares coefficients, clustered by `groups` (None: each row alone).

    ``kind="CR2"``: each cluster's residuals are multiplied by (I - H_gg)^(-1/2) (Bell & McCaffrey); with
    every row its own cluster this is HC2. ``kind="CR1"``: the plain sandwich times G/(G-1) (N-1)/(N-K),
    statsmodels' ``cov_type="cluster"``.
    """
    n, k = x.shape
    bread = np.linalg.pinv(x.T @ x)
    labels = np.arange(n) if groups is None else np.asarray(groups)
    _, index = np.unique(labels, return_inverse=True)
    n_groups = int(index.max()) + 1
    if kind == "CR2":
        if groups is None:
            leverage = np.einsum("ij,jk,ik->i", x, bread, x)
            adjusted = residuals / np.sqrt(np.clip(1.0 - leverage, 1e-12, None))
            scores = x * adjusted[:, None]
            meat = scores.T @ scores
        else:
            meat = np.zeros((k, k))
            for g in range(n_groups):
                rows = index == g
                xg = x[rows]
                a_g = _inverse_sqrt(np.eye(int(rows.sum())) - xg @ bread @ xg.T)
                u = xg.T @ (a_g @ residuals[rows])
                meat += np.outer(u, u)
        return bread @ meat @ bread
    if kind == "CR1":
        sums = np.zeros((n_groups, k))
        np.add.at(sums, index, x * residuals[:, None])
        factor = n_groups / (n_groups - 1) * (n - 1) / (n - k)
        return factor * bread @ (sums.T @ sums) @ bread
    raise ValueError(f"unknown kind {kind!r} (CR1 or CR2)")


def bell_mccaffrey_df(x: np.ndarray, contrast: np.ndarray, groups: np.ndarray | None = None) -> float:
    """The Bell-McCaffrey degrees of freedom of the CR2 (HC2 without groups) variance of contrast' beta.

    Under a working model of independent homoskedastic errors the variance estimate is y'PP'y with one
    column of P per cluster; its Satterthwaite df are tr(P'P)^2 / tr((P'P)^2). With P'P = D - C'C
    (D the clusters' squared weights, C = Q'W for an orthonormal basis Q of the design) both traces need only
    k x k products, so HC2 with n rows costs O(n k^2).
    """
    n, _k = x.shape
    bread = np.linalg.pinv(x.T @ x)
    a = x @ bread @ contrast  # the contrast's weights on the observations
    q, _ = np.linalg.qr(x)
    labels = np.arange(n) if groups is None else np.asarray(groups)
    _, index = np.unique(labels, return_inverse=True)
    n_groups = int(index.max()) + 1
    if groups is None:
        leverage = np.einsum("ij,ij->i", q, q)
        w = a / np.sqrt(np.clip(1.0 - leverage, 1e-12, None))
        d = w * w
        c = q.T * w[None, :]  # column i = Q_i' w_i
    else:
        d = np.zeros(n_groups)
        c = np.zeros((q.shape[1], n_groups))
        for g in range(n_groups):
            rows = index == g
            qg = q[rows]
            w_g = _inverse_sqrt(np.eye(int(rows.sum())) - qg @ qg.T) @ a[rows]
            d[g] = float(w_g @ w_g)
            c[:, g] = qg.T @ w_g
    col = np.einsum("ij,ij->j", c, c)
    cct = c @ c.T
    trace = float(d.sum() - col.sum())
    trace_sq = float((d * d).sum() - 2.0 * (d * col).sum() + (cct * cct).sum())
    return trace * trace / trace_sq if trace_sq > 0 else math.nan


# --- the comparison --------------------------------------------------------------------------------------


def welch_df(v1: float, n1: int, v0: float, n0: int) -> float:
    """Welch-Satterthwaite degrees of freedom of a difference of two means with variances v1, v0."""
    a, b = v1 / n1, v0 / n0
    denominator = a * a / (n1 - 1) + b * b / (n0 - 1)
    return (a + b) ** 2 / denominator if denominator > 0 else math.nan


def hedges_g(difference: float, sd_pooled: float, n1: int, n2: int) -> tuple[float, float]:
    """Hedges' g (J-corrected) and its large-sample standard error (Hedges & Olkin 1985)."""
    j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
    g = j * difference / sd_pooled if sd_pooled > 0 else math.nan
    se = math.sqrt((n1 + n2) / (n1 * n2) + g * g / (2.0 * (n1 + n2)))
    return g, se


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisInputError(
            f"column(s) {', '.join(repr(c) for c in missing)} not in the data (it has: "
            f"{', '.join(map(str, frame.columns))})"
        )


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The column as floats (NaN where missing); a value that is not a number is an error."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=float, na_value=np.nan)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        raise AnalysisInputError(f"column {column!r}: {raw[bad].iloc[0]!r} is not a number")
    return values.to_numpy(dtype=float, na_value=np.nan)


def _labels(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    if values.isna().any():
        raise AnalysisInputError(f"{int(values.isna().sum())} row(s) have no {column!r}")
    return np.array([str(v) for v in values.to_numpy(dtype=object)])


def compare_arms(
    frame: pd.DataFrame,
    outcome: str,
    *,
    arm: str = "arm",
    reference: str,
    cluster: str | None = None,
    covariates: Sequence[str] = (),
    level: float = 0.95,
) -> list[ArmComparison]:
    """One intention-to-treat comparison per non-reference arm (sorted by arm key); see the module docstring.

    Rows without the outcome or a covariate are left out (counted per arm in `n_missing_*`); rows without
    an arm, or without a cluster when one is given, are an error: every allocated participant has both.
    """
    if not 0.0 < level < 1.0:
        raise AnalysisInputError(f"level must lie strictly between 0 and 1 (got {level})")
    covariates = tuple(covariates)
    _require(frame, [arm, outcome, *covariates, *([cluster] if cluster else [])])
    arms_all = _labels(frame, arm)
    groups_all = _labels(frame, cluster) if cluster else None
    present = set(arms_all.tolist())
    if reference not in present:
        raise AnalysisInputError(
            f"reference arm {reference!r} is not among the arms ({', '.join(sorted(present))})"
        )
    y_all = _numeric(frame, outcome)
    keep = ~np.isnan(y_all)
    cov_all = [_numeric(frame, c) for c in covariates]
    for c in cov_all:
        keep &= ~np.isnan(c)
    dropped = arms_all[~keep]
    missing_by_arm = {key: int((dropped == key).sum()) for key in present}
    arms = arms_all[keep]
    y = y_all[keep]
    others = sorted(present - {reference})
    if not others:
        raise AnalysisInputError(f"only the reference arm {reference!r} is in the data: nothing to compare")
    for key in [reference, *others]:
        n_key = int((arms == key).sum())
        if n_key < MIN_PER_ARM:
            raise AnalysisInputError(
                f"{outcome}: arm {key!r} has {n_key} participant(s) with the outcome; at least {MIN_PER_ARM} "
                "are needed in every arm"
            )
    columns = [np.ones(len(y))] + [(arms == key).astype(float) for key in others]
    for c in cov_all:
        values = c[keep]
        columns.append(values - values.mean())
    x = np.column_stack(columns)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise AnalysisInputError(
            f"{outcome}: the covariates ({', '.join(covariates)}) are constant or collinear with the arms"
        )
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    groups = groups_all[keep] if groups_all is not None else None
    n_clusters = len(np.unique(groups)) if groups is not None else 0
    if groups is not None and n_clusters < 3:
        raise AnalysisInputError(
            f"{outcome}: {n_clusters} cluster(s) ({cluster}) with the outcome; cluster-robust errors need at "
            "least 3 (and are only trustworthy with many more)"
        )
    covariance = cluster_robust_covariance(x, residuals, groups, kind="CR2")
    result = []
    for j, key in enumerate(others, start=1):
        contrast = np.zeros(x.shape[1])
        contrast[j] = 1.0
        se = math.sqrt(max(float(covariance[j, j]), 0.0))
        in_arm, in_ref = arms == key, arms == reference
        n1, n0 = int(in_arm.sum()), int(in_ref.sum())
        y1, y0 = y[in_arm], y[in_ref]
        v1, v0 = float(np.var(y1, ddof=1)), float(np.var(y0, ddof=1))
        if groups is None and not covariates:
            df = welch_df(v1, n1, v0, n0)
        else:
            df = bell_mccaffrey_df(x, contrast, groups)
        difference = float(beta[j])
        t_crit = float(stats.t.ppf(0.5 + level / 2.0, df)) if math.isfinite(df) else math.nan
        p = float(2.0 * stats.t.sf(abs(difference) / se, df)) if se > 0 else math.nan
        sd_pooled = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
        g, se_g = hedges_g(difference, sd_pooled, n1, n0)
        if groups is None and not covariates:
            se_method = f"HC2 (= Welch), Welch-Satterthwaite df {df:.1f}"
        elif groups is None:
            se_method = f"HC2, Bell-McCaffrey df {df:.1f}"
        else:
            se_method = f"cluster-robust (CR2, Bell-McCaffrey df {df:.1f}), {n_clusters} clusters ({cluster})"
        if groups is None and not covariates:
            z = float(stats.norm.ppf(0.5 + level / 2.0))
            es_low, es_high = g - z * se_g, g + z * se_g
            es_name = "Hedges' g (pooled SD; CI by the large-sample approximation of Hedges & Olkin)"
        else:
            scale = g / difference if difference != 0 else _j(n1, n0) / sd_pooled
            low, high = difference - t_crit * se, difference + t_crit * se
            es_low, es_high = sorted((scale * low, scale * high))
            how = "cluster-robust" if groups is not None else "HC2"
            adjusted = "adjusted difference over the raw pooled SD" if covariates else "pooled SD"
            es_name = f"Hedges' g ({adjusted}; CI: the difference's {how} CI on the same scale)"
        result.append(
            ArmComparison(
                outcome=outcome,
                arm=key,
                reference=reference,
                n_arm=n1,
                n_reference=n0,
                mean_arm=float(y1.mean()),
                mean_reference=float(y0.mean()),
                difference=difference,
                ci_low=difference - t_crit * se,
                ci_high=difference + t_crit * se,
                p=p,
                se_method=se_method,
                effect_size=g,
                es_ci_low=es_low,
                es_ci_high=es_high,
                es_name=es_name,
                adjusted_for=covariates,
                se=se,
                df=df,
                n_missing_arm=int(missing_by_arm.get(key, 0)),
                n_missing_reference=int(missing_by_arm.get(reference, 0)),
                level=level,
            )
        )
    return result


def _j(n1: int, n0: int) -> float:
    return 1.0 - 3.0 / (4.0 * (n1 + n0) - 9.0)


# --- weekly scores: the mixed model ----------------------------------------------------------------------

MODEL_SLOPE = "linear mixed model (REML): score ~ week * arm, random intercept and week slope per participant"
MODEL_INTERCEPT = "linear mixed model (REML): score ~ week * arm, random intercept per participant"


def time_by_arm(
    weekly: pd.DataFrame,
    *,
    score: str = "score",
    week: str = "week",
    participant: str = "participant",
    arm: str = "arm",
    reference: str,
    cluster: str | None = None,
) -> list[TimeByArm]:
    """The week-by-arm interaction of the mixed model, one per non-reference arm (sorted by key).

    The random-slope model is fitted first; if it fails or does not converge, the random-intercept model is
    used and `model` says so. Rows without a score are left out (the likelihood of the observed scores is
    valid when scores are missing at random given the model). With `cluster` (the unit randomised was a
    therapist or clinic) `model` says that the clusters are not in the model.
    """
    _require(weekly, [score, week, participant, arm, *([cluster] if cluster else [])])
    frame = weekly.loc[weekly[score].notna()].copy()
    y = _numeric(frame, score)
    t = _numeric(frame, week)
    arms = frame[arm].astype(str).to_numpy()
    people = frame[participant].astype(str).to_numpy()
    if reference not in set(arms):
        raise AnalysisInputError(
            f"reference arm {reference!r} is not among the arms ({', '.join(sorted(set(arms)))})"
        )
    others = sorted(set(arms) - {reference})
    if not others:
        raise AnalysisInputError(f"only the reference arm {reference!r} is in the data: nothing to compare")
    per_person = pd.DataFrame({"p": people, "a": arms}).groupby("p")["a"].nunique()
    if (per_person > 1).any():
        raise AnalysisInputError(
            f"participant {per_person[per_person > 1].index[0]!r} appears in more than one arm"
        )
    n_people = len(per_person)
    for key in [reference, *others]:
        count = len(set(people[arms == key]))
        if count < MIN_PER_ARM:
            raise AnalysisInputError(f"arm {key!r} has {count} participant(s) with weekly scores")
    dummies = [(arms == key).astype(float) for key in others]
    x = np.column_stack([np.ones(len(y)), t, *dummies, *(d * t for d in dummies)])
    fitted, model, caught = _fit_mixed(y, x, people, t)
    if fitted is None:
        raise AnalysisInputError(f"the mixed model could not be fitted: {model}")
    params = np.asarray(fitted.fe_params)
    bse = np.asarray(fitted.bse_fe)
    z95 = float(stats.norm.ppf(0.975))
    if cluster:
        n_clusters = len(set(frame[cluster].astype(str)))
        model += (
            f"; allocated by {cluster} ({n_clusters} clusters), which the model does not include: its "
            "intervals treat participants of one cluster as independent and may be too narrow"
        )
    if caught:
        model += "; warnings: " + "; ".join(caught)
    result = []
    for j, key in enumerate(others):
        col = 2 + len(others) + j
        estimate, se = float(params[col]), float(bse[col])
        result.append(
            TimeByArm(
                arm=key,
                reference=reference,
                estimate=estimate,
                ci_low=estimate - z95 * se,
                ci_high=estimate + z95 * se,
                p=float(2.0 * stats.norm.sf(abs(estimate) / se)) if se > 0 else math.nan,
                n_participants=n_people,
                n_observations=len(y),
                model=model,
            )
        )
    return result


def _fit_mixed(
    y: np.ndarray, x: np.ndarray, groups: np.ndarray, t: np.ndarray
) -> tuple[MixedFit | None, str, list[str]]:
    """(result, model description, warnings): random slope first, else random intercept with the reason."""
    reason = ""
    for exog_re, description in (
        (np.column_stack([np.ones(len(t)), t]), MODEL_SLOPE),
        (None, MODEL_INTERCEPT),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fit_reml(y, x, groups, exog_re)
            except (np.linalg.LinAlgError, MixedModelError) as exc:
                reason = f"the random-slope model failed ({exc})"
                continue
        if result.converged and np.all(np.isfinite(result.bse_fe)):
            if exog_re is None:
                description += f" ({reason or 'the random-slope model did not converge'})"
            messages = sorted({str(w.message).splitlines()[0] for w in caught} | set(result.warnings))
            return result, description, messages
        reason = "the random-slope model did not converge"
    return None, reason or "no model converged", []
