"""A client's reminder preferences read as rules: which days, which channels, and the quiet hours."""

from __future__ import annotations

import datetime as dt

from emotipal.accounts.models import ClientProfile
from emotipal.notifications.models import ReminderPreference


def preference_of(client: ClientProfile) -> ReminderPreference:
    """The client's saved preference, or the default (unsaved) one: e-mail, every day, no quiet hours."""
    found = ReminderPreference.objects.filter(client=client).first()
    return found or ReminderPreference(client=client)


def preferences_of_many(clients: list[ClientProfile]) -> dict[int, ReminderPreference]:
    """Every client's preference (saved or default) by client id, in one query."""
    saved = {p.client_id: p for p in ReminderPreference.objects.filter(client__in=[c.pk for c in clients])}
    return {c.pk: saved.get(c.pk) or ReminderPreference(client=c) for c in clients}


def in_quiet_hours(time: dt.time, pref: ReminderPreference) -> bool:
    """Whether a local wall-clock time falls inside the quiet hours (which may span midnight: 22:00-07:00)."""
    start, end = pref.quiet_start, pref.quiet_end
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= time < end
    return time >= start or time < end


def wanted_on(day: dt.date, pref: ReminderPreference) -> bool:
    return str(day.weekday()) in pref.weekdays


def local_time_for(time: dt.time, pref: ReminderPreference) -> dt.time:
    """The time a reminder goes out: the chosen one, or the end of the quiet hours when it falls inside them.

    A client's own choice never falls inside (the settings form refuses it); an experiment arm's time can,
    and then the client's quiet hours win: the reminder waits until they end, the same day."""
    if in_quiet_hours(time, pref) and pref.quiet_end is not None:
        return pref.quiet_end
    return time
