"""Questionnaire items bound to answers and errors, for the client's form and for previews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emotipal.definitions.instruments import item_options, item_range

PREFIX = "q."


@dataclass
class BoundItem:
    item: dict[str, Any]
    name: str
    value: Any
    error: str | None
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # (value, label, checked)
    anchors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.item["type"])

    @property
    def segmented(self) -> bool:
        return self.type == "scale" and len(self.options) > 0


def bind_items(
    definition: dict[str, Any], answers: dict[str, Any], errors: dict[str, str]
) -> list[BoundItem]:
    bound = []
    for item in definition["items"]:
        value = answers.get(item["id"])
        b = BoundItem(item=item, name=PREFIX + item["id"], value=value, error=errors.get(item["id"]))
        if item["type"] in ("choice", "multi_choice"):
            chosen = {str(v) for v in (value if isinstance(value, list) else [value])}
            b.options = [
                (str(o["value"]), o["label"], str(o["value"]) in chosen)
                for o in item_options(definition, item)
            ]
        elif item["type"] == "scale":
            lo, hi = item_range(definition, item)
            b.anchors = sorted((int(k), str(v)) for k, v in (item.get("anchors") or {}).items())
            if hi - lo <= 10:
                b.options = [(str(n), "", str(n) == str(value)) for n in range(lo, hi + 1)]
        bound.append(b)
    return bound


def parse_items(definition: dict[str, Any], data: Any) -> dict[str, Any]:
    """Raw answers from form data; a field left blank becomes '' so that saving clears it."""
    raw: dict[str, Any] = {}
    for item in definition["items"]:
        name = PREFIX + item["id"]
        if item["type"] == "descriptive":
            continue
        if item["type"] == "multi_choice":
            raw[item["id"]] = list(data.getlist(name))
        elif name in data:
            raw[item["id"]] = data.get(name)
    return raw
