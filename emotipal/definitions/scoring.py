"""Scoring a questionnaire response: total, severity band, subscales, risk answers, missing items.

Pure Python, part of the instrument definitions (emotipal.definitions.instruments documents the format), so the
web app, the command line, the simulator and the analysis package all score with this one function.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from emotipal.definitions.instruments import is_scored, item_options, item_range, scored_items

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

    Prorating fills in the total only, never an item: ``risk_items`` lists risk items that were *answered*
    above their lowest value, so an unanswered PHQ-9 item 9 stays unanswered for risk alerting (it raises
    no alert, and no estimate of it does either) even when the total is prorated. ``missing`` names it, so a
    caller can ask for it; the questionnaire form does (risk items must be answered to submit).

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
        if is_scored(definition, item):
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

    scored = scored_items(definition)
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
    ranges = [item_range(definition, item) for item in items]
    return sum(lo for lo, _ in ranges), sum(hi for _, hi in ranges)


def _subscales(
    definition: Mapping[str, Any], items_by_id: Mapping[str, Mapping[str, Any]], scores: Mapping[str, int]
) -> dict[str, float | None]:
    result: dict[str, float | None] = {}
    for sub in definition.get("subscales") or []:
        for ref in sub["items"]:
            if ref not in items_by_id or not is_scored(definition, items_by_id[ref]):
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
    low, high = item_range(definition, item)
    if item["type"] == "scale":
        if not low <= number <= high:
            raise ValueError(f"item {item['id']!r}: {value!r} is outside its range {low} to {high}")
    else:
        allowed = [int(o["value"]) for o in item_options(definition, item)]
        if number not in allowed:
            raise ValueError(
                f"item {item['id']!r}: {value!r} is not one of its option values ({', '.join(map(str, allowed))})"
            )
    return low + high - number if item.get("reverse") else number


def _check_unscored_answer(definition: Mapping[str, Any], item: Mapping[str, Any], value: Any) -> None:
    if item["type"] in ("choice", "multi_choice"):
        allowed = {str(o["value"]) for o in item_options(definition, item)}
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
        return score > item_range(definition, item)[0]
    if item["type"] in ("choice", "multi_choice"):
        options = item_options(definition, item)
        first = str(options[0]["value"]) if options else None
        chosen = value if isinstance(value, list | tuple) else [value]
        return any(str(one) != first for one in chosen)
    if item["type"] == "number":
        return float(value) > float(item.get("min", 0))
    if item["type"] == "descriptive":
        return False
    return bool(str(value).strip())
