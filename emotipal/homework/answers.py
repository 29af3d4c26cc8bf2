"""Submitted answers as label/value rows, for reading an entry (client or therapist)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _display(spec: dict[str, Any], value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if spec["type"] == "scale":
        anchors = {int(k): v for k, v in (spec.get("anchors") or {}).items()}
        label = anchors.get(int(value))
        return (
            f"{value} ({label})"
            if label
            else _("%(value)s of %(max)s") % {"value": value, "max": spec["max"]}
        )
    if spec["type"] in {"choice", "multi_choice"}:
        labels = {o["value"]: o["label"] for o in spec["options"]}
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(labels.get(v, str(v)) for v in values)
        right = [o for o in spec["options"] if o.get("correct")]
        if right and spec["type"] == "choice":  # a comprehension check: say whether it was right, kindly
            if value == right[0]["value"]:
                return _("%(answer)s: right") % {"answer": shown}
            return _("%(answer)s: the answer is “%(right)s”") % {"answer": shown, "right": right[0]["label"]}
        return shown
    if spec["type"] == "duration":
        return _("%(minutes)s min") % {"minutes": value}
    return str(value)


def answer_rows(fields: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for spec in fields:
        value = answers.get(spec["id"])
        if spec["type"] == "group":
            items = value if isinstance(value, list) else []
            rows.append(
                {
                    "label": spec["label"],
                    "group": [answer_rows(spec["fields"], item) for item in items],
                }
            )
        else:
            rows.append({"label": spec["label"], "value": _display(spec, value), "group": None})
    return rows
