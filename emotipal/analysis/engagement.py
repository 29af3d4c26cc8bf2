"""Homework compliance in every form the research uses, and a documented engagement index.

Meta-analyses of homework in CBT (Kazantzis et al. 2000; Mausbach et al. 2010) found that how strongly
compliance predicts outcome depends on how compliance was measured. So EmotiPal never reports a bare
"compliance" number: every figure says

* its **source**: ``client`` (the client's own rating), ``therapist`` (the therapist's rating),
  ``combined`` (client and therapist rating of the same thing, averaged) or ``objective`` (what the
  platform recorded, such as practices submitted or minutes active);
* its **type**: ``likert`` (an anchored 0-4 rating), ``count``, ``percentage`` (of the plan) or
  ``duration``;
* its **timing**: ``contemporaneous`` (rated at each session, close to the practice) or ``retroactive``
  (rated once, at the end of treatment, looking back).

:func:`compliance_figures` computes every figure for one period (a week, the treatment so far, or one
assignment); :func:`weekly_figures` does it week by week; :func:`engagement_index` combines a few of the
figures into one number whose recipe is written out below and carried along with every result.

This module is part of the pure analysis package: it must not import Django or any other part of
emotipal, so it can run in notebooks, the CLI and the tests without a database. Callers turn database rows
into the small frozen records defined here.

How the engagement index is worked out
--------------------------------------

The engagement index is a number from 0 to 100 that summarises how fully a client took part in their
homework over a period. It is not a score of the client and not a clinical judgement: it is a weighted
average of four parts, each of which you can also see on its own.

* **Completion (40 %)**: the share of planned practices the client submitted. Each homework counts up to
  its own plan: extra practices of one homework do not make up for practices missed in another, so doing
  10 of 5 planned practices of one homework and 0 of 5 of another is 50 %, not 100 %.
* **Quality (30 %)**: how well the homework was done, from every 0-4 quality rating given at sessions.
  Each piece of homework rated at a session counts once: where the client and you both rated it, it gets
  the average of your two ratings (each counts half); where only one of you rated it, it gets that rating.
  The quality is the average over all the rated homework, multiplied by 25 (so 2 = 50). One homework both
  rated 4 plus five rated 0 by the therapist alone give (4 + 5 x 0) / 6 = 0.67, i.e. 17.
* **Effort (15 %)**: the client's own 0-4 effort rating when they submitted each practice, averaged and
  multiplied by 25.
* **Time (15 %)**: the share of the planned practice minutes the client actually spent active in the
  exercise, each homework again counting up to its own planned minutes.

If a part has no data in the period (for example nobody rated quality yet), it is left out and the other
parts' weights are scaled up so that they still add up to 100 %; each result shows the weight every part
actually received. When no part has data, there is no index for the period rather than a misleading 0.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, TypeVar

AssignmentKey = TypeVar("AssignmentKey", bound=Hashable)  # an assignment id (live pages) or key (exports)

SOURCES: tuple[str, ...] = ("client", "therapist", "combined", "objective")
TYPES: tuple[str, ...] = ("likert", "count", "percentage", "duration")
TIMINGS: tuple[str, ...] = ("contemporaneous", "retroactive")
PERIODS: tuple[str, ...] = ("week", "treatment", "assignment")

RATING_SOURCES: tuple[str, ...] = ("client", "therapist")  # "combined" is derived, never entered
ASPECTS: tuple[str, ...] = ("quantity", "quality")  # what a rating is about: how much, how well
LIKERT_MIN, LIKERT_MAX = 0, 4
# A draft untouched for a day is treated as given up on: long enough to cover a practice spread over an
# evening and the next morning's finishing touches, short enough to show up in this week's figures.
ABANDONED_AFTER = dt.timedelta(hours=24)


# --- inputs ------------------------------------------------------------------------------------------


def _check_likert(name: str, value: int | None) -> None:
    if value is not None and not LIKERT_MIN <= value <= LIKERT_MAX:
        raise ValueError(f"{name} must be between {LIKERT_MIN} and {LIKERT_MAX}, got {value}")


@dataclass(frozen=True)
class PlannedPractice:
    """One practice the plan asked for: on ``day``, for ``minutes`` minutes."""

    assignment_id: int
    day: date
    minutes: int

    def __post_init__(self) -> None:
        if self.minutes < 0:
            raise ValueError(f"planned minutes cannot be negative, got {self.minutes}")


@dataclass(frozen=True)
class Attempt:
    """One practice attempt (an entry), submitted or left as a draft."""

    assignment_id: int
    day: date
    submitted: bool
    active_seconds: int
    effort: int | None  # 0..4, the client's own rating at submission
    started_at: datetime
    last_saved_at: datetime
    edits_after_submit: int = 0

    def __post_init__(self) -> None:
        if self.active_seconds < 0:
            raise ValueError(f"active_seconds cannot be negative, got {self.active_seconds}")
        if self.edits_after_submit < 0:
            raise ValueError(f"edits_after_submit cannot be negative, got {self.edits_after_submit}")
        _check_likert("effort", self.effort)


@dataclass(frozen=True)
class Rating:
    """A Likert rating of homework (0..4 for how much was done and how well), by client or therapist."""

    assignment_id: int | None  # None for a retroactive rating of the whole course
    source: str  # "client" | "therapist"
    timing: str  # "contemporaneous" | "retroactive"
    day: date
    quantity: int | None  # how much was done, 0..4
    quality: int | None  # how well, 0..4
    session_id: int | None = None

    def __post_init__(self) -> None:
        if self.source not in RATING_SOURCES:
            raise ValueError(f"rating source must be one of {RATING_SOURCES}, got {self.source!r}")
        if self.timing not in TIMINGS:
            raise ValueError(f"rating timing must be one of {TIMINGS}, got {self.timing!r}")
        # Only the end-of-treatment look back can be about the course as a whole; a session rating is
        # always about a particular piece of homework.
        if self.assignment_id is None and self.timing != "retroactive":
            raise ValueError("only a retroactive rating can be about the whole course (assignment_id None)")
        _check_likert("quantity", self.quantity)
        _check_likert("quality", self.quality)


@dataclass(frozen=True)
class Opening:
    """Delays to the first opening of an assignment, from its assignment and from each reminder."""

    assignment_id: int
    assigned_at: datetime
    first_opened_at: datetime | None
    reminder_delays_minutes: tuple[float, ...] = ()  # minutes from each reminder sent to the next opening

    def __post_init__(self) -> None:
        if self.first_opened_at is not None and self.first_opened_at < self.assigned_at:
            raise ValueError("first_opened_at cannot be before assigned_at")
        if any(d < 0 for d in self.reminder_delays_minutes):
            raise ValueError("reminder delays cannot be negative")


# --- outputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One compliance figure, labelled with how it was measured and over which period.

    ``n`` is the number of records the value rests on (practices, attempts, ratings, rating pairs,
    openings or reminder delays), so a reader can tell a mean of one rating from a mean of twenty.
    """

    measure: str
    source: str
    type: str
    timing: str
    value: float | None
    unit: str
    n: int
    period: str  # "week" | "treatment" | "assignment"
    period_start: date
    period_end: date
    assignment_id: int | None = None
    label: str = ""  # short human text, e.g. "Practices done (of 5 planned)"


