"""Render library text (rationale, instructions) written in YAML block style as paragraphs and lists."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+")
BULLET = re.compile(r"^\s*[-*•]\s+")


def _block(lines: list[str]) -> str:
    """A block of numbered or bulleted lines becomes a list; anything else one paragraph."""
    items: list[str] = []
    kind = "ol" if NUMBERED.match(lines[0]) else "ul" if BULLET.match(lines[0]) else None
    if kind is None:
        return f"<p>{escape(' '.join(line.strip() for line in lines))}</p>"
    pattern = NUMBERED if kind == "ol" else BULLET
    for line in lines:
        if pattern.match(line):
            items.append(pattern.sub("", line).strip())
        elif items:
            items[-1] += " " + line.strip()  # a wrapped continuation of the item above
    return f"<{kind}>" + "".join(f"<li>{escape(item)}</li>" for item in items) + f"</{kind}>"


@register.filter
def prose(text: str) -> SafeString:
    blocks = [b.splitlines() for b in re.split(r"\n\s*\n", (text or "").strip()) if b.strip()]
    return mark_safe("".join(_block(lines) for lines in blocks))  # noqa: S308 (every piece is escaped above)  # nosec B308 B703
