"""The in-browser instrument builder: a short, readable text format turned into an instrument definition.

Name: Sleep check
Key: sleep_check
Preamble: Over the last week...
Options: 0 = Never | 1 = Sometimes | 2 = Often | 3 = Always
Scoring: sum
Bands: 0-6 Low | 7-12 Medium | 13-19 High
Role: outcome
Items:
How often did you wake in the night?
[reverse] I woke up rested
[risk] I thought about hurting myself
[scale 0-10] How rested did you feel?
[section] About your mornings
[text] What helped you sleep?
[long text] Anything else?

The example above (the text the builder page starts with) parses and previews exactly as written.

Headers: Name is required. Key (made from the name when left out), Preamble, Options (needed for plain
lines), Scoring (sum, the default, or mean), Bands and Role (outcome, the default, or mechanism) are optional.

Items: one per line after "Items:" (the first may follow "Items:" on the same line). Plain lines are choice
items with the shared options. Tags go at the start of an item line, in any case, several in a row:
"[risk] [reverse] ..." or "[risk][scale 0-10] ...". [section] starts a section at the next item. A tag
written anywhere else on the line, or a bracket that is not a known tag, is an error naming its line, so
a risk flag is never dropped silently. Pure Python; every problem names its line.
"""

from __future__ import annotations

import re
from typing import Any

from emotipal.definitions.instruments import DefinitionError, check_definition

HEADER_RE = re.compile(r"^(name|key|preamble|options|scoring|bands|role|items)\s*:\s*(.*)$", re.IGNORECASE)
# One leading tag: [risk], [ Long Text ], [scale 0-10], [scale 1 - 5].
LEADING_TAG_RE = re.compile(r"^\[\s*(?P<tag>[^\[\]]*?)\s*\]\s*")
SCALE_RE = re.compile(r"^scale\s+(?P<lo>-?\d+)\s*-\s*(?P<hi>-?\d+)$")
# A known tag written after the start of the line (where it would not count).
LATE_TAG_RE = re.compile(r"\[\s*(reverse|risk|scale[^\]]*|text|long\s+text|section)\s*\]", re.IGNORECASE)
TAG_NAMES = "reverse, risk, scale 0-10, text, long text, section"
KIND_TAGS = {"text": "short_text", "long text": "long_text"}
OPTION_RE = re.compile(r"^\s*(-?\d+)\s*=\s*(.+?)\s*$")
BAND_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s+(.+?)\s*$")


class BuilderError(ValueError):
    pass


# The example the builder page starts with and its help shows: the first block of the docstring above.
EXAMPLE = (__doc__ or "").split("\n\n")[1]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "instrument"


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _leading_tags(line: str, number: int) -> tuple[list[str], str]:
    """The tags at the start of an item line (lower case, inner spaces collapsed) and the text after them."""
    tags: list[str] = []
    rest = line
    while rest.startswith("["):
        match = LEADING_TAG_RE.match(rest)
        if match is None:
            raise BuilderError(f"line {number}: a tag is not closed with ']' (tags: {TAG_NAMES})")
        tags.append(re.sub(r"\s+", " ", match.group("tag").lower()))
        rest = rest[match.end() :]
    late = LATE_TAG_RE.search(rest)
    if late:
        raise BuilderError(
            f"line {number}: the tag {late.group(0)} must come at the start of the line, before the question"
        )
    return tags, rest.strip()


def _item_from(tags: list[str], text: str, number: int) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "choice", "text": text}
    kinds: list[str] = []
    for tag in tags:
        scale = SCALE_RE.match(tag)
        if tag == "reverse":
            item["reverse"] = True
        elif tag == "risk":
            item["risk"] = True
        elif scale:
            kinds.append(tag)
            low, high = int(scale.group("lo")), int(scale.group("hi"))
            if low >= high:
                raise BuilderError(f"line {number}: a scale goes from low to high, as in [scale 0-10]")
            item.update(type="scale", min=low, max=high, anchors={low: "Not at all", high: "Completely"})
        elif tag == "scale":
            raise BuilderError(f"line {number}: write a scale as [scale 0-10]")
        elif tag in KIND_TAGS:
            kinds.append(tag)
            item.update(type=KIND_TAGS[tag], required=False)
        else:
            raise BuilderError(f"line {number}: unknown tag [{tag}] (use {TAG_NAMES})")
    if len(kinds) > 1:
        raise BuilderError(f"line {number}: choose one of {', '.join(f'[{k}]' for k in kinds)}")
    if item["type"] in KIND_TAGS.values() and (item.get("risk") or item.get("reverse")):
        raise BuilderError(f"line {number}: [risk] and [reverse] need a scored item, not a text answer")
    if not text:
        raise BuilderError(f"line {number}: write the question after the tags")
    return item


