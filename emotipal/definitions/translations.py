"""Language versions of an instrument version: what a translation may change and what it may not. Pure Python.

A translation holds wording only ("texts"), laid over the base version's definition for display:

    {"title": str, "preamble": str,
     "items": {item id: {"text": str, "section": str, "options": {str(value): label}, "anchors": {str(v): label}}}}

Item ids, types, answer values, ranges, risk flags and scoring always come from the base version, so scores in
every language are computed by the same rules and stay comparable. A file whose structure differs from the base
version is refused with one problem per difference, each naming its item.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from emotipal.definitions.instruments import item_options

BASE_LANGUAGE = "en"  # the language of a definition that does not state one


def definition_language(definition: Mapping[str, Any]) -> str:
    return str(definition.get("language") or BASE_LANGUAGE)


def _item_texts(definition: Mapping[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
    texts: dict[str, Any] = {k: str(item[k]) for k in ("text", "section") if item.get(k)}
    if item["type"] in ("choice", "multi_choice"):
        texts["options"] = {str(o["value"]): str(o["label"]) for o in item_options(definition, item)}
    if item.get("anchors"):
        texts["anchors"] = {str(k): str(v) for k, v in item["anchors"].items()}
    return texts


def texts_of(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Every piece of wording a client reads in this definition."""
    texts: dict[str, Any] = {k: str(definition[k]) for k in ("title", "preamble") if definition.get(k)}
    texts["items"] = {item["id"]: _item_texts(definition, item) for item in definition["items"]}
    return texts


def _signature(definition: Mapping[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
    values = (
        [str(o["value"]) for o in item_options(definition, item)]
        if item["type"]
        in (
            "choice",
            "multi_choice",
        )
        else []
    )
    return {"type": item["type"], "values": values, "min": item.get("min"), "max": item.get("max")}


def _flags(item: Mapping[str, Any]) -> dict[str, bool]:
    return {"risk": bool(item.get("risk")), "reverse": bool(item.get("reverse"))}


def _scoring(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a definition that decide a score, without their labels."""
    return {
        "scoring": definition.get("scoring") or {},
        "subscales": [
            {k: s.get(k) for k in ("key", "items", "method")} for s in definition.get("subscales") or []
        ],
        "bands": [(b.get("min"), b.get("max")) for b in definition.get("bands") or []],
        "direction": definition.get("direction", "lower_is_better"),
    }


def mismatches(base: Mapping[str, Any], candidate: Mapping[str, Any], *, states_scoring: bool) -> list[str]:
    """What in `candidate` (a file's definition) differs from `base` beyond wording, one line per problem.

    `states_scoring`: the file says which items are risk or reverse items and how they are scored (a REDCap
    dictionary exported from EmotiPal does; a FHIR Questionnaire cannot). Then these must be the base's too."""
    name = str(base.get("name") or base.get("key"))
    problems: list[str] = []
    theirs = {item["id"]: item for item in candidate["items"]}
    ours = {item["id"]: item for item in base["items"]}
    for item_id, item in ours.items():
        other = theirs.get(item_id)
        if other is None:
            problems.append(f"item {item_id!r} of {name} is missing from the file")
            continue
        mine, yours = _signature(base, item), _signature(candidate, other)
        if mine["type"] != yours["type"]:
            problems.append(f"item {item_id!r}: the file makes it {yours['type']}, {name} has {mine['type']}")
        elif mine["values"] != yours["values"]:
            problems.append(
                f"item {item_id!r}: answer values {', '.join(yours['values']) or '(none)'} in the file, "
                f"{', '.join(mine['values'])} in {name}"
            )
        elif (mine["min"], mine["max"]) != (yours["min"], yours["max"]):
            problems.append(
                f"item {item_id!r}: range {yours['min']}-{yours['max']} in the file, "
                f"{mine['min']}-{mine['max']} in {name}"
            )
        if states_scoring and _flags(item) != _flags(other):
            for flag in ("risk", "reverse"):
                if _flags(item)[flag] != _flags(other)[flag]:
                    said = "is" if _flags(other)[flag] else "is not"
                    problems.append(f"item {item_id!r}: the file says it {said} a {flag} item, unlike {name}")
        problems += _missing_wording(base, item, _item_texts(candidate, other))
    problems += [f"item {item_id!r} is not an item of {name}" for item_id in theirs if item_id not in ours]
    if states_scoring and _scoring(base) != _scoring(candidate):
        problems.append(
            f"the file scores the questionnaire differently from {name} (scoring, subscales or bands)"
        )
    for key in ("title", "preamble"):
        if base.get(key) and not candidate.get(key):
            problems.append(
                f"the file has no {key}, and {name} has one (a REDCap dictionary carries it in the first "
                f"field's @EMOTIPAL-INSTRUMENT annotation; a FHIR Questionnaire in "
                f"{'title' if key == 'title' else 'description'})"
            )
    return problems


def _missing_wording(base: Mapping[str, Any], item: Mapping[str, Any], given: Mapping[str, Any]) -> list[str]:
    """Wording of the base item that the file does not translate: a page half in another language is refused."""
    wanted = _item_texts(base, item)
    problems = []
    for key in ("text", "section"):
        if wanted.get(key) and not given.get(key):
            problems.append(
                f"item {item['id']!r}: the file gives no {'wording' if key == 'text' else 'section'}"
            )
    for key in ("options", "anchors"):
        missing = [v for v in wanted.get(key, {}) if not (given.get(key) or {}).get(v)]
        if missing:
            what = "answer labels" if key == "options" else "scale labels"
            problems.append(f"item {item['id']!r}: the file gives no {what} for {', '.join(missing)}")
    return problems


def localized(base: Mapping[str, Any], texts: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The base definition with the translation's wording: same ids, values, ranges, flags and scoring."""
    shown = copy.deepcopy(dict(base))
    shown["language"] = language
    for key in ("title", "preamble"):
        if texts.get(key):
            shown[key] = texts[key]
    by_id = texts.get("items") or {}
    for item in shown["items"]:
        given = by_id.get(item["id"]) or {}
        for key in ("text", "section"):
            if given.get(key):
                item[key] = given[key]
        if item["type"] in ("choice", "multi_choice"):
            labels = given.get("options") or {}
            item["options"] = [
                {**option, "label": labels.get(str(option["value"]), option["label"])}
                for option in item_options(base, item)
            ]
        if item.get("anchors"):
            labels = given.get("anchors") or {}
            item["anchors"] = {k: labels.get(str(k), v) for k, v in item["anchors"].items()}
    return shown
