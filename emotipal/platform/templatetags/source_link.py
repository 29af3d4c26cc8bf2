"""Where the footer's link to the program's source points (platform/source.py)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def source_url() -> str:
    return settings.EMOTIPAL_SOURCE_URL or reverse("source_code")
