"""Rules for untrusted input that every app shares: text that can be stored, ids and indexes that are plain
bounded numbers, JSON documents of a sane size and shape, and YAML without tags, anchors or dates.

Each check returns a message (or raises `BadInput` with one) so that callers answer with a clear 4xx instead of
failing deep inside the database driver or the encryption layer:

- PostgreSQL refuses NUL (U+0000) in text and in jsonb, while SQLite stores it: the same request must not
  succeed on one database and crash on the other.
- A lone surrogate (U+D800..U+DFFF, e.g. "\\ud800" in JSON) cannot be encoded to UTF-8, so saving it raises in
  the driver or in field encryption.
- `str.isdigit()` and `int()` accept non-ASCII digits ("٣" is 3) and `int()` any size, so ids and indexes are
  read by `parse_index` only.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from django.utils.translation import gettext as _

# Lone surrogates can only appear in a Python str that did not come from valid UTF-8 (JSON "\ud800" escapes).
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")

# The largest id a request may name: PostgreSQL's bigint (Django's BigAutoField) ends here.
MAX_ID = 2**63 - 1


class BadInput(ValueError):
    """Input refused before it reaches the database; `message` is for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored, or None if it can."""
    match = _BAD_CHARACTERS.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return _(
            "The text contains a NUL character (U+0000), which cannot be saved. Remove it and try again."
        )
    return _(
        "The text contains an invalid character (a lone UTF-16 surrogate), which cannot be saved. "
        "Remove it and try again."
    )


def find_text_problem(data: Any) -> str | None:
    """The first `text_problem` in a JSON-like value (strings, dict keys, lists), or None.

    Iterative, so a deeply nested document is searched to the bottom without hitting the recursion limit."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return problem
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return None


def parse_index(raw: Any, *, maximum: int = MAX_ID) -> int | None:
    """A whole number 0..maximum written in ASCII digits only, or None.

    Rejects "٣" (Arabic-Indic three), "1e3", "+3", " 3", "3.0", "-1" and anything longer than the bound allows,
    which `int()` would either accept or turn into an overflow deep in the database.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw <= maximum else None
    if not isinstance(raw, str) or not raw or not raw.isascii() or not raw.isdigit():
        return None
    if len(raw) > len(str(maximum)):
        return None
    value = int(raw)
    return value if value <= maximum else None


def parse_id(raw: Any) -> int | None:
    """A database id (1..MAX_ID in ASCII digits) from a form, a query string or JSON, or None."""
    value = parse_index(raw)
    return value if value is not None and value >= 1 else None


# --- JSON documents ---------------------------------------------------------------------------------------------


def check_json_shape(data: Any, *, max_chars: int, max_depth: int, max_keys: int) -> str | None:
    """Why this JSON-like value is too big, too deep or has too many keys (or unstorable text), or None."""
    keys = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                return _("The data is nested too deeply (at most %(depth)s levels).") % {"depth": max_depth}
            if isinstance(value, dict):
                keys += len(value)
                if keys > max_keys:
                    return _("The data has too many entries (at most %(keys)s).") % {"keys": max_keys}
                stack.extend((v, depth + 1) for v in value.values())
            else:
                stack.extend((v, depth + 1) for v in value)
    try:
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        return _("The data is not plain JSON (NaN and Infinity are not numbers JSON can hold).")
    if size > max_chars:
        return _("The data is too large (at most %(size)s characters).") % {"size": max_chars}
    return find_text_problem(data)


# --- YAML -----------------------------------------------------------------------------------------------------

YAML_MAX_CHARS = 100_000
YAML_MAX_DEPTH = 20

# Only the plain JSON types are built; everything else that YAML can express is refused with a reason.
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (alias bombs), explicit tags, dates and deep nesting."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.YAMLError(
                _("line %(line)s: anchors and aliases (& and *) are not allowed.")
                % {"line": event.start_mark.line + 1}
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":  # plain and quoted values have no tag; "!" only says "not plain"
            raise yaml.YAMLError(
                _("line %(line)s: tags such as %(tag)s are not allowed.")
                % {"line": event.start_mark.line + 1, "tag": tag}
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > YAML_MAX_DEPTH:
                raise yaml.YAMLError(
                    _("line %(line)s: nested too deeply (at most %(depth)s levels).")
                    % {"line": event.start_mark.line + 1, "depth": YAML_MAX_DEPTH}
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and node.tag not in _PLAIN_TAGS:
            kind = "a date" if node.tag == "tag:yaml.org,2002:timestamp" else node.tag
            raise yaml.YAMLError(
                _("line %(line)s: %(value)s reads as %(kind)s; put it in quotes if it is text.")
                % {"line": node.start_mark.line + 1, "value": getattr(node, "value", ""), "kind": kind}
            )
        return node


def safe_yaml_load(text: str, *, max_chars: int = YAML_MAX_CHARS) -> Any:
    """Plain JSON-compatible data from YAML text, or BadInput with the reason (size, tag, alias, date...)."""
    if len(text) > max_chars:
        raise BadInput(_("The text is too long (at most %(size)s characters).") % {"size": max_chars})
    problem = text_problem(text)
    if problem:
        raise BadInput(problem)
    try:
        data = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - _PlainLoader is a restricted SafeLoader  # nosec B506
    except yaml.YAMLError as exc:
        raise BadInput(_("This is not valid YAML: %(reason)s") % {"reason": exc}) from exc
    except RecursionError as exc:  # pragma: no cover - the depth limit comes first
        raise BadInput(_("This is nested too deeply.")) from exc
    try:
        # Non-finite numbers (.nan, .inf) are not JSON and PostgreSQL's jsonb refuses them.
        return json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise BadInput(
            _("Only text, numbers, true/false, lists and mappings are allowed (no .nan or .inf).")
        ) from exc
