"""The project's one clock: the current instant, and whose day it is.

A client's day (Today, their week's goal, due homework, their practice calendar, questionnaire schedules,
reminders) is in the client's time zone, else their clinic's; clinic-wide things are in the clinic's zone.
The server's own zone (settings.TIME_ZONE, what `timezone.localdate()` uses) is nobody's day, so code asks
this module instead. Tests freeze time by patching `now` here; the demo loader plays a simulated history
through `replaying`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

if TYPE_CHECKING:
    from emotipal.accounts.models import ClientProfile, Clinic

UTC = ZoneInfo("UTC")
MAX_ZONE_LENGTH = 64  # the length of the timezone columns


_replayed: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("replayed", default=None)


def now() -> dt.datetime:
    """The current instant (aware, UTC). Every date decision starts here, so a test can freeze it."""
    replayed = _replayed.get()
    return replayed if replayed is not None else timezone.now()


@contextmanager
def replaying(moment: dt.datetime) -> Iterator[None]:
    """Within this block `now()` is `moment`: for loading a simulated history (the demo), whose actions must
    record the simulated dates. Only this thread or task sees it (a context variable)."""
    if timezone.is_naive(moment):
        raise ValueError("replaying needs an aware datetime")
    token = _replayed.set(moment)
    try:
        yield
    finally:
        _replayed.reset(token)


@functools.lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None for an empty or unknown name (never raises)."""
    if not name or len(name) > MAX_ZONE_LENGTH or name != name.strip():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, malformed ("../x") or unreadable
        return None


def validate_zone(name: str) -> None:
    """A ValidationError unless the name is a real IANA time zone (a form validator)."""
    if zone(name) is None:
        raise ValidationError(
            gettext("“%(zone)s” is not a time zone. Use a name like Europe/Berlin or Pacific/Auckland.")
            % {"zone": name[:MAX_ZONE_LENGTH]},
            code="invalid_time_zone",
        )


def zone_for_clinic(clinic: Clinic | None) -> ZoneInfo:
    """The clinic's zone; UTC when it has none (or a stored value that is not a zone)."""
    return (zone(clinic.timezone) if clinic is not None else None) or UTC


def zone_for_client(profile: ClientProfile) -> ZoneInfo:
    """The client's own zone, else their clinic's, else UTC."""
    own = zone(profile.timezone)
    if own is not None:
        return own
    # Only read the clinic when needed: list pages load many profiles without it.
    return zone_for_clinic(profile.clinic)


def local_now(tz: dt.tzinfo, at: dt.datetime | None = None) -> dt.datetime:
    return (at or now()).astimezone(tz)


def local_today(tz: dt.tzinfo, at: dt.datetime | None = None) -> dt.date:
    """The date it is in that zone at `at` (default: now)."""
    return local_now(tz, at).date()


def local_date(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The date an aware instant falls on in that zone (not the server's date of it)."""
    return moment.astimezone(tz).date()


def client_today(profile: ClientProfile, at: dt.datetime | None = None) -> dt.date:
    return local_today(zone_for_client(profile), at)


def at_local_time(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """The instant (UTC) that the wall clock in `tz` shows `time` on `day`.

    On a daylight-saving change the hour stays the chosen one; a time that does not exist that day (the
    skipped hour in spring) falls on the same offset as before the change, i.e. that much later on the wall
    clock; a time that happens twice (autumn) is its first occurrence.
    """
    return dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=tz).astimezone(dt.UTC)


def end_of_local_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """23:59 on that day in that zone: when a questionnaire open "until" that day closes."""
    return at_local_time(day, dt.time(23, 59), tz)