class IndexComponentSpec(NamedTuple):
    """One part of the engagement index as documented: what it is and how much it counts."""

    name: str
    description: str
    weight: float


# The recipe of the engagement index; the module docstring says the same in words for therapists.
INDEX_COMPONENTS: tuple[IndexComponentSpec, ...] = (
    IndexComponentSpec(
        "completion",
        "Share of planned practices submitted, each homework counting up to its own plan (extra practices "
        "of one homework do not make up for another).",
        0.40,
    ),
    IndexComponentSpec(
        "quality",
        "How well the homework was done, from all session ratings (0-4 x 25): each rated homework counts "
        "once, with the client's and therapist's ratings averaged where both rated it.",
        0.30,
    ),
    IndexComponentSpec(
        "effort",
        "The client's own effort rating when submitting each practice (0-4 x 25), averaged.",
        0.15,
    ),
    IndexComponentSpec(
        "time",
        "Share of the planned practice minutes spent active in the exercise, each homework counting up "
        "to its own planned minutes.",
        0.15,
    ),
)


@dataclass(frozen=True)
class IndexComponent:
    """One part of a computed index: its value (0..100, None when no data) and the weight it received."""

    name: str
    description: str
    weight: float  # the documented weight
    value: float | None  # 0..100
    used_weight: float  # the weight after leaving out missing parts; 0 when this part is missing


