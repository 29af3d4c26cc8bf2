"""Does a therapist's homework competence predict their clients' engagement?

Input: one row per assignment with the therapist's share of applicable steps done in each phase (plan, design,
review; the review share is missing when nothing was due for review, e.g. a client's first homework) and the
client's engagement with that assignment (e.g. the share of planned practices done, 0-1).

Model: ordinary least squares, engagement ~ plan + design + review + no_review, where `no_review` marks the
assignments with nothing to review (their review share is set to 0 and the indicator absorbs the difference,
so first homework is kept rather than dropped).

Clustering: assignments are nested in clients, and clients in therapists, so assignments of one therapist
are not independent (shared style, caseload, setting). The standard errors are cluster-robust by *therapist*
(the top level, which also covers the correlation within clients), with the small-sample correction and t
tests on G - 1 degrees of freedom for G therapists. We chose this over a mixed model with a therapist random
intercept because a clinic has few therapists: the variance of a random intercept is then estimated badly,
and the robust errors do not depend on that model being right. With fewer than `FEW_THERAPISTS` therapists
the cluster-robust errors themselves are unreliable, and the result says that inference is limited.

The slopes are associations across therapists and assignments, not the effect of training anyone: a therapist
who plans thoroughly may also have clients who engage for other reasons. Pure: pandas and statsmodels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

MIN_THERAPISTS = 3  # G - 1 >= 2 degrees of freedom for the t tests
FEW_THERAPISTS = 20  # below this cluster-robust inference is unreliable (say so beside the numbers)
TERMS = ("plan", "design", "review", "no_review")
REQUIRED = ("therapist_id", "client_id", "plan", "design", "review", "engagement")


@dataclass(frozen=True)
class Term:
    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float


@dataclass(frozen=True)
class Fit:
    assignments: int
    clients: int
    therapists: int
    dropped: int  # rows without a plan/design share or an engagement figure
    terms: tuple[Term, ...]
    clustering: str
    limited_inference: bool

    def term(self, name: str) -> Term:
        return next(t for t in self.terms if t.name == name)


@dataclass(frozen=True)
class NoFit:
    assignments: int
    therapists: int
    reason: str


CLUSTERING = (
    "OLS with standard errors clustered by therapist (cluster-robust, small-sample corrected, "
    "t on therapists - 1 df)"
)


def fit(data: pd.DataFrame, alpha: float = 0.05) -> Fit | NoFit:
    """Fit engagement on the phase shares; NoFit (with the reason) when the data cannot support it."""
    missing = [c for c in REQUIRED if c not in data.columns]
    if missing:
        raise ValueError(f"missing columns: {missing}")
    frame = data[list(REQUIRED)].copy()
    usable = frame[["plan", "design", "engagement"]].notna().all(axis=1)
    dropped = int((~usable).sum())
    frame = frame[usable].astype({"plan": float, "design": float, "engagement": float})
    frame["no_review"] = frame["review"].isna().astype(float)
    frame["review"] = frame["review"].astype(float).fillna(0.0)
    therapists = int(frame["therapist_id"].nunique())
    if therapists < MIN_THERAPISTS:
        return NoFit(len(frame), therapists, "at least three therapists are needed to cluster by therapist")
    terms = [t for t in TERMS if frame[t].nunique() > 1]  # a constant column has no slope to estimate
    if "plan" not in terms:
        return NoFit(len(frame), therapists, "the plan-phase share does not vary: there is no slope to fit")
    design = sm.add_constant(frame[terms], has_constant="add")
    if len(frame) <= design.shape[1] or np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        return NoFit(len(frame), therapists, "too few assignments for the model, or the shares move together")
    groups = pd.factorize(frame["therapist_id"])[0]
    result = sm.OLS(frame["engagement"], design).fit(
        cov_type="cluster",
        cov_kwds={"groups": groups, "use_correction": True, "df_correction": True},
        use_t=True,
    )
    ci = result.conf_int(alpha=alpha)
    rows = tuple(
        Term(
            name,
            float(result.params[name]),
            float(result.bse[name]),
            float(ci.loc[name, 0]),
            float(ci.loc[name, 1]),
            float(result.pvalues[name]) if not math.isnan(result.pvalues[name]) else math.nan,
        )
        for name in terms
    )
    return Fit(
        assignments=len(frame),
        clients=int(frame["client_id"].nunique()),
        therapists=therapists,
        dropped=dropped,
        terms=rows,
        clustering=CLUSTERING,
        limited_inference=therapists < FEW_THERAPISTS,
    )
