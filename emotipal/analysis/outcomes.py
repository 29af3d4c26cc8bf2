"""Questionnaire scores and change over time: totals, bands, risk answers, reliable change, NHS conventions.

This module is part of the pure analysis package: it imports neither Django nor the platform, so change is
judged the same way in the web app, the CLI, notebooks and the tests. It works on plain instrument definitions in the format documented in
``emotipal/definitions/instruments.py`` (items, options, scoring, subscales, bands, reliable_change, nhs).
Scoring one response lives beside that format, in ``emotipal.definitions.scoring``; this module compares
scores over time.

What is computed
----------------

* :func:`jacobson_truax`: the Jacobson-Truax reliable change index between two scores;
  :func:`reliable_change_index_threshold` gives the smallest raw change that counts as reliable.
* :func:`nhs_outcome` and :func:`paired_outcome`: caseness, reliable improvement and deterioration, recovery
  and reliable recovery as NHS Talking Therapies reports them.
* :func:`trajectory`: every score of a series compared with the first one, for charts with reliable-change
  markers.

Beside it, :mod:`emotipal.analysis.paired_outcomes` chooses a client's first and last PHQ-9 + GAD-7 pair,
and :mod:`emotipal.analysis.clinical_significance` adds Jacobson-Truax clinically significant change.

The ``reliable_change`` and ``nhs`` blocks of a definition can be passed straight through:
``jacobson_truax(before, after, **definition["reliable_change"], direction=definition["direction"])`` and
``nhs_outcome(before, after, **definition["nhs"])``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

DIRECTIONS: tuple[str, ...] = ("lower_is_better", "higher_is_better")

RCI_THRESHOLD = 1.96  # two-tailed 5 % level of the standard normal distribution (Jacobson & Truax 1991)
STATUSES: tuple[str, ...] = ("reliable_improvement", "reliable_deterioration", "no_reliable_change")

# NHS Talking Therapies thresholds for the two measures every adult referral completes (see paired_outcome).
PHQ9_CASENESS = 10
PHQ9_RELIABLE_CHANGE = 6
GAD7_CASENESS = 8
GAD7_RELIABLE_CHANGE = 4

# --- reliable change (Jacobson & Truax) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReliableChange:
    """The Jacobson-Truax reliable change index of one change.

    ``rci`` is ``(after - before) / s_diff``, so its sign is the sign of the raw change whatever the
    direction; ``status`` interprets it: a change beyond ``threshold`` standard errors is reliable, and
    counts as improvement when it goes in the better direction.
    """

    rci: float
    threshold: float
    status: str
    change: float
    s_diff: float


def standard_error_of_difference(sd: float, reliability: float) -> float:
    """``s_diff = sqrt(2) x sd x sqrt(1 - reliability)``: the spread of differences due to error alone."""
    _check_finite(sd=sd, reliability=reliability)
    if sd <= 0:
        raise ValueError(f"sd must be positive, not {sd!r}")
    # A reliability of 1 would mean no measurement error, and every change however small would be reliable.
    if not 0 <= reliability < 1:
        raise ValueError(f"reliability must be at least 0 and below 1, not {reliability!r}")
    return math.sqrt(2) * sd * math.sqrt(1 - reliability)


def reliable_change_index_threshold(sd: float, reliability: float) -> float:
    """The smallest raw change that is reliable: ``1.96 x s_diff``."""
    return RCI_THRESHOLD * standard_error_of_difference(sd, reliability)


def jacobson_truax(
    before: float,
    after: float,
    *,
    sd: float,
    reliability: float,
    direction: str = "lower_is_better",
) -> ReliableChange:
    """The reliable change index (Jacobson & Truax 1991) from ``before`` to ``after``.

    ``sd`` is the standard deviation of the measure (usually the pre-treatment SD of a reference sample) and
    ``reliability`` its reliability (test-retest or internal consistency), both configured per instrument.
    A change is reliable when ``|rci| > 1.96``, i.e. a change this large would arise from measurement error
    alone less than 5 % of the time; ``direction`` says which way is improvement.
    """
    _check_direction(direction)
    _check_finite(before=before, after=after)
    s_diff = standard_error_of_difference(sd, reliability)
    change = after - before
    rci = change / s_diff
    status = "no_reliable_change"
    if abs(rci) > RCI_THRESHOLD:
        better = rci < 0 if direction == "lower_is_better" else rci > 0
        status = "reliable_improvement" if better else "reliable_deterioration"
    return ReliableChange(rci=rci, threshold=RCI_THRESHOLD, status=status, change=change, s_diff=s_diff)


# --- NHS Talking Therapies conventions ---------------------------------------------------------------------


@dataclass(frozen=True)
class NhsOutcome:
    """Caseness, reliable change and recovery on one measure, as NHS Talking Therapies reports them."""

    case_at_start: bool
    case_at_end: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    recovery: bool
    reliable_recovery: bool


@dataclass(frozen=True)
class PairedOutcome:
    """The paired PHQ-9 + GAD-7 outcome (the same flags as :class:`NhsOutcome`), with each measure's own."""

    case_at_start: bool
    case_at_end: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    recovery: bool
    reliable_recovery: bool
    phq9: NhsOutcome
    gad7: NhsOutcome


