"""Submitted answers as label/value rows, for reading an entry (client or therapist).

Every page that shows answers (the client's entry, the therapist's entry page, the client's page) goes through
answer_rows, and its scales and dates through emotipal.platform.formatting: the same answer reads the same
everywhere."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from emotipal.platform.formatting import NO_ANSWER, scale_value, typed_moment


def _display(spec: dict[str, Any], value: Any) -> str:
    if value is None or value == "" or value == []:
        return NO_ANSWER
    if spec["type"] == "scale":
        anchors = {int(k): v for k, v in (spec.get("anchors") or {}).items()}
        try:
            label = anchors.get(int(value))
        except (TypeError, ValueError):  # stored before the scale was typed: shown as it is
            return str(value)
        return scale_value(value, spec["max"], label)
    if spec["type"] in {"datetime", "date"}:
        return typed_moment(value)
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
