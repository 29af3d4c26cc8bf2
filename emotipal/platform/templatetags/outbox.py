"""{% outbox_texts as texts %}: the outbox's texts in the page's language (see pwa.outbox_texts)."""

from __future__ import annotations

from typing import Any

from django import template

from emotipal.platform import pwa

register = template.Library()


@register.simple_tag
def outbox_texts() -> dict[str, Any]:
    return pwa.outbox_texts()
