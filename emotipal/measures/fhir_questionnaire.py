"""Read a FHIR Questionnaire (R4B or R5 JSON) as the wording of a language version of an instrument. Pure Python.

Only what a translation needs is read: the title, the description (shown as the preamble), and each item's
linkId, type, text, answer codes with their display, and minValue / maxValue. The item types map back as
fhir.py writes them. Groups are read through (their items count as the questionnaire's own).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from emotipal.measures.fhir import MAX_VALUE_EXTENSION, MIN_VALUE_EXTENSION

_TYPES = {
    "display": "descriptive",
    "choice": "choice",
    "coding": "choice",
    "integer": "scale",
    "decimal": "number",
    "string": "short_text",
    "text": "long_text",
}


class QuestionnaireError(ValueError):
    """A file that is not a FHIR Questionnaire EmotiPal can read."""


def _items(items: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(items, list):
        raise QuestionnaireError(f"{path} must be a list")
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise QuestionnaireError(f"{where} must be an object")
        if item.get("type") == "group":
            yield from _items(item.get("item") or [], f"{where}.item")
        else:
            yield where, item


def _option(where: str, option: Any) -> dict[str, Any]:
    coding = option.get("valueCoding") if isinstance(option, dict) else None
    if not isinstance(coding, dict) or coding.get("code") in (None, ""):
        raise QuestionnaireError(f"{where}: each answerOption needs a valueCoding with a code and a display")
    return {"value": str(coding["code"]), "label": str(coding.get("display") or "")}


def _bound(item: dict[str, Any], url: str) -> Any:
    for extension in item.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == url:
            return extension.get("valueInteger", extension.get("valueDecimal"))
    return None


def _item(where: str, item: dict[str, Any]) -> dict[str, Any]:
    link_id = item.get("linkId")
    if not isinstance(link_id, str) or not link_id:
        raise QuestionnaireError(f"{where}: linkId is missing")
    kind = _TYPES.get(str(item.get("type")))
    if kind is None:
        raise QuestionnaireError(f"{where} ({link_id}): item type {item.get('type')!r} is not supported")
    if kind == "choice" and item.get("repeats"):
        kind = "multi_choice"
    out: dict[str, Any] = {"id": link_id, "type": kind, "text": str(item.get("text") or "")}
    if kind in ("choice", "multi_choice"):
        out["options"] = [_option(f"{where} ({link_id})", o) for o in item.get("answerOption") or []]
    lo, hi = _bound(item, MIN_VALUE_EXTENSION), _bound(item, MAX_VALUE_EXTENSION)
    if lo is not None:
        out["min"] = lo
    if hi is not None:
        out["max"] = hi
    return out


def read_questionnaire(text: str) -> tuple[dict[str, Any], str]:
    """A definition-shaped dict of the file's wording and structure, and the file's language ("" if none)."""
    try:
        resource = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionnaireError(f"the file is not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise QuestionnaireError("the file is not a FHIR Questionnaire (resourceType must be Questionnaire)")
    items = [_item(where, item) for where, item in _items(resource.get("item") or [], "item")]
    definition = {
        "key": str(resource.get("name") or "questionnaire"),
        "name": str(resource.get("title") or resource.get("name") or ""),
        "title": str(resource.get("title") or ""),
        "preamble": str(resource.get("description") or ""),
        "items": items,
    }
    return definition, str(resource.get("language") or "")
