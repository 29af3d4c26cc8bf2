"""Per-client compliance figures, labelled by source, type and timing, and the improvement they predict.

The labels follow :mod:`emotipal.analysis.engagement` (and Mausbach et al. 2010): the **source** says who
produced the figure (the client, the therapist, both averaged, or the platform's record), the **type**
how (a 0-4 rating, a count, a percentage of the plan) and the **timing** when (at each session, or once
at the end of treatment looking back). Every figure is about the *quantity* of homework done over the
whole course.

Definitions that say what they mean: the percentage caps each assignment at its own plan (one definition,
shared with the live pages), and the count is a rate per week with homework planned, not a raw total that
would grow with the length of treatment.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from emotipal.analysis.adjusted_change import baseline_adjusted_change
from emotipal.analysis.engagement import capped_completion

from .dataset import ClientData, Dataset
from .imputation import DEFAULT_IMPUTATIONS, DEFAULT_SEED, Imputations, impute_scores


@dataclass(frozen=True)
class FigureSpec:
    name: str
    label: str
    source: str  # client | therapist | combined | objective
    type: str  # likert | count | percentage
    timing: str  # contemporaneous | retroactive
    compute: Callable[[ClientData], float | None]


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def objective_percentage(c: ClientData) -> float | None:
    """Planned practices done, in percent, each assignment counting up to its own plan.

    The definition the live pages use (:func:`emotipal.analysis.engagement.capped_completion`): extra
    practices of one assignment do not make up for another, so 10 of 5 planned practices of one homework
    and 0 of 5 of another is 50 %. None without any planned practice.
    """
    return capped_completion(c.submitted_by_assignment, c.planned_by_assignment)


def homework_weeks(c: ClientData) -> int:
    """The client's exposure: the number of weeks in which at least one practice was planned."""
    return len({d // 7 for d in c.planned_days})


def objective_count(c: ClientData) -> float | None:
    """Practices submitted per week with homework planned.

    A raw count grows with the length of treatment, so across clients it would measure exposure as much
    as compliance; dividing by the weeks in which homework was planned makes it a rate that clients seen
    for 4 and for 16 weeks share. None without any planned practice.
    """
    weeks = homework_weeks(c)
    return len(c.submitted_days) / weeks if weeks else None


def _review_mean(reviews: dict[tuple[str, str], list[float]]) -> float | None:
    # Each review counts once; a review given twice for the same homework and session is averaged first.
    return _mean([statistics.fmean(v) for v in reviews.values()])


def client_contemporaneous(c: ClientData) -> float | None:
    return _review_mean(c.self_quantity)


def therapist_contemporaneous(c: ClientData) -> float | None:
    return _review_mean(c.therapist_quantity)


def combined_contemporaneous(c: ClientData) -> float | None:
    """Mean over the weeks both rated the same homework for the same session of their average rating."""
    both = c.self_quantity.keys() & c.therapist_quantity.keys()
    pairs = [
        (statistics.fmean(c.self_quantity[k]) + statistics.fmean(c.therapist_quantity[k])) / 2 for k in both
    ]
    return _mean(pairs)


def _retro(rater: str) -> Callable[[ClientData], float | None]:
    def compute(c: ClientData) -> float | None:
        return _mean(c.retro_quantity.get(rater, []))

    return compute


def combined_retroactive(c: ClientData) -> float | None:
    client, therapist = _retro("client")(c), _retro("therapist")(c)
    return None if client is None or therapist is None else (client + therapist) / 2


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "objective_percentage",
        "Planned practices done (%)",
        "objective",
        "percentage",
        "contemporaneous",
        objective_percentage,
    ),
    FigureSpec(
        "objective_count",
        "Practices done per week with homework planned (count per week)",
        "objective",
        "count",
        "contemporaneous",
        objective_count,
    ),
    FigureSpec(
        "client_contemporaneous",
        "Client's weekly rating of how much was done (mean, 0-4)",
        "client",
        "likert",
        "contemporaneous",
        client_contemporaneous,
    ),
    FigureSpec(
        "therapist_contemporaneous",
        "Therapist's weekly rating of how much was done (mean, 0-4)",
        "therapist",
        "likert",
        "contemporaneous",
        therapist_contemporaneous,
    ),
    FigureSpec(
        "combined_contemporaneous",
        "Client and therapist weekly ratings of the same homework averaged (mean over the weeks both "
        "rated, 0-4)",
        "combined",
        "likert",
        "contemporaneous",
        combined_contemporaneous,
    ),
    FigureSpec(
        "client_retroactive",
        "Client's end-of-treatment rating of how much was done (0-4)",
        "client",
        "likert",
        "retroactive",
        _retro("client"),
    ),
    FigureSpec(
        "therapist_retroactive",
        "Therapist's end-of-treatment rating of how much was done (0-4)",
        "therapist",
        "likert",
        "retroactive",
        _retro("therapist"),
    ),
    FigureSpec(
        "combined_retroactive",
        "Client and therapist end-of-treatment ratings averaged (0-4)",
        "combined",
        "likert",
        "retroactive",
        combined_retroactive,
    ),
)
FIGURE_BY_NAME = {f.name: f for f in FIGURES}
MODERATORS: tuple[str, ...] = ("source", "type", "timing")
LEVEL_ORDER: dict[str, tuple[str, ...]] = {
    "source": ("client", "therapist", "combined", "objective"),
    "type": ("likert", "count", "percentage"),
    "timing": ("contemporaneous", "retroactive"),
}


