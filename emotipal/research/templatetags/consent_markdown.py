"""`{{ text|consent_markdown }}`: a consent document's Markdown as safe HTML (research/consent_text.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from emotipal.research.consent_text import render_consent

register = template.Library()


@register.filter
def consent_markdown(markdown: str) -> SafeString:
    return render_consent(markdown)
