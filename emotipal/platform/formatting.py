"""One way to write a day, a moment and a scale answer on every page (entry answers, alerts, summaries).

Days and moments follow the viewer's locale (Django's DATE_FORMAT and DATETIME_FORMAT of the active language);
a moment is first put in the zone the page is read in. A scale answer reads "7 / 10", with the scale's anchor
label after it when the scale has one for that value ("3 / 4 · A lot").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format, iter_format_modules

NO_ANSWER = "—"


def day(value: dt.date | None) -> str:
    """A calendar day in the viewer's locale ("Dec. 2, 2026" in English)."""
    if value is None:
        return NO_ANSWER
    return date_format(value, "DATE_FORMAT")


# The named formats of emotipal/platform/formats/<language>/formats.py, e.g. "SHORT_DAY" for "3 Dec" / "3 dic".
LOCAL_FORMATS = (
    "SHORT_DAY",
    "DAY",
    "LONG_DAY",
    "DAY_MONTH",
    "WEEKDAY_NUMBER",
    "WEEKDAY_SHORT_DAY",
    "WEEKDAY_DAY",
    "WEEKDAY_FULL_DAY",
    "SHORT_MOMENT",
    "MOMENT",
    "WEEKDAY_MOMENT",
    "CHART_MONTH",
)
_format_cache: dict[tuple[str, str], str] = {}


def local_format(name: str) -> str:
    """The active language's pattern for one of LOCAL_FORMATS, English where a language has none. Django's
    get_format only knows its own names, so ours are looked up in the same modules here."""
    if name not in LOCAL_FORMATS:
        raise ValueError(f"unknown local date format {name!r}; add it to every formats module")
    language = translation.get_language() or settings.LANGUAGE_CODE
    cached = _format_cache.get((language, name))
    if cached is None:
        found = (
            getattr(module, f"{name}_FORMAT", None)
            for code in (language, "en")
            for module in iter_format_modules(code, settings.FORMAT_MODULE_PATH)
        )
        cached = _format_cache[(language, name)] = str(next(f for f in found if f))
    return cached


def local(value: dt.date | None, name: str) -> str:
    """A day or moment in one of the named short formats, in the viewer's language ("jue 3 dic" in Spanish).
    A moment is formatted as given: put it in the reader's zone first (the template filter does)."""
    if value is None:
        return NO_ANSWER
    return date_format(value, local_format(name))


def moment(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """An instant in `tz` (else the active zone), in the viewer's locale. A naive value (a time the client typed
    in, with no zone) is shown as written."""
    if value is None:
        return NO_ANSWER
    if timezone.is_aware(value):
        value = timezone.localtime(value, tz)
    return date_format(value, "DATETIME_FORMAT")


def typed_moment(text: Any) -> str:
    """A date or date-and-time stored as text in an answer (ISO 8601), shown like any other; text that is not
    a date is returned as it is."""
    raw = str(text)
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        try:
            return day(dt.date.fromisoformat(raw))
        except ValueError:
            return raw
    return moment(parsed) if len(raw) > 10 else day(parsed.date())


def scale_value(value: Any, maximum: Any, label: str | None = None) -> str:
    """ "7 / 10", or "3 / 4 · A lot" when the scale names that point."""
    if value is None or value == "":
        return NO_ANSWER
    shown = f"{value} / {maximum}"
    return f"{shown} · {label}" if label else shown
