"""The field schema of exercise templates, and validation of a client's answers against it.

Pure Python (no Django: messages are translated through emotipal.definitions.i18n) so the API, the web forms, the simulator and tests share one definition.

A template's `fields` is a list of field definitions; each has `id`, `type`, `label`, optional `help` and
`required` (default false), plus type-specific keys:

- short_text: `max_length` (default 200)          - long_text: `max_length` (default 5000)
- number: `min`, `max` (optional, decimals allowed) - scale: `min`, `max` (integers, required), `anchors`
  (mapping of value -> label, at least the two ends)
- choice / multi_choice: `options`, a list of {value, label}
- duration: minutes as a whole number, `min` (default 0), `max` (default 1440)
- datetime: an ISO 8601 date-time
- group: a repeating group with `fields` (no nested groups), `min_items` (default 0), `max_items` (default 20)

Answers are a dict keyed by field id. Drafts keep whatever the client typed; `validate_answers` turns a
submission into typed values or returns a message per field path ("thoughts.1.belief").
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from emotipal.definitions.i18n import _, ngettext

FIELD_TYPES = {
    "short_text",
    "long_text",
    "number",
    "scale",
    "choice",
    "multi_choice",
    "duration",
    "datetime",
    "group",
}
TEXT_DEFAULT_MAX = {"short_text": 200, "long_text": 5000}


class SchemaError(ValueError):
    """A template definition that does not follow the schema."""


@dataclass
class ValidationResult:
    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _anchor_key(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    return int(key) if isinstance(key, str) and key.lstrip("-").isdigit() else None


def check_template_fields(fields: Any, *, nested: bool = False) -> None:
    """Raise SchemaError if a template's field list is malformed."""
    if not isinstance(fields, list) or not fields:
        raise SchemaError("fields must be a non-empty list")
    seen: set[str] = set()
    for spec in fields:
        if not isinstance(spec, dict):
            raise SchemaError(f"field definition must be a mapping, got {spec!r}")
        fid = spec.get("id")
        ftype = spec.get("type")
        if not isinstance(fid, str) or not fid.isidentifier():
            raise SchemaError(f"field id {fid!r} must be an identifier")
        if fid in seen:
            raise SchemaError(f"duplicate field id {fid!r}")
        seen.add(fid)
        if ftype not in FIELD_TYPES:
            raise SchemaError(f"field {fid!r}: unknown type {ftype!r}")
        if not spec.get("label"):
            raise SchemaError(f"field {fid!r}: a label is required")
        if ftype == "scale":
            lo, hi = spec.get("min"), spec.get("max")
            if not isinstance(lo, int) or not isinstance(hi, int) or lo >= hi:
                raise SchemaError(f"field {fid!r}: a scale needs integer min < max")
            raw_anchors = spec.get("anchors") or {}
            # Stored templates are JSON, whose keys are strings: "0" and 0 are the same anchor.
            keys = [_anchor_key(k) for k in raw_anchors] if isinstance(raw_anchors, dict) else [None]
            if len(set(keys)) != len(keys):
                raise SchemaError(f"field {fid!r}: an anchor is given twice (as a number and as text?)")
            if any(k is None or not lo <= k <= hi for k in keys):
                raise SchemaError(f"field {fid!r}: anchors must be integers within the scale")
            if lo not in keys or hi not in keys:
                raise SchemaError(f"field {fid!r}: a scale needs anchor labels for {lo} and {hi}")
        if ftype in {"choice", "multi_choice"}:
            options = spec.get("options")
            if not isinstance(options, list) or len(options) < 2:
                raise SchemaError(f"field {fid!r}: at least two options are required")
            values = [o.get("value") for o in options if isinstance(o, dict)]
            if (
                len(values) != len(options)
                or len(set(values)) != len(values)
                or not all(
                    isinstance(v, str) and v and o.get("label") for v, o in zip(values, options, strict=True)
                )
            ):
                raise SchemaError(f"field {fid!r}: options need unique string values and labels")
        if ftype == "group":
            if nested:
                raise SchemaError(f"field {fid!r}: groups cannot be nested")
            check_template_fields(spec.get("fields"), nested=True)
            lo, hi = spec.get("min_items", 0), spec.get("max_items", 20)
            if not isinstance(lo, int) or not isinstance(hi, int) or lo < 0 or hi < max(lo, 1):
                raise SchemaError(f"field {fid!r}: min_items/max_items are not sensible")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _clean_number(spec: dict[str, Any], raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, _("Enter a number.")
    try:
        number = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        return None, _("Enter a number.")
    if not number.is_finite():
        return None, _("Enter a number.")
    value = float(number)
    if "min" in spec and value < spec["min"]:
        return None, _("Enter a number of at least %(min)s.") % {"min": spec["min"]}
    if "max" in spec and value > spec["max"]:
        return None, _("Enter a number of at most %(max)s.") % {"max": spec["max"]}
    return (int(value) if value.is_integer() else value), None


def _clean_whole(raw: Any, lo: int, hi: int, what: str) -> tuple[Any, str | None]:
    """`what` is the message, with %(lo)s and %(hi)s, for a value that is not a whole number in range."""
    what = what % {"lo": lo, "hi": hi}
    if isinstance(raw, bool):
        return None, what
    if isinstance(raw, float) and (math.isnan(raw) or not raw.is_integer()):
        return None, what
    try:
        value = int(str(raw).strip()) if not isinstance(raw, (int, float)) else int(raw)
    except ValueError:
        return None, what
    if not lo <= value <= hi:
        return None, what
    return value, None


def clean_value(spec: dict[str, Any], raw: Any) -> tuple[Any, str | None]:
    """Turn one non-blank raw answer into its typed value, or return an error message."""
    ftype = spec["type"]
    if ftype in TEXT_DEFAULT_MAX:
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            return None, _("Enter text.")
        text = str(raw).strip()
        limit = spec.get("max_length", TEXT_DEFAULT_MAX[ftype])
        if len(text) > limit:
            return None, _("Keep this to %(limit)s characters or fewer (it has %(length)s).") % {
                "limit": limit,
                "length": len(text),
            }
        return text, None
    if ftype == "number":
        return _clean_number(spec, raw)
    if ftype == "scale":
        return _clean_whole(raw, spec["min"], spec["max"], _("Choose a value from %(lo)s to %(hi)s."))
    if ftype == "duration":
        return _clean_whole(
            raw,
            spec.get("min", 0),
            spec.get("max", 1440),
            _("Choose a number of minutes from %(lo)s to %(hi)s."),
        )
    if ftype == "choice":
        allowed = [o["value"] for o in spec["options"]]
        return (raw, None) if raw in allowed else (None, _("Choose one of the options."))
    if ftype == "multi_choice":
        values = raw if isinstance(raw, list) else [raw]
        allowed = [o["value"] for o in spec["options"]]
        if not all(v in allowed for v in values):
            return None, _("Choose from the options shown.")
        return [v for v in allowed if v in values], None  # keep the template's order, drop repeats
    if ftype == "datetime":
        try:
            parsed = dt.datetime.fromisoformat(str(raw).strip())
        except ValueError:
            return None, _("Enter a date and time.")
        return parsed.isoformat(timespec="minutes"), None
    raise SchemaError(f"cannot clean a value of type {ftype}")


def _validate_fields(
    fields: list[dict[str, Any]], answers: dict[str, Any], prefix: str, result: ValidationResult
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for spec in fields:
        fid = spec["id"]
        path = f"{prefix}{fid}"
        raw = answers.get(fid)
        if spec["type"] == "group":
            items = raw if isinstance(raw, list) else []
            if raw is not None and not isinstance(raw, list):
                result.errors[path] = _("Expected a list of entries.")
                continue
            if any(not isinstance(item, dict) for item in items):
                result.errors[path] = _("Each entry must be an object keyed by field id.")
                continue
            known = {sub["id"] for sub in spec["fields"]}
            for i, item in enumerate(items):
                for key in item:
                    if key not in known:
                        result.errors[f"{path}.{i}.{key}"] = _("This question is not part of the exercise.")
            # Rows the client left completely empty are not entries; the others keep their index for messages.
            filled = [(i, item) for i, item in enumerate(items) if not all(_blank(v) for v in item.values())]
            lo, hi = spec.get("min_items", 0), spec.get("max_items", 20)
            if spec.get("required") and lo == 0:
                lo = 1
            if len(filled) < lo:
                result.errors[path] = ngettext(
                    "Add at least %(count)s entry.", "Add at least %(count)s entries.", lo
                ) % {"count": lo}
            elif len(filled) > hi:
                result.errors[path] = ngettext(
                    "Add no more than %(count)s entry.", "Add no more than %(count)s entries.", hi
                ) % {"count": hi}
            cleaned[fid] = [
                _validate_fields(spec["fields"], item, f"{path}.{i}.", result) for i, item in filled
            ]
            continue
        if _blank(raw):
            if spec.get("required"):
                result.errors[path] = _("This is required.")
            continue
        value, error = clean_value(spec, raw)
        if error:
            result.errors[path] = error
        else:
            cleaned[fid] = value
    return cleaned


def validate_answers(fields: list[dict[str, Any]], answers: Any) -> ValidationResult:
    """Validate a complete submission. Unknown keys are rejected so that nothing is silently dropped."""
    result = ValidationResult()
    if not isinstance(answers, dict):
        result.errors["__all__"] = _("Answers must be an object keyed by field id.")
        return result
    known = {spec["id"] for spec in fields}
    for key in answers:
        if key not in known:
            result.errors[str(key)] = _("This question is not part of the exercise.")
    result.cleaned = _validate_fields(fields, answers, "", result)
    return result


MAX_FORM_INDEX = 999  # a row index in a form name: more rows than any group allows, far fewer than "1e20"


def _form_index(text: str) -> bool:
    """A row index as the page writes it: ASCII digits ("١" and "²" pass str.isdigit) and at most 999."""
    return text.isascii() and text.isdigit() and len(text) <= 3 and int(text) <= MAX_FORM_INDEX


def parse_form_data(fields: list[dict[str, Any]], data: Any, prefix: str = "a.") -> dict[str, Any]:
    """Read raw answers from form data (a QueryDict-like object with getlist) into the answers shape.

    Names are `a.<field>` and, inside groups, `a.<group>.<index>.<field>`. Values stay strings: drafts keep
    exactly what was typed and validation happens on submit.
    """
    answers: dict[str, Any] = {}
    for spec in fields:
        fid = spec["id"]
        name = f"{prefix}{fid}"
        if spec["type"] == "group":
            indexes = sorted(
                {
                    int(index)
                    for key in data
                    if key.startswith(name + ".")
                    and _form_index(index := key[len(name) + 1 :].split(".", 1)[0])
                }
            )
            answers[fid] = [parse_form_data(spec["fields"], data, f"{name}.{i}.") for i in indexes]
        elif spec["type"] == "multi_choice":
            answers[fid] = list(data.getlist(name))
        else:
            value = data.get(name)
            if value is not None:
                answers[fid] = value
    return answers
