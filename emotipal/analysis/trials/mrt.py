"""The causal excursion effect of a reminder in a micro-randomised trial (MRT), by weighted and centred least squares.

Pure Python (numpy, pandas, scipy). The method is WCLS from Boruvka, Almirall, Witkiewitz & Murphy (2018),
"Assessing time-varying causal effect moderation in mobile health", *JASA* 113(523), 1112-1121.

How EmotiPal's reminders map to the columns
-------------------------------------------
One row per **decision point**: each planned practice day of a client, at the client's reminder time.

* ``participant``: the client (any hashable id); the robust variance is clustered on it.
* ``decision``: the decision index within the client (0, 1, 2, ... in time order); one row per client and
  index.
* ``available``: 1/True if a reminder could be sent at that point, 0/False if not: the practice was already
  done that day, reminders were paused, or the reminder time fell in quiet hours. Unavailable points are not
  randomised; they are excluded from the analysis (and counted).
* ``probability``: the randomisation probability of sending the reminder at that point, as the trial's design
  stated it (constant, or changing with time in treatment or with the client's history). Strictly between 0
  and 1 at available points; ignored (may be missing) where not available.
* ``treated``: 1 if the reminder was sent, 0 if not. Must be 0 (or missing) where not available.
* ``outcome``: the proximal outcome, 1 if the practice was started within the stated window after the
  decision point, else 0 (any numeric outcome works; a binary one gives a risk difference).
* moderators, e.g. ``day`` (days in treatment at the decision point): the effect is modelled as
  ``beta_0 + beta_1 * day``, so ``beta_1`` says how the reminder's effect changes per day in treatment.
* control covariates, e.g. whether the client practised the day before: they enter only the model of the
  outcome without a reminder and sharpen the estimate; they do not change what is estimated.

The estimator
-------------
Among available points, with ``A`` the reminder, ``p`` its randomisation probability and ``p~`` the numerator
probability (a constant: the mean of ``p`` over available points unless given), each point gets the weight::

    W = (p~ / p) ** A * ((1 - p~) / (1 - p)) ** (1 - A)

and ``Y`` is regressed by weighted least squares on ``[g(H) alpha, (A - p~) f(S) beta]`` with
``f(S) = (1, S)`` (S = the moderators) and ``g(H) = (1, S, controls)``. Because ``E[W (A - p~) | H] = 0`` the
estimate of ``beta`` stays consistent however wrong the working model ``g(H) alpha`` is, and when the design
probability depends on the history the weights remove the confounding that an unweighted regression suffers.
``beta`` is the causal excursion effect: the change in the expected proximal outcome from sending a reminder
rather than not at an available decision point, the past following the trial's actual policy, averaged over
available points (and, with moderators, its linear dependence on them). With a binary outcome and this
identity link it is a risk difference.

The variance is the sandwich clustered by participant, ``B^-1 M B^-1`` with ``B = sum_i X_i' W_i X_i``. By
default ``M`` uses the Mancl & DeRouen (2001) small-sample correction, as in the MRT literature (Boruvka et
al. 2018; Liao et al. 2016): each participant's residuals are replaced by ``(I - H_ii)^-1 e_i`` with
``H_ii = X_i B^-1 X_i' W_i``, so ``M = sum_i X_i' W_i (I - H_ii)^-1 e_i e_i' (I - H_ii)^-T W_i X_i``.
``correction="none"`` gives the plain cluster-robust sandwich. Confidence intervals and p-values use t with
``n_participants - (dim alpha + dim beta)`` degrees of freedom. The randomisation probabilities are taken as
known (they are the design's) and the numerator ``p~`` as fixed; no variance term is added for estimating
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

# The fewest participants (clusters) the analysis accepts: a cluster-robust variance needs several.
MIN_PARTICIPANTS = 3

CORRECTIONS = ("mancl-derouen", "none")


class MRTInputError(ValueError):
    """The data or arguments cannot be analysed; the message names the column or the problem."""


@dataclass(frozen=True)
class Term:
    """One coefficient: its estimate, robust standard error, confidence interval and two-sided t-test p-value."""

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float


@dataclass(frozen=True)
class Excursion:
    """The fitted causal excursion effect.

    ``effect`` holds beta: ``"intercept"`` (the effect where every moderator is 0; with no moderators, the
    effect averaged over available decision points) then one term per moderator (the change in the effect per
    unit of it). ``control`` holds alpha, the working model of the outcome without a reminder: ``"intercept"``,
    the moderators, then the controls.
    """

    effect: tuple[Term, ...]
    control: tuple[Term, ...]
    n_participants: int
    n_decisions: int
    n_available: int
    numerator_probability: float | str
    df: int
    level: float
    correction: str = "mancl-derouen"

    @property
    def n_unavailable(self) -> int:
        return self.n_decisions - self.n_available

    def term(self, name: str) -> Term:
        """The effect term called ``name`` (``"intercept"`` or a moderator)."""
        for term in self.effect:
            if term.name == name:
                return term
        raise KeyError(name)

    def summary(self) -> str:
        """Plain English lines: the data used, the method, then each effect term."""
        pct = f"{100 * self.level:g}%"
        numerator = (
            f"{self.numerator_probability:.3g}"
            if isinstance(self.numerator_probability, float)
            else self.numerator_probability
        )
        variance = (
            "with the Mancl-DeRouen small-sample correction"
            if self.correction == "mancl-derouen"
            else "without a small-sample correction"
        )
        lines = [
            "Causal excursion effect of a reminder on the proximal outcome "
            "(weighted and centred least squares, Boruvka et al. 2018).",
            f"{self.n_participants} participants, {self.n_decisions} decision points, "
            f"{self.n_available} available ({self.n_unavailable} not available, excluded).",
            f"Numerator probability {numerator}; robust standard errors clustered by participant {variance}; "
            f"{pct} confidence intervals and p-values from t with {self.df} degrees of freedom.",
        ]
        moderators = [t.name for t in self.effect[1:]]
        for term in self.effect:
            # Enough decimals for the standard error's second significant digit, at least three.
            d = 3 if not term.se > 0 else int(min(8, max(3, 1 - np.floor(np.log10(term.se)))))
            interval = f"{term.estimate:+.{d}f} ({pct} CI {term.ci_low:+.{d}f} to {term.ci_high:+.{d}f}, {_p(term.p)})"
            if term.name == "intercept" and not moderators:
                lines.append(
                    f"Effect of sending a reminder, averaged over available decision points: {interval}."
                )
            elif term.name == "intercept":
                at = " and ".join(f"{m} = 0" for m in moderators)
                lines.append(f"Effect of sending a reminder when {at}: {interval}.")
            else:
                lines.append(f"Change in the effect per unit of {term.name}: {interval}.")
        return "\n".join(lines)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def excursion_effect(
    data: pd.DataFrame,
    *,
    participant: str = "participant",
    decision: str = "decision",
    available: str = "available",
    probability: str = "probability",
    treated: str = "treated",
    outcome: str = "outcome",
    moderators: Sequence[str] = (),
    control: Sequence[str] = (),
    numerator: float | None = None,
    level: float = 0.95,
    correction: Literal["mancl-derouen", "none"] = "mancl-derouen",
) -> Excursion:
    """Estimate the causal excursion effect of a reminder by WCLS (see the module docstring).

    ``moderators`` are the columns S the effect may vary with (e.g. ``("day",)`` for time in treatment);
    ``control`` are further columns of the working outcome model. ``numerator`` is the constant numerator
    probability p~ (default: the mean randomisation probability over available points). Raises
    :class:`MRTInputError` for unusable data.
    """
    moderators = list(moderators)
    control = list(control)
    if not isinstance(data, pd.DataFrame):
        raise MRTInputError("data must be a pandas DataFrame with one row per decision point")
    if not 0 < level < 1:
        raise MRTInputError(f"level must be between 0 and 1 (got {level!r})")
    if correction not in CORRECTIONS:
        raise MRTInputError(f"correction must be one of {', '.join(CORRECTIONS)} (got {correction!r})")
    _check_names(moderators, control)
    required = [participant, decision, available, probability, treated, outcome, *moderators, *control]
    missing = [c for c in dict.fromkeys(required) if c not in data.columns]
    if missing:
        raise MRTInputError(
            f"column(s) {', '.join(repr(c) for c in missing)} missing from the data "
            f"(it has: {', '.join(repr(str(c)) for c in data.columns)})"
        )
    if data.empty:
        raise MRTInputError("the data has no decision points")
    if data[participant].isna().any():
        raise MRTInputError(f"column {participant!r} (participant) has missing values")
    if data[decision].isna().any():
        raise MRTInputError(f"column {decision!r} (decision index) has missing values")
    if data.duplicated([participant, decision]).any():
        raise MRTInputError(
            f"columns {participant!r} and {decision!r} repeat: each participant's decision point "
            "must appear once"
        )

    avail = _indicator(data[available])
    if avail is None:
        raise MRTInputError(
            f"column {available!r} (available) must be 0/1 or True/False with no missing values"
        )
    sent_unavailable = data[treated].to_numpy()[~avail]
    n_bad = int((pd.notna(sent_unavailable) & (sent_unavailable != 0)).sum())
    if n_bad:
        raise MRTInputError(
            f"column {treated!r} says a reminder was sent at {n_bad} decision point(s) where {available!r} "
            "is 0: reminders are randomised only at available points"
        )
    rows = data.loc[avail, list(dict.fromkeys(required))]
    n_decisions = len(data)
    n_available = len(rows)
    if n_available == 0:
        raise MRTInputError(f"no decision point is available (column {available!r} is 0 everywhere)")
    sent = _indicator(rows[treated])
    if sent is None:
        raise MRTInputError(
            f"column {treated!r} (reminder sent) must be 0/1 or True/False at every available decision point"
        )

    p = _numeric(rows[probability], probability, "randomisation probability")
    if not ((p > 0) & (p < 1)).all():
        raise MRTInputError(
            f"column {probability!r} (randomisation probability) must be strictly between 0 and 1 at every "
            f"available decision point ({int((~((p > 0) & (p < 1))).sum())} outside)"
        )
    y = _numeric(rows[outcome], outcome, "proximal outcome")
    s = np.column_stack([_numeric(rows[c], c, "moderator") for c in moderators]) if moderators else None
    h = np.column_stack([_numeric(rows[c], c, "control") for c in control]) if control else None
    a = sent.astype(float)

    if numerator is None:
        p_tilde = float(p.mean())
    else:
        if not isinstance(numerator, int | float) or not 0 < numerator < 1:
            raise MRTInputError(f"numerator must be strictly between 0 and 1 (got {numerator!r})")
        p_tilde = float(numerator)

    n_participants = int(rows[participant].nunique())
    dim = 2 * (1 + len(moderators)) + len(control)
    df = n_participants - dim
    if n_participants < MIN_PARTICIPANTS or df < 1:
        raise MRTInputError(
            f"too few participants with an available decision point: {n_participants} (column "
            f"{participant!r}); the model has {dim} coefficients and needs at least "
            f"{max(MIN_PARTICIPANTS, dim + 1)}"
        )
    if a.min() == a.max():
        raise MRTInputError(
            f"column {treated!r}: a reminder was {'sent' if a[0] else 'not sent'} at every available decision "
            "point, so its effect cannot be estimated"
        )

    ones = np.ones((n_available, 1))
    parts_f = [ones] if s is None else [ones, s]
    f = np.hstack(parts_f)
    g = np.hstack(parts_f + ([] if h is None else [h]))
    x = np.hstack([g, (a - p_tilde)[:, None] * f])
    w = np.where(a == 1, p_tilde / p, (1 - p_tilde) / (1 - p))

    clusters = pd.factorize(rows[participant])[0]
    theta, cov = _wls_sandwich(x, y, w, clusters, correction)

    names_f = ["intercept", *moderators]
    names_g = [*names_f, *control]
    se = np.sqrt(np.diag(cov))
    q = float(stats.t.ppf(0.5 + level / 2, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * stats.t.sf(np.abs(theta / se), df)
    terms = [
        Term(
            name=name,
            estimate=float(theta[i]),
            se=float(se[i]),
            ci_low=float(theta[i] - q * se[i]),
            ci_high=float(theta[i] + q * se[i]),
            p=float(p_values[i]),
        )
        for i, name in enumerate(names_g + names_f)
    ]
    return Excursion(
        effect=tuple(terms[len(names_g) :]),
        control=tuple(terms[: len(names_g)]),
        n_participants=n_participants,
        n_decisions=n_decisions,
        n_available=n_available,
        numerator_probability=p_tilde,
        df=df,
        level=level,
        correction=correction,
    )


def _wls_sandwich(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, clusters: np.ndarray, correction: str
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares and its participant-clustered sandwich variance (optionally Mancl-DeRouen)."""
    bread = x.T @ (w[:, None] * x)
    if np.linalg.matrix_rank(bread) < x.shape[1]:
        raise MRTInputError(
            "the model cannot be fitted: a moderator or control column is constant or duplicates another "
            "at the available decision points"
        )
    bread_inv = np.linalg.inv(bread)
    theta = bread_inv @ (x.T @ (w * y))
    resid = y - x @ theta
    # Each participant's rows, padded with zero rows (weight 0) to a common length, so the per-participant
    # algebra runs batched. A zero-weight row adds a zero column to H_ii and a zero score, changing nothing.
    order = np.argsort(clusters, kind="stable")
    sizes = np.bincount(clusters)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(len(order)) - np.repeat(starts, sizes)
    n_clusters, length, dim = len(sizes), int(sizes.max()), x.shape[1]
    xw = np.zeros((n_clusters, length, dim))  # X_i' W_i, transposed
    xs = np.zeros((n_clusters, length, dim))
    es: np.ndarray = np.zeros((n_clusters, length))
    where = (clusters[order], position)
    xs[where] = x[order]
    xw[where] = x[order] * w[order][:, None]
    es[where] = resid[order]
    if correction == "mancl-derouen":
        hat = xs @ bread_inv @ xw.transpose(0, 2, 1)
        try:
            es = np.linalg.solve(np.eye(length)[None] - hat, es[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            raise MRTInputError(
                "the small-sample correction cannot be computed: one participant alone determines a "
                "coefficient (try fewer moderators or controls)"
            ) from None
    scores = np.einsum("ctd,ct->cd", xw, es)
    meat = scores.T @ scores
    return theta, bread_inv @ meat @ bread_inv


def _check_names(moderators: list[str], control: list[str]) -> None:
    if "intercept" in moderators or "intercept" in control:
        raise MRTInputError("'intercept' is reserved for the constant term; rename that column")
    for kind, names in (("moderators", moderators), ("control", control)):
        if len(set(names)) < len(names):
            raise MRTInputError(f"{kind} lists a column twice")
    both = set(moderators) & set(control)
    if both:
        raise MRTInputError(
            f"column(s) {', '.join(sorted(map(repr, both)))} listed as both moderator and control: "
            "moderators are already in the control model"
        )


def _indicator(column: pd.Series) -> np.ndarray | None:
    """A 0/1 or boolean column as booleans, or None if it has other values or missing ones."""
    if column.isna().any():
        return None
    if not (pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)):
        return None
    values = column.to_numpy(dtype=float)
    if not np.isin(values, (0.0, 1.0)).all():
        return None
    return values == 1.0


def _numeric(column: pd.Series, name: str, what: str) -> np.ndarray:
    """A numeric column at the available points as floats; no missing or infinite values."""
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise MRTInputError(f"column {name!r} ({what}) must be numeric (it has dtype {column.dtype})")
    values = column.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise MRTInputError(
            f"column {name!r} ({what}) has {int(bad.sum())} missing or infinite value(s) at available "
            "decision points"
        )
    return values