def nhs_outcome(
    before: float,
    after: float,
    *,
    caseness: float,
    reliable_change: float,
    direction: str = "lower_is_better",
) -> NhsOutcome:
    """Outcome flags on one measure, following the NHS Talking Therapies Manual.

    The manual uses fixed thresholds instead of an index: a score at or above the caseness threshold counts
    as a clinical case, and a change of at least the measure's reliable change value counts as reliable.
    In our words:

    * case: the score is at caseness (``score >= caseness``; for a higher-is-better measure, at or below);
    * reliable improvement / deterioration: the score moved by at least ``reliable_change`` in the better /
      worse direction;
    * recovery: a case at the start that is no longer a case at the end;
    * reliable recovery: recovery together with reliable improvement.

    The manual counts recovery only for people who finished a course of treatment and started at caseness;
    choosing which pair of scores to compare (first and last of a finished course) is left to the caller.

    One measure's flags are a part, not the outcome: for adults NHS Talking Therapies decides recovery on the
    PHQ-9 and GAD-7 together (:func:`paired_outcome`; :mod:`emotipal.analysis.paired_outcomes` chooses the
    scores), so pages never show this function's ``recovery`` as a verdict of its own.
    """
    _check_direction(direction)
    _check_finite(before=before, after=after, caseness=caseness, reliable_change=reliable_change)
    improvement = before - after if direction == "lower_is_better" else after - before
    case_at_start = _is_case(before, caseness, direction)
    case_at_end = _is_case(after, caseness, direction)
    reliable_improvement = improvement >= reliable_change
    recovery = case_at_start and not case_at_end
    return NhsOutcome(
        case_at_start=case_at_start,
        case_at_end=case_at_end,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=-improvement >= reliable_change,
        recovery=recovery,
        reliable_recovery=recovery and reliable_improvement,
    )


def paired_outcome(
    phq9_before: float, phq9_after: float, gad7_before: float, gad7_after: float
) -> PairedOutcome:
    """The paired PHQ-9 + GAD-7 outcome that NHS Talking Therapies reports for most adults.

    Source: the NHS Talking Therapies for anxiety and depression Manual (NHS England), which defines the
    headline measures on the pair of depression and anxiety measures. Thresholds: PHQ-9 caseness 10 or more
    and reliable change 6 or more points; GAD-7 caseness 8 or more and reliable change 4 or more points.
    Restated in our words, over the pair:

    * at caseness: either measure is at or above its caseness threshold;
    * reliable improvement: at least one measure improved reliably and neither deteriorated reliably;
    * reliable deterioration: at least one measure deteriorated reliably and neither improved reliably
      (so a reliable improvement on one and a reliable deterioration on the other is neither);
    * recovery: at caseness at the start (on either measure) and on neither measure at the end;
    * reliable recovery: recovery and reliable improvement.

    Where the manual names an anxiety-disorder-specific measure instead of the GAD-7, the caller pairs that
    measure with :func:`nhs_outcome` results itself; this function implements the PHQ-9 + GAD-7 pair.
    """
    phq9 = nhs_outcome(phq9_before, phq9_after, caseness=PHQ9_CASENESS, reliable_change=PHQ9_RELIABLE_CHANGE)
    gad7 = nhs_outcome(gad7_before, gad7_after, caseness=GAD7_CASENESS, reliable_change=GAD7_RELIABLE_CHANGE)
    case_at_start = phq9.case_at_start or gad7.case_at_start
    case_at_end = phq9.case_at_end or gad7.case_at_end
    any_improved = phq9.reliable_improvement or gad7.reliable_improvement
    any_deteriorated = phq9.reliable_deterioration or gad7.reliable_deterioration
    recovery = case_at_start and not case_at_end
    reliable_improvement = any_improved and not any_deteriorated
    return PairedOutcome(
        case_at_start=case_at_start,
        case_at_end=case_at_end,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=any_deteriorated and not any_improved,
        recovery=recovery,
        reliable_recovery=recovery and reliable_improvement,
        phq9=phq9,
        gad7=gad7,
    )


def _is_case(score: float, caseness: float, direction: str) -> bool:
    return score >= caseness if direction == "lower_is_better" else score <= caseness


# --- trajectories --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrajectoryPoint:
    """One score of a series compared with the baseline (the earliest score)."""

    date: dt.date
    score: float
    change: float
    rci: float
    status: str
    nhs: NhsOutcome | None


def trajectory(
    points: Sequence[tuple[dt.date, float]],
    *,
    sd: float,
    reliability: float,
    direction: str = "lower_is_better",
    caseness: float | None = None,
    reliable_change: float | None = None,
) -> list[TrajectoryPoint]:
    """Each score compared with the baseline, in date order, for charts with reliable-change markers.

    The baseline is the earliest point (points are sorted by date; on a shared date the given order is
    kept). Every point gets its change from the baseline and the Jacobson-Truax status against it; when
    ``caseness`` and ``reliable_change`` are given (both or neither), also the NHS flags against it. The
    baseline itself has change 0 and no reliable change.
    """
    if (caseness is None) != (reliable_change is None):
        raise ValueError("give both caseness and reliable_change for NHS flags, or neither")
    _check_direction(direction)
    ordered = sorted(points, key=lambda point: point[0])
    if not ordered:
        return []
    baseline = ordered[0][1]
    result = []
    for when, score in ordered:
        change = jacobson_truax(baseline, score, sd=sd, reliability=reliability, direction=direction)
        nhs = None
        if caseness is not None and reliable_change is not None:
            nhs = nhs_outcome(
                baseline, score, caseness=caseness, reliable_change=reliable_change, direction=direction
            )
        result.append(
            TrajectoryPoint(
                date=when, score=score, change=change.change, rci=change.rci, status=change.status, nhs=nhs
            )
        )
    return result


# --- input checks --------------------------------------------------------------------------------------------


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be lower_is_better or higher_is_better, not {direction!r}")


def _check_finite(**values: float) -> None:
    # NaN compares False with everything, which would silently turn into "no change" and "not a case".
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
