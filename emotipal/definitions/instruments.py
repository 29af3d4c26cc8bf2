"""The data format of an instrument (questionnaire) definition, and its validation. Pure Python.

An instrument definition is a dict (stored as JSON on each instrument version, shipped as YAML in
emotipal/measures/instruments/):

    key:          "phq9"                     short identifier, [a-z0-9_]+
    name:         "PHQ-9"                    short name shown in lists
    title:        "Patient Health Questionnaire (PHQ-9)"
    preamble:     text shown before the items ("Over the last 2 weeks, how often ...")
    language:     the language of the wording, optional (default "en"); other languages are a clinic's imported
                  translations of a version, wording only (see translations.py)
    loinc:        LOINC code of the panel, optional ("44249-1")
    total_loinc:  LOINC code of the total score, optional ("44261-6")
    direction:    "lower_is_better" | "higher_is_better"  (symptom scales: lower is better)
    role:         "outcome" (default: symptoms, charted with bands against engagement) | "mechanism" (a
                  process of change such as skills confidence, drawn on the 0-100 mechanisms chart); a
                  clinic's copy keeps the role, so pages select by role and never by key
    options:      default answer options for choice items: [{"value": 0, "label": "Not at all"}, ...]
    items:        list of items, each:
        id:       unique identifier, [a-z][a-z0-9_]*  ("phq9_1")
        type:     "choice" | "multi_choice" | "scale" | "number" | "short_text" | "long_text" | "descriptive"
        text:     the item wording
        options:  for choice/multi_choice: [{"value": int or str, "label": str}]; choice items without options
                  use the instrument's default options
        min, max, anchors: for scale items (integers; anchors maps value -> label), and optional for number
        reverse:  true to reverse-score (score = min + max - value), for scored items
        risk:     true if any answer above the lowest scored value signals risk (PHQ-9 item 9)
        required: default true for choice/scale items, false otherwise
        loinc:    LOINC code of the item, optional
        section:  optional section header shown before the item
    scoring:      {"method": "sum" | "mean", "items": [ids] (default: every scored item),
                   "max_missing": 0}   how many scored items may be unanswered; with missing items allowed, a
                                       sum is prorated: mean of answered items x number of scored items, rounded
                                       half up (the documented prorating rule)
    subscales:    [{"key", "name", "items": [ids], "method": "sum" | "mean"}], optional
    bands:        [{"min": 0, "max": 4, "label": "Minimal"}, ...] covering the total's range without gaps, optional
    reliable_change: {"reliability": 0.84, "sd": 5.7} for the Jacobson-Truax index, optional
    nhs:          {"caseness": 10, "reliable_change": 6} NHS Talking Therapies thresholds, optional
                  (caseness: total >= caseness; reliable change: |difference| >= reliable_change)

Scored items are choice items whose option values are all integers, and scale items.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

OUTCOME, MECHANISM = "outcome", "mechanism"
ROLES = (OUTCOME, MECHANISM)
ITEM_TYPES = ("choice", "multi_choice", "scale", "number", "short_text", "long_text", "descriptive")
KEY_RE = re.compile(r"^[a-z0-9_]+$")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class DefinitionError(ValueError):
    """An instrument definition that does not follow the format."""


def item_options(definition: Mapping[str, Any], item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(item.get("options") or definition.get("options") or [])


def is_scored(definition: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    if item["type"] == "scale":
        return True
    if item["type"] == "choice":
        options = item_options(definition, item)
        return bool(options) and all(
            isinstance(o["value"], int) and not isinstance(o["value"], bool) for o in options
        )
    return False


def item_range(definition: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[int, int]:
    """Lowest and highest score of a scored item."""
    if item["type"] == "scale":
        return int(item["min"]), int(item["max"])
    values = [int(o["value"]) for o in item_options(definition, item)]
    return min(values), max(values)


def scored_items(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    ids = (definition.get("scoring") or {}).get("items")
    items = [i for i in definition["items"] if is_scored(definition, i)]
    return [i for i in items if i["id"] in ids] if ids else items


def check_definition(definition: Any) -> None:
    """Raise DefinitionError naming the first problem found."""
    if not isinstance(definition, dict):
        raise DefinitionError("an instrument definition must be a mapping")
    for key in ("key", "name", "items"):
        if not definition.get(key):
            raise DefinitionError(f"missing {key!r}")
    if not KEY_RE.match(str(definition["key"])):
        raise DefinitionError(f"key {definition['key']!r} may hold only a-z, 0-9 and _")
    if definition.get("direction", "lower_is_better") not in ("lower_is_better", "higher_is_better"):
        raise DefinitionError("direction must be lower_is_better or higher_is_better")
    if definition.get("role", OUTCOME) not in ROLES:
        raise DefinitionError("role must be outcome or mechanism")
    seen: set[str] = set()
    for item in definition["items"]:
        _check_item(definition, item, seen)
    scoring = definition.get("scoring") or {}
    if scoring.get("method", "sum") not in ("sum", "mean"):
        raise DefinitionError("scoring method must be sum or mean")
    for ref in scoring.get("items") or []:
        if ref not in seen:
            raise DefinitionError(f"scoring names unknown item {ref!r}")
    for sub in definition.get("subscales") or []:
        if not sub.get("key") or not sub.get("items"):
            raise DefinitionError("each subscale needs a key and items")
        for ref in sub["items"]:
            if ref not in seen:
                raise DefinitionError(f"subscale {sub['key']!r} names unknown item {ref!r}")
    bands = definition.get("bands") or []
    for lower, upper in itertools.pairwise(bands):
        if upper["min"] != lower["max"] + 1 and not (
            isinstance(upper["min"], float) or isinstance(lower["max"], float)
        ):
            raise DefinitionError(
                f"bands leave a gap or overlap between {lower['label']!r} and {upper['label']!r}"
            )


def _check_item(definition: dict[str, Any], item: Any, seen: set[str]) -> None:
    if not isinstance(item, dict):
        raise DefinitionError(f"item {item!r} must be a mapping")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not ID_RE.match(item_id):
        raise DefinitionError(f"item id {item_id!r} must start with a letter and hold only a-z, 0-9 and _")
    if item_id in seen:
        raise DefinitionError(f"duplicate item id {item_id!r}")
    seen.add(item_id)
    if item.get("type") not in ITEM_TYPES:
        raise DefinitionError(f"item {item_id!r}: unknown type {item.get('type')!r}")
    if not item.get("text"):
        raise DefinitionError(f"item {item_id!r}: text is required")
    if item["type"] in ("choice", "multi_choice"):
        options = item_options(definition, item)
        if len(options) < 2:
            raise DefinitionError(f"item {item_id!r}: at least two options are needed")
        values = [o.get("value") for o in options]
        if len(set(map(str, values))) != len(values) or not all(o.get("label") for o in options):
            raise DefinitionError(f"item {item_id!r}: options need unique values and labels")
    if item["type"] == "scale":
        lo, hi = item.get("min"), item.get("max")
        if not isinstance(lo, int) or not isinstance(hi, int) or lo >= hi:
            raise DefinitionError(f"item {item_id!r}: a scale needs integer min < max")
