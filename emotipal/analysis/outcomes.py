"""Questionnaire scores and change over time: totals, bands, risk answers, reliable change, NHS conventions.

This module is part of the pure analysis package: it must not import Django or any other part of emotipal
(not even ``emotipal.measures``), so scoring gives the same answer in the web app, the CLI, notebooks and the
tests. It works on plain instrument definitions in the format documented in
``emotipal/measures/definition.py`` (items, options, scoring, subscales, bands, reliable_change, nhs) and on
a plain ``{item id: answer}`` mapping. The few helpers it needs from that format (which items are scored,
their range) are copied below and kept equivalent; a test checks the equivalence.

What is computed
----------------

* :func:`score_response`: the total, severity band, subscales, which risk items were answered above their
  lowest value (also on partial responses: a risk answer must never wait for the rest of the questionnaire)
  and which scored items are missing.
* :func:`jacobson_truax`: the Jacobson-Truax reliable change index between two scores;
  :func:`reliable_change_index_threshold` gives the smallest raw change that counts as reliable.
* :func:`nhs_outcome` and :func:`paired_outcome`: caseness, reliable improvement and deterioration, recovery
  and reliable recovery as NHS Talking Therapies reports them.
* :func:`trajectory`: every score of a series compared with the first one, for charts with reliable-change
  markers.

The ``reliable_change`` and ``nhs`` blocks of a definition can be passed straight through:
``jacobson_truax(before, after, **definition["reliable_change"], direction=definition["direction"])`` and
``nhs_outcome(before, after, **definition["nhs"])``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

DIRECTIONS: tuple[str, ...] = ("lower_is_better", "higher_is_better")

RCI_THRESHOLD = 1.96  # two-tailed 5 % level of the standard normal distribution (Jacobson & Truax 1991)
STATUSES: tuple[str, ...] = ("reliable_improvement", "reliable_deterioration", "no_reliable_change")

# NHS Talking Therapies thresholds for the two measures every adult referral completes (see paired_outcome).
PHQ9_CASENESS = 10
PHQ9_RELIABLE_CHANGE = 6
GAD7_CASENESS = 8
GAD7_RELIABLE_CHANGE = 4

_INTEGER_RE = re.compile(r"[+-]?\d+")


# --- scoring -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """The score of one response.

    ``complete`` is True when enough scored items were answered for a total (at most ``max_missing``
    missing, and at least one answered); ``total`` and ``band`` are None otherwise. ``answered`` and
    ``missing`` count only the items that make up the total (``scoring.items``). ``prorated`` is True when
    a sum was estimated from fewer items than the scale has. ``risk_items`` holds the ids of risk items
    answered above their lowest value, whether or not the response is complete.
    """

    complete: bool
    total: float | None
    band: str | None
    subscales: dict[str, float | None]
    answered: int
    scored_items: int
    prorated: bool
    risk_items: tuple[str, ...]
    missing: tuple[str, ...]


def score_response(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> Score:
    """Score ``answers`` (item id -> answer) against an instrument ``definition``.

    Scored items are choice items whose option values are all integers, and scale items; ``scoring.items``
    restricts the total to the items it lists. A reverse-scored item scores ``min + max - value``. An answer
    that is None, an empty string or an empty list counts as unanswered. Whole numbers may arrive as ints,
    integral floats or digit strings (JSON and form data); anything else, an option value the item does not
    have, or a value outside a scale's range raises ``ValueError`` naming the item. So does an answer to an
    item the definition does not have: answers belong to the version they were given with.

    The total follows ``scoring.method``: ``"sum"`` (the default) or ``"mean"``. Up to
    ``scoring.max_missing`` scored items (default 0) may be unanswered; with more missing, the response is
    incomplete and has no total and no band.

    Prorating rule: when a sum is computed with items missing, the total is the mean of the answered items
    multiplied by the number of scored items, rounded half up to a whole number (computed exactly, so
    x.5 always goes up), and kept within the sum's possible range (which only matters when items have
    different ranges). Example: a 9-item sum with one item missing and answers totalling 13 over 8 items
    gives 13 / 8 x 9 = 14.625, so 15. A mean is simply the mean of the answered items.

    A subscale (``method`` sum or mean, default sum) is computed only when all its items are answered.

    The band is the label of the band with ``min <= total <= max``; bands are compared that way because a
    mean can fall between whole numbers. Where two bands share a boundary value, the higher band wins, so
    mean-scored instruments can write bands as 1.0-2.0, 2.0-3.0 without gaps.
    """
    items_by_id = {item["id"]: item for item in definition["items"]}
    unknown = sorted(key for key in answers if key not in items_by_id)
    if unknown:
        raise ValueError(f"answers name items the instrument does not have: {', '.join(map(repr, unknown))}")

    # Validate every answer first, so a bad value is reported even on an item that is not scored.
    scores: dict[str, int] = {}
    risk: list[str] = []
    for item in definition["items"]:
        value = answers.get(item["id"])
        if _is_blank(value):
            continue
        if _is_scored(definition, item):
            scores[item["id"]] = _item_score(definition, item, value)
        else:
            _check_unscored_answer(definition, item, value)
        if item.get("risk") and _signals_risk(definition, item, value, scores.get(item["id"])):
            risk.append(item["id"])

    scoring = definition.get("scoring") or {}
    method = scoring.get("method", "sum")
    if method not in ("sum", "mean"):
        raise ValueError(f"unknown scoring method {method!r}")
    max_missing = int(scoring.get("max_missing", 0) or 0)

    scored = _scored_items(definition)
    answered = [scores[item["id"]] for item in scored if item["id"] in scores]
    missing = tuple(item["id"] for item in scored if item["id"] not in scores)
    # A total needs at least one answer; an instrument with no scored items is complete with no total.
    complete = len(missing) <= max_missing and (bool(answered) or not scored)

    total: float | None = None
    prorated = False
    if complete and scored:
        if method == "mean":
            total = sum(answered) / len(answered)
        elif missing:
            low, high = _sum_range(definition, scored)
            total = float(min(max(_prorate(answered, len(scored)), low), high))
            prorated = True
        else:
            total = float(sum(answered))

    return Score(
        complete=complete,
        total=total,
        band=band_for(definition, total),
        subscales=_subscales(definition, items_by_id, scores),
        answered=len(answered),
        scored_items=len(scored),
        prorated=prorated,
        risk_items=tuple(risk),
        missing=missing,
    )


def band_for(definition: Mapping[str, Any], total: float | None) -> str | None:
    """The label of the band holding ``total`` (None for no total, no bands, or a total outside them)."""
    if total is None:
        return None
    holding = [b for b in definition.get("bands") or [] if b["min"] <= total <= b["max"]]
    if not holding:
        return None
    # Overlapping bands share only their boundary; the band that starts there takes it.
    return str(max(holding, key=lambda b: b["min"])["label"])


def _prorate(answered: Sequence[int], n_items: int) -> int:
    # Fraction keeps mean x n exact, so a true .5 is rounded up rather than lost to float error.
    estimate = Fraction(sum(answered) * n_items, len(answered))
    return math.floor(estimate + Fraction(1, 2))


def _sum_range(definition: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    ranges = [_item_range(definition, item) for item in items]
    return sum(lo for lo, _ in ranges), sum(hi for _, hi in ranges)


def _subscales(
    definition: Mapping[str, Any], items_by_id: Mapping[str, Mapping[str, Any]], scores: Mapping[str, int]
) -> dict[str, float | None]:
    result: dict[str, float | None] = {}
    for sub in definition.get("subscales") or []:
        for ref in sub["items"]:
            if ref not in items_by_id or not _is_scored(definition, items_by_id[ref]):
                raise ValueError(f"subscale {sub['key']!r} names {ref!r}, which is not a scored item")
        values = [scores[ref] for ref in sub["items"] if ref in scores]
        if len(values) < len(sub["items"]):
            result[sub["key"]] = None  # kept simple: no prorating within subscales
        elif sub.get("method", "sum") == "mean":
            result[sub["key"]] = sum(values) / len(values)
        else:
            result[sub["key"]] = float(sum(values))
    return result


# --- answers -------------------------------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _whole_number(item_id: str, value: Any) -> int:
    # bool is an int subclass, but True is never a meaningful questionnaire answer.
    if isinstance(value, bool):
        raise ValueError(f"item {item_id!r}: {value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(f"item {item_id!r}: {value!r} is not a whole number")


def _item_score(definition: Mapping[str, Any], item: Mapping[str, Any], value: Any) -> int:
    """The score of one answer to a scored item, after reverse scoring."""
    number = _whole_number(item["id"], value)
    low, high = _item_range(definition, item)
    if item["type"] == "scale":
        if not low <= number <= high:
            raise ValueError(f"item {item['id']!r}: {value!r} is outside its range {low} to {high}")
    else:
        allowed = [int(o["value"]) for o in _item_options(definition, item)]
        if number not in allowed:
            raise ValueError(
                f"item {item['id']!r}: {value!r} is not one of its option values ({', '.join(map(str, allowed))})"
            )
    return low + high - number if item.get("reverse") else number


def _check_unscored_answer(definition: Mapping[str, Any], item: Mapping[str, Any], value: Any) -> None:
    if item["type"] in ("choice", "multi_choice"):
        allowed = {str(o["value"]) for o in _item_options(definition, item)}
        chosen = value if isinstance(value, list | tuple) and item["type"] == "multi_choice" else [value]
        for one in chosen:
            if isinstance(one, bool) or str(one) not in allowed:
                raise ValueError(f"item {item['id']!r}: {one!r} is not one of its option values")
    elif item["type"] == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"item {item['id']!r}: {value!r} is not a number") from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise ValueError(f"item {item['id']!r}: {value!r} is not a number")
        if ("min" in item and number < item["min"]) or ("max" in item and number > item["max"]):
            raise ValueError(f"item {item['id']!r}: {value!r} is outside its range")


def _signals_risk(
    definition: Mapping[str, Any], item: Mapping[str, Any], value: Any, score: int | None
) -> bool:
    """Whether an answer to a risk item is above the item's lowest value.

    Scored items compare the score (after reverse scoring, so a reversed "I feel safe" item flags the
    unsafe end). Items without a numeric order err on the side of raising the alert: any option other than
    the first listed, any number above the minimum (0 when none is set), any text that is not blank.
    """
    if score is not None:
        return score > _item_range(definition, item)[0]
    if item["type"] in ("choice", "multi_choice"):
        options = _item_options(definition, item)
        first = str(options[0]["value"]) if options else None
        chosen = value if isinstance(value, list | tuple) else [value]
        return any(str(one) != first for one in chosen)
    if item["type"] == "number":
        return float(value) > float(item.get("min", 0))
    if item["type"] == "descriptive":
        return False
    return bool(str(value).strip())


# --- copied from emotipal/measures/definition.py (must stay equivalent; this package may not import it) -------


def _item_options(definition: Mapping[str, Any], item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(item.get("options") or definition.get("options") or [])


def _is_scored(definition: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    if item["type"] == "scale":
        return True
    if item["type"] == "choice":
        options = _item_options(definition, item)
        return bool(options) and all(
            isinstance(o["value"], int) and not isinstance(o["value"], bool) for o in options
        )
    return False


def _item_range(definition: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[int, int]:
    """Lowest and highest score of a scored item."""
    if item["type"] == "scale":
        return int(item["min"]), int(item["max"])
    values = [int(o["value"]) for o in _item_options(definition, item)]
    return min(values), max(values)


def _scored_items(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    ids = (definition.get("scoring") or {}).get("items")
    items = [i for i in definition["items"] if _is_scored(definition, i)]
    return [i for i in items if i["id"] in ids] if ids else items


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
