"""The in-browser instrument builder: a short, readable text format turned into an instrument definition.

    Name: Sleep check
    Key: sleep_check                      (optional; made from the name)
    Preamble: Over the last week...       (optional)
    Options: 0 = Never | 1 = Sometimes | 2 = Often | 3 = Always
    Scoring: sum                          (sum or mean; optional, default sum)
    Bands: 0-3 Low | 4-6 Medium | 7-9 High  (optional)
    Role: mechanism                       (optional: outcome, the default, or mechanism)
    Items:
    How often did you wake in the night?
    [reverse] I woke up rested
    [risk] I thought about hurting myself
    [scale 0-10] How rested did you feel?
    [text] What helped you sleep?
    [long text] Anything else?
    [section] About your mornings

Plain lines are choice items with the shared options. Pure Python; every problem names its line.
"""

from __future__ import annotations

import re
from typing import Any

from emotipal.definitions.instruments import DefinitionError, check_definition

HEADER_RE = re.compile(r"^(name|key|preamble|options|scoring|bands|role|items)\s*:\s*(.*)$", re.IGNORECASE)
TAG_RE = re.compile(
    r"^\[(?P<tag>[a-z ]+?)(?:\s+(?P<lo>-?\d+)\s*-\s*(?P<hi>-?\d+))?\]\s*(?P<text>.+)$", re.IGNORECASE
)
OPTION_RE = re.compile(r"^\s*(-?\d+)\s*=\s*(.+?)\s*$")
BAND_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s+(.+?)\s*$")


class BuilderError(ValueError):
    pass


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "instrument"


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def parse(text: str) -> dict[str, Any]:
    header: dict[str, str] = {}
    items: list[dict[str, Any]] = []
    in_items = False
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = HEADER_RE.match(line) if not in_items or line.lower().startswith("items") else None
        if match:
            key, value = match.group(1).lower(), match.group(2).strip()
            if key == "items":
                in_items = True
            else:
                header[key] = value
            continue
        if not in_items:
            raise BuilderError(
                f"line {number}: expected 'Name:', 'Options:', ... or 'Items:' before the items"
            )
        tagged = TAG_RE.match(line)
        item: dict[str, Any] = {"id": f"item_{len(items) + 1}", "type": "choice", "text": line}
        if tagged:
            tag, text_part = tagged.group("tag").lower().strip(), tagged.group("text").strip()
            item["text"] = text_part
            if tag == "section":
                section = text_part
                continue
            if tag == "reverse":
                item["reverse"] = True
            elif tag == "risk":
                item["risk"] = True
            elif tag == "scale":
                if tagged.group("lo") is None:
                    raise BuilderError(f"line {number}: write a scale as [scale 0-10]")
                item.update(type="scale", min=int(tagged.group("lo")), max=int(tagged.group("hi")))
                item["anchors"] = {item["min"]: "Not at all", item["max"]: "Completely"}
            elif tag == "text":
                item.update(type="short_text", required=False)
            elif tag == "long text":
                item.update(type="long_text", required=False)
            else:
                raise BuilderError(
                    f"line {number}: unknown tag [{tag}] (use reverse, risk, scale 0-10, text, long text, section)"
                )
        if section:
            item["section"], section = section, None
        items.append(item)
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
