"""Template filters for emotipal.platform.formatting: `{{ entry.practice_date|day }}`, `{{ at|moment:zone }}`
(the zone the page is read in, see emotipal.accounts.viewer; without it, the active zone)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from emotipal.platform import formatting

register = template.Library()


@register.filter(name="day")
def day(value: dt.date | None) -> str:
    if isinstance(value, dt.datetime):  # a moment asked for as a day: the day it is in the active zone
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formatting.day(value)


@register.filter(name="moment")
def moment(value: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    return formatting.moment(value, zone or None)


@register.filter(name="local", expects_localtime=True)
def local(value: dt.date | None, name: str) -> str:
    """`{{ day|local:"WEEKDAY_SHORT_DAY" }}`: "Thu 3 Dec", "jue 3 dic", "الخميس 3 ديسمبر" (formatting.local).
    Moments arrive in the page's active zone, as with Django's |date."""
    if value in (None, ""):
        return ""
    return formatting.local(value, name)