@dataclass(frozen=True)
class EngagementIndex:
    value: float | None  # 0..100, None when no component has data
    components: tuple[IndexComponent, ...]


# --- small helpers -----------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    """The Monday of the ISO week containing ``day``."""
    return day - dt.timedelta(days=day.weekday())


def _round(value: float | None, digits: int = 2) -> float | None:
    # Always a float, counts included, so every Figure.value has one type for exports and charts.
    return None if value is None else round(float(value), digits)


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def capped_completion(
    done: Mapping[AssignmentKey, float], planned: Mapping[AssignmentKey, float]
) -> float | None:
    """Percent of the plan done, each assignment counting up to its own plan:

        100 x Σ_a min(done_a, planned_a) / Σ_a planned_a

    (None when nothing was planned). Doing more than an assignment asked for is full compliance with that
    assignment, not credit for another one: 10 of 5 planned practices of one homework and 0 of 5 of
    another is 50 %, where capping only the total would say 100 %. Done work on an assignment with nothing
    planned in the period counts for nothing. This is the one definition of completion, used by the live
    pages (through :func:`compliance_figures`) and the research analysis alike.
    """
    total = float(sum(p for p in planned.values() if p > 0))
    if total <= 0:
        return None
    counted = sum(min(float(done.get(a, 0.0)), float(p)) for a, p in planned.items() if p > 0)
    return 100.0 * counted / total


def _by_assignment(pairs: Iterable[tuple[int, float]]) -> dict[int, float]:
    out: dict[int, float] = defaultdict(float)
    for aid, amount in pairs:
        out[aid] += amount
    return dict(out)


def _in_period(day: date, start: date, end: date) -> bool:
    return start <= day <= end


# --- combined ratings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingPair:
    """A client and a therapist rating of the same homework, and their average (the combined rating)."""

    key: tuple[int | None, int | None]  # (assignment_id, session_id); session_id None when retroactive
    client: float
    therapist: float

    @property
    def combined(self) -> float:
        return (self.client + self.therapist) / 2


def _pair_order(key: tuple[int | None, int | None]) -> tuple[bool, int, bool, int]:
    # Stable output order; None (the whole course, or no session) sorts last.
    aid, sid = key
    return (aid is None, aid or 0, sid is None, sid or 0)


def rating_pairs(ratings: Iterable[Rating], *, aspect: str, timing: str) -> list[RatingPair]:
    """Pair client and therapist ratings of ``aspect`` ("quantity" or "quality") given with ``timing``.

    Contemporaneous ratings pair on (assignment, session): both looked at the same homework before the same
    session. Retroactive ratings pair on the assignment alone (None = the whole course), because the end of
    treatment has no session of its own. Should one side have rated a key twice, its ratings are averaged
    first, so each key contributes one pair and the combined value always lies between its two parts.
    """
    if aspect not in ASPECTS:
        raise ValueError(f"aspect must be one of {ASPECTS}, got {aspect!r}")
    sides: dict[str, dict[tuple[int | None, int | None], list[int]]] = {
        "client": defaultdict(list),
        "therapist": defaultdict(list),
    }
    for r in ratings:
        value = getattr(r, aspect)
        if r.timing != timing or value is None:
            continue
        key = (r.assignment_id, r.session_id if timing == "contemporaneous" else None)
        sides[r.source][key].append(value)
    both = sorted(sides["client"].keys() & sides["therapist"].keys(), key=_pair_order)
    return [
        RatingPair(key, statistics.fmean(sides["client"][k]), statistics.fmean(sides["therapist"][k]))
        for k in both
    ]


