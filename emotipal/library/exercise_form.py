"""Turns a template's field schema, the answers so far and any errors into something templates can render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from emotipal.platform.formatting import NO_ANSWER, scale_value

SEGMENTED_MAX_POINTS = (
    11  # scales with up to 11 points (0-10) show as a row of buttons, larger ones as a number
)


@dataclass
class Option:
    value: str
    label: str
    checked: bool


@dataclass
class BoundField:
    spec: dict[str, Any]
    name: str
    value: Any
    error: str | None
    options: list[Option] = field(default_factory=list)
    rows: list[list[BoundField]] = field(default_factory=list)
    blank_row: list[BoundField] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.spec["type"])

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def label(self) -> str:
        return str(self.spec["label"])

    @property
    def required(self) -> bool:
        return bool(self.spec.get("required"))

    @property
    def anchors(self) -> list[tuple[int, str]]:
        return sorted((int(k), str(v)) for k, v in (self.spec.get("anchors") or {}).items())

    @property
    def segmented(self) -> bool:
        return self.type == "scale" and self.spec["max"] - self.spec["min"] < SEGMENTED_MAX_POINTS

    @property
    def input_value(self) -> str:
        return "" if self.value is None else str(self.value)


def _options(spec: dict[str, Any], value: Any) -> list[Option]:
    if spec["type"] == "scale":
        if spec["max"] - spec["min"] >= SEGMENTED_MAX_POINTS:
            return []
        labels = {int(k): str(v) for k, v in (spec.get("anchors") or {}).items()}
        chosen = "" if value is None else str(value)
        return [
            Option(str(n), labels.get(n, ""), str(n) == chosen) for n in range(spec["min"], spec["max"] + 1)
        ]
    if spec["type"] in {"choice", "multi_choice"}:
        chosen_values = value if isinstance(value, list) else [value]
        return [Option(o["value"], o["label"], o["value"] in chosen_values) for o in spec["options"]]
    return []


def bind_fields(
    fields: list[dict[str, Any]],
    answers: dict[str, Any] | None,
    errors: dict[str, str] | None,
    name_prefix: str = "a.",
    error_prefix: str = "",
) -> list[BoundField]:
    answers = answers or {}
    errors = errors or {}
    bound = []
    for spec in fields:
        fid = spec["id"]
        value = answers.get(fid)
        item = BoundField(
            spec=spec,
            name=f"{name_prefix}{fid}",
            value=value,
            error=errors.get(f"{error_prefix}{fid}"),
            options=_options(spec, value),
        )
        if spec["type"] == "group":
            rows = value if isinstance(value, list) and value else [{}]
            if len(rows) < spec.get("min_items", 0):
                rows = rows + [{}] * (spec["min_items"] - len(rows))
            item.rows = [
                bind_fields(
                    spec["fields"],
                    row if isinstance(row, dict) else {},
                    errors,
                    f"{item.name}.{i}.",
                    f"{error_prefix}{fid}.{i}.",
                )
                for i, row in enumerate(rows)
            ]
            item.blank_row = bind_fields(spec["fields"], {}, {}, f"{item.name}.__index__.", "")
        bound.append(item)
    return bound


RATING_QUESTIONS = [
    (
        "effort",
        _("How much effort did you put in?"),
        [_("None at all"), _("A little"), _("Some"), _("A lot"), _("All I had")],
    ),
    (
        "difficulty",
        _("How hard was it?"),
        [_("Very easy"), _("Fairly easy"), _("In between"), _("Fairly hard"), _("Very hard")],
    ),
    (
        "helpfulness",
        _("How helpful was it?"),
        [
            _("Not helpful"),
            _("A little helpful"),
            _("Somewhat helpful"),
            _("Very helpful"),
            _("Extremely helpful"),
        ],
    ),
]


# The short names of the three ratings, for staff pages.
RATING_NAMES = {"effort": _("Effort"), "difficulty": _("Difficulty"), "helpfulness": _("Helpfulness")}


def rating_label(name: str, value: int | None) -> str:
    for key, _question, labels in RATING_QUESTIONS:
        if key == name and value is not None:
            # Written like every other scale answer ("3 / 4 · A lot"): see emotipal.platform.formatting.
            return scale_value(value, len(labels) - 1, str(labels[value]))
    return NO_ANSWER