def parse(text: str) -> dict[str, Any]:
    header: dict[str, str] = {}
    items: list[dict[str, Any]] = []
    in_items = False
    section: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = HEADER_RE.match(line) if not in_items or line.lower().startswith("items") else None
        if match and not (in_items and match.group(1).lower() == "items" and items):
            key, value = match.group(1).lower(), match.group(2).strip()
            if key != "items":
                header[key] = value
                continue
            in_items = True
            if not value:
                continue
            line = value  # "Items: the first question" keeps that question
        if not in_items:
            raise BuilderError(
                f"line {number}: expected 'Name:', 'Options:', ... or 'Items:' before the items"
            )
        tags, text_part = _leading_tags(line, number)
        if "section" in tags:
            if len(tags) > 1:
                raise BuilderError(f"line {number}: [section] stands alone, with the section's title")
            if not text_part:
                raise BuilderError(f"line {number}: give the section a title, as in [section] Mornings")
            section = (text_part, number)
            continue
        item = _item_from(tags, text_part, number)
        item = {"id": f"item_{len(items) + 1}", **item}
        if section:
            item["section"], section = section[0], None
        items.append(item)
    if section:
        raise BuilderError(f"line {section[1]}: the section {section[0]!r} has no item after it")
    name = header.get("name", "").strip()
    if not name:
        raise BuilderError("line 1: start with 'Name: ...'")
    if not items:
        raise BuilderError("add at least one item after 'Items:'")
    definition: dict[str, Any] = {
        "key": slug(header.get("key") or name),
        "name": name,
        "title": name,
        "preamble": header.get("preamble", ""),
        "direction": "lower_is_better",
        "items": items,
        "scoring": {"method": (header.get("scoring") or "sum").lower(), "max_missing": 0},
    }
    if header.get("options"):
        options = []
        for part in header["options"].split("|"):
            option = OPTION_RE.match(part)
            if option is None:
                raise BuilderError(f"options: write each as 'number = label', got {part.strip()!r}")
            options.append({"value": int(option.group(1)), "label": option.group(2)})
        definition["options"] = options
    elif any(i["type"] == "choice" for i in items):
        raise BuilderError("choice items need shared options: add 'Options: 0 = Never | 1 = Sometimes | ...'")
    if header.get("bands"):
        bands = []
        for part in header["bands"].split("|"):
            band = BAND_RE.match(part)
            if band is None:
                raise BuilderError(f"bands: write each as 'low-high label', got {part.strip()!r}")
            bands.append(
                {"min": _number(band.group(1)), "max": _number(band.group(2)), "label": band.group(3)}
            )
        definition["bands"] = bands
    if header.get("role"):
        definition["role"] = header["role"].strip().lower()
    try:
        check_definition(definition)
    except DefinitionError as exc:
        raise BuilderError(str(exc)) from exc
    return definition


def risk_items(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The items whose answer raises an alert (any answer above the lowest scored value)."""
    return [item for item in definition.get("items", []) if item.get("risk")]


def _same_text(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def lost_risk_items(previous: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Texts of the previous version's risk items that the new version no longer flags as risk: removed,
    reworded, or the flag dropped. Matched by wording, not id, since reordering renumbers the items."""
    if previous is None:
        return []
    kept = {_same_text(item["text"]) for item in risk_items(new)}
    return [item["text"] for item in risk_items(previous) if _same_text(item["text"]) not in kept]