def homework_ratings(
    ratings: Iterable[Rating], *, aspect: str, timing: str
) -> dict[tuple[int | None, int | None], float]:
    """One value per rated piece of homework, from *all* ratings of ``aspect`` given with ``timing``.

    The keys are those of :func:`rating_pairs` (assignment and session). Each side's ratings of a key are
    averaged first; a key rated by both sides gets the mean of the two sides (each weighs half), a key
    rated by one side gets that side's rating. Averaging these values weighs every rated homework equally,
    whoever rated it - unlike the combined figure, which uses the paired keys only.
    """
    if aspect not in ASPECTS:
        raise ValueError(f"aspect must be one of {ASPECTS}, got {aspect!r}")
    sides: dict[tuple[int | None, int | None], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in ratings:
        value = getattr(r, aspect)
        if r.timing != timing or value is None:
            continue
        key = (r.assignment_id, r.session_id if timing == "contemporaneous" else None)
        sides[key][r.source].append(value)
    return {
        key: statistics.fmean([statistics.fmean(v) for v in by_source.values()])
        for key, by_source in sorted(sides.items(), key=lambda item: _pair_order(item[0]))
    }


# --- compliance figures ------------------------------------------------------------------------------

# The quality of homework from every contemporaneous rating (see homework_ratings); the index uses it.
QUALITY_ALL_RATINGS = "quality_all_ratings"

_ASPECT_WORDS = {"quantity": "how much was done", "quality": "how well it was done"}
_SOURCE_WORDS = {"client": "Client", "therapist": "Therapist", "combined": "Client and therapist"}


def compliance_figures(
    planned: Iterable[PlannedPractice],
    attempts: Iterable[Attempt],
    ratings: Iterable[Rating],
    openings: Iterable[Opening],
    *,
    period: str,
    period_start: date,
    period_end: date,
    now: datetime,
    assignment_id: int | None = None,
) -> list[Figure]:
    """Every compliance figure for one period (``period_start``..``period_end``, both inclusive).

    Records are kept when their ``day`` falls in the period (openings by the date of ``assigned_at``) and,
    if ``assignment_id`` is given, when they belong to that assignment. A retroactive rating of the whole
    course (``assignment_id`` None) is a verdict on the treatment, so it only counts in a ``"treatment"``
    period without an assignment filter. ``now`` decides which drafts count as abandoned.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    if period_start > period_end:
        raise ValueError(f"period_start {period_start} is after period_end {period_end}")

    def wanted(aid: int | None, day: date) -> bool:
        if not _in_period(day, period_start, period_end):
            return False
        if aid is None:  # a course rating
            return period == "treatment" and assignment_id is None
        return assignment_id is None or aid == assignment_id

    plan = [p for p in planned if wanted(p.assignment_id, p.day)]
    tries = [a for a in attempts if wanted(a.assignment_id, a.day)]
    rated = [r for r in ratings if wanted(r.assignment_id, r.day)]
    opened = [o for o in openings if wanted(o.assignment_id, o.assigned_at.date())]

    figures: list[Figure] = []

    def add(
        measure: str, source: str, type_: str, timing: str, value: float | None, unit: str, n: int, label: str
    ) -> None:
        figures.append(
            Figure(
                measure=measure,
                source=source,
                type=type_,
                timing=timing,
                value=_round(value),
                unit=unit,
                n=n,
                period=period,
                period_start=period_start,
                period_end=period_end,
                assignment_id=assignment_id,
                label=label,
            )
        )

    def objective(measure: str, type_: str, value: float | None, unit: str, n: int, label: str) -> None:
        # The platform records these as they happen, hence always contemporaneous.
        add(measure, "objective", type_, "contemporaneous", value, unit, n, label)

    # Practices against the plan.
    done = [a for a in tries if a.submitted]
    n_done, n_plan = len(done), len(plan)
    objective(
        "attempts_completed", "count", n_done, "practices", n_done, f"Practices done (of {n_plan} planned)"
    )
    objective("attempts_planned", "count", n_plan, "practices", n_plan, "Practices planned")
    completion = capped_completion(
        _by_assignment((a.assignment_id, 1.0) for a in done),
        _by_assignment((p.assignment_id, 1.0) for p in plan),
    )
    objective("percent_of_plan", "percentage", completion, "%", n_plan, "Planned practices done")

    # Minutes against the plan.
    minutes = [a.active_seconds / 60 for a in done]
    minutes_done, minutes_planned = sum(minutes), float(sum(p.minutes for p in plan))
    objective(
        "minutes_practised",
        "duration",
        minutes_done,
        "minutes",
        n_done,
        f"Minutes practised (of {minutes_planned:g} planned)",
    )
    objective("minutes_planned", "duration", minutes_planned, "minutes", n_plan, "Minutes planned")
    objective(
        "percent_of_planned_minutes",
        "percentage",
        capped_completion(
            _by_assignment((a.assignment_id, a.active_seconds / 60) for a in done),
            _by_assignment((p.assignment_id, float(p.minutes)) for p in plan),
        ),
        "%",
        n_plan,
        "Planned minutes practised",
    )
    objective("time_on_task", "duration", _mean(minutes), "minutes", n_done, "Active minutes per practice")

    # Delays to opening: a long wait is an early sign that the homework is not being taken up. Medians,
    # because one assignment left unopened over a holiday would otherwise swamp the rest.
    hours_to_open = [
        (o.first_opened_at - o.assigned_at).total_seconds() / 3600
        for o in opened
        if o.first_opened_at is not None
    ]
    reminder_delays = [d for o in opened for d in o.reminder_delays_minutes]
    objective(
        "hours_to_first_opening",
        "duration",
        _median(hours_to_open),
        "hours",
        len(hours_to_open),
        "Hours from assignment to first opening (median)",
    )
    objective(
        "minutes_from_reminder_to_opening",
        "duration",
        _median(reminder_delays),
        "minutes",
        len(reminder_delays),
        "Minutes from reminder to opening (median)",
    )

    # Drafts given up on, and submitted work revisited later.
    drafts = [a for a in tries if not a.submitted]
    abandoned = sum(1 for a in drafts if now - a.last_saved_at > ABANDONED_AFTER)
    objective(
        "drafts_abandoned",
        "count",
        abandoned,
        "drafts",
        len(drafts),
        "Drafts abandoned (untouched for a day)",
    )
    edits = sum(a.edits_after_submit for a in done)
    objective("edits_after_submission", "count", edits, "edits", n_done, "Edits after submission")

    # Likert ratings by timing and source, then their combination; the client's effort rating at submission
    # is a contemporaneous client rating too.
    for timing in TIMINGS:
        when = " (end of treatment)" if timing == "retroactive" else ""
        for source in RATING_SOURCES:
            for aspect in ASPECTS:
                values = [
                    v
                    for r in rated
                    if r.source == source and r.timing == timing and (v := getattr(r, aspect)) is not None
                ]
                label = f"{_SOURCE_WORDS[source]} rating: {_ASPECT_WORDS[aspect]}{when}"
                add(f"{source}_{aspect}", source, "likert", timing, _mean(values), "0-4", len(values), label)
        for aspect in ASPECTS:
            pairs = rating_pairs(rated, aspect=aspect, timing=timing)
            label = f"{_SOURCE_WORDS['combined']} rating: {_ASPECT_WORDS[aspect]}{when}"
            combined = _mean([p.combined for p in pairs])
            add(f"combined_{aspect}", "combined", "likert", timing, combined, "0-4", len(pairs), label)
        if timing == "contemporaneous":
            rated_quality = homework_ratings(rated, aspect="quality", timing=timing)
            label = "Quality from all session ratings (client and therapist averaged where both rated)"
            value = _mean(list(rated_quality.values()))
            add(QUALITY_ALL_RATINGS, "combined", "likert", timing, value, "0-4", len(rated_quality), label)
            efforts = [float(a.effort) for a in done if a.effort is not None]
            label = "Client's effort rating at submission"
            add("mean_effort", "client", "likert", timing, _mean(efforts), "0-4", len(efforts), label)
    return figures


def weekly_figures(
    planned: Iterable[PlannedPractice],
    attempts: Iterable[Attempt],
    ratings: Iterable[Rating],
    openings: Iterable[Opening],
    *,
    first_week: date,
    last_week: date,
    now: datetime,
) -> dict[date, list[Figure]]:
    """:func:`compliance_figures` for each Monday-to-Sunday week from ``first_week`` to ``last_week``.

    Keys are the Mondays. Dates that are not Mondays are taken to mean the week that contains them, so the
    weeks tile the span exactly and weekly counts add up to the figures for the whole span.
    """
    start, end = monday_of(first_week), monday_of(last_week)
    if start > end:
        raise ValueError(f"first_week {first_week} is after last_week {last_week}")
    # Materialise once: the inputs are read once per week.
    plan, tries, rated, opened = tuple(planned), tuple(attempts), tuple(ratings), tuple(openings)
    weeks: dict[date, list[Figure]] = {}
    monday = start
    while monday <= end:
        weeks[monday] = compliance_figures(
            plan,
            tries,
            rated,
            opened,
            period="week",
            period_start=monday,
            period_end=monday + dt.timedelta(days=6),
            now=now,
        )
        monday += dt.timedelta(weeks=1)
    return weeks


# --- the engagement index ----------------------------------------------------------------------------


def figure_for(figures: Iterable[Figure], measure: str, timing: str = "contemporaneous") -> Figure | None:
    """The figure with this measure name and timing, or None."""
    return next((f for f in figures if f.measure == measure and f.timing == timing), None)


def _value_of(figures: Sequence[Figure], measure: str) -> float | None:
    fig = figure_for(figures, measure)
    return None if fig is None else fig.value


def _scaled(likert: float | None) -> float | None:
    # 0..4 -> 0..100, so every component speaks the same scale as the percentages.
    return None if likert is None else likert * 25


_COMPONENT_VALUES: dict[str, Callable[[Sequence[Figure]], float | None]] = {
    "completion": lambda figs: _value_of(figs, "percent_of_plan"),
    # Every rated homework counts once (see homework_ratings), so neither a single pair nor the number of
    # ratings one side happened to give decides the value.
    "quality": lambda figs: _scaled(_value_of(figs, QUALITY_ALL_RATINGS)),
    "effort": lambda figs: _scaled(_value_of(figs, "mean_effort")),
    "time": lambda figs: _value_of(figs, "percent_of_planned_minutes"),
}


def engagement_index(figures: Sequence[Figure]) -> EngagementIndex:
    """Combine the figures of ONE period into the documented engagement index (see the module docstring).

    Raises ValueError when the figures mix several periods or assignments, since the index would then
    silently pick one of them.
    """
    seen: set[tuple[str, str, str, str]] = set()
    for f in figures:
        key = (f.measure, f.source, f.type, f.timing)
        if key in seen:
            raise ValueError(f"figures from more than one period or assignment (two {f.measure!r} figures)")
        seen.add(key)

    values = {spec.name: _round(_COMPONENT_VALUES[spec.name](figures)) for spec in INDEX_COMPONENTS}
    available = sum(spec.weight for spec in INDEX_COMPONENTS if values[spec.name] is not None)
    components = tuple(
        IndexComponent(
            name=spec.name,
            description=spec.description,
            weight=spec.weight,
            value=values[spec.name],
            used_weight=spec.weight / available if available and values[spec.name] is not None else 0.0,
        )
        for spec in INDEX_COMPONENTS
    )
    if not available:
        return EngagementIndex(value=None, components=components)
    # Weighted mean of the (rounded) component values shown to the reader, so the index can be recomputed
    # by hand from what is on screen.
    total = sum(c.used_weight * c.value for c in components if c.value is not None)
    return EngagementIndex(value=round(total, 1), components=components)
