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

from emotipal.analysis.engagement import capped_completion

from .dataset import ClientData, Dataset


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


def improvement(c: ClientData) -> float | None:
    """First minus last PHQ-9 score (by week): positive means the client got better."""
    if len(c.scores) < 2:
        return None
    weeks = sorted(c.scores)
    return c.scores[weeks[0]] - c.scores[weeks[-1]]


def client_figures(data: Dataset) -> dict[str, dict[str, float]]:
    """{figure name: {client key: value}}; clients without a value for a figure are left out of it."""
    out: dict[str, dict[str, float]] = {}
    for spec in FIGURES:
        values = {c.key: spec.compute(c) for c in data.clients}
        out[spec.name] = {k: v for k, v in values.items() if v is not None}
    return out


def improvements(data: Dataset) -> dict[str, float]:
    values = {c.key: improvement(c) for c in data.clients}
    return {k: v for k, v in values.items() if v is not None}


def mean_mastery(data: Dataset) -> dict[str, float]:
    """The therapist-rated mastery (0-4), averaged over the client's therapist reviews."""
    return {c.key: statistics.fmean(c.therapist_mastery) for c in data.clients if c.therapist_mastery}


@dataclass(frozen=True)
class WeekRow:
    client: str
    week: int
    phq9: float
    engagement: float  # percent of the week's planned practices submitted (capped at 100)


def weekly_panel(data: Dataset) -> list[WeekRow]:
    """One row per client and week with both a PHQ-9 score and at least one planned practice."""
    rows: list[WeekRow] = []
    for c in data.clients:
        planned: dict[int, int] = {}
        for d in c.planned_days:
            planned[d // 7] = planned.get(d // 7, 0) + 1
        done: dict[int, int] = {}
        for d in c.submitted_days:
            done[d // 7] = done.get(d // 7, 0) + 1
        for week in sorted(c.scores):
            if planned.get(week):
                pct = min(100.0, 100.0 * done.get(week, 0) / planned[week])
                rows.append(WeekRow(c.key, week, c.scores[week], pct))
    return rows