def client_figures(data: Dataset) -> dict[str, dict[str, float]]:
    """{figure name: {client key: value}}; clients without a value for a figure are left out of it."""
    out: dict[str, dict[str, float]] = {}
    for spec in FIGURES:
        values = {c.key: spec.compute(c) for c in data.clients}
        out[spec.name] = {k: v for k, v in values.items() if v is not None}
    return out


IMPROVEMENT_DEFINITION = (
    "PHQ-9 change from week 0 to the last week of the course (week 0 minus last week; positive = improved), "
    "adjusted to the average baseline by the regression of the last score on the week-0 score; missing "
    "scores multiply imputed"
)


def improvement_imputations(
    data: Dataset, *, m: int = DEFAULT_IMPUTATIONS, seed: int = DEFAULT_SEED
) -> list[dict[str, float]]:
    """The baseline-adjusted improvement per client, once per imputation (see IMPROVEMENT_DEFINITION).

    Clients with fewer than two scores are left out (one score says nothing about their course; their
    scores still inform the imputation model). The end is the last week of the data set for every client, so
    the figure is comparable between clients who left early and those who stayed: a missing end score
    (after a discharge, or skipped) is imputed from the client's observed course (``imputation``).
    Analyses of it should run once per imputation and be pooled by Rubin's rules.
    """
    imp = imputed_scores(data, m=m, seed=seed)
    if imp.weeks < 2 or not imp.clients:
        return [{} for _ in range(m)]
    out = []
    enough = imp.observed.sum(axis=1) >= 2
    for completed in imp.completed:
        base, end = completed[:, 0], completed[:, -1]
        ok = np.isfinite(base) & np.isfinite(end) & enough
        adjusted = baseline_adjusted_change(base[ok], end[ok])
        keys = [k for k, keep in zip(imp.clients, ok, strict=True) if keep]
        out.append(dict(zip(keys, (float(v) for v in adjusted), strict=True)))
    return out


def imputed_scores(data: Dataset, *, m: int = DEFAULT_IMPUTATIONS, seed: int = DEFAULT_SEED) -> Imputations:
    """The weekly scores, multiply imputed with the share of planned practices done as the auxiliary figure
    (it predicts the level and the slope of the imputed course).

    Only the platform's own record is used: a rating made by someone who sees the scores would carry their
    view of the outcome into the imputed outcome. Correlations of other figures with the imputed
    improvement are therefore, if anything, attenuated for the clients whose end score is imputed.
    """
    auxiliaries = {"objective_percentage": client_figures(data)["objective_percentage"]}
    return impute_scores(data, auxiliaries, m=m, seed=seed)


def improvements(data: Dataset) -> dict[str, float]:
    """Per client: the baseline-adjusted improvement, averaged over the imputations.

    With complete data it is the observed baseline-adjusted change. With missing scores it is each client's
    mean imputed value, fine for a description; inference on it should use `improvement_imputations`.
    """
    draws = improvement_imputations(data)
    if not draws or len(draws[0]) < 2:
        return {}
    return {k: statistics.fmean(d[k] for d in draws) for k in draws[0]}


def mean_mastery(data: Dataset) -> dict[str, float]:
    """The therapist-rated mastery (0-4), averaged over the client's therapist reviews."""
    return {c.key: statistics.fmean(c.therapist_mastery) for c in data.clients if c.therapist_mastery}


@dataclass(frozen=True)
class WeekRow:
    client: str
    week: int  # the week of the PHQ-9 score
    phq9: float
    engagement: float  # percent of the previous week's planned practices submitted (capped at 100)


def weekly_panel(data: Dataset) -> list[WeekRow]:
    """One row per client and week t + 1 with a PHQ-9 score after a week t with planned practice.

    Practice is lagged by one week: the score it is set against was taken after the practice was done.
    """
    rows: list[WeekRow] = []
    for c in data.clients:
        planned: dict[int, int] = {}
        for d in c.planned_days:
            planned[d // 7] = planned.get(d // 7, 0) + 1
        done: dict[int, int] = {}
        for d in c.submitted_days:
            done[d // 7] = done.get(d // 7, 0) + 1
        for week in sorted(c.scores):
            if planned.get(week - 1):
                pct = min(100.0, 100.0 * done.get(week - 1, 0) / planned[week - 1])
                rows.append(WeekRow(c.key, week, c.scores[week], pct))
    return rows
