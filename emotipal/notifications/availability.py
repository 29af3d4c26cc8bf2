"""Availability of a reminder decision point (micro-randomised trial): may a reminder be randomised now?

A decision point is a planned practice day at the client's reminder time, i.e. each run of send_reminder.
It is not available when:

- nothing is planned that day (no homework due on that weekday within its dates);
- the client is paused: an experiment's arm turned reminders off, or there is no channel to send one
  through (the account is deactivated or has no e-mail address);
- the day's practice is already done: every practice due that day was submitted before the decision moment.

- the decision moment falls inside the client's quiet hours (a task that ran late, or quiet hours chosen
  after the reminder was queued): features.QUIET_HOURS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment, Entry
from emotipal.notifications.models import ReminderPreference
from emotipal.notifications.preferences import in_quiet_hours, preference_of
from emotipal.platform import clock, features


def has_channel(client: ClientProfile) -> bool:
    user = client.user
    return bool(user.is_active and user.email)


def availability(
    client: ClientProfile,
    day: dt.date,
    moment: dt.datetime,
    reminders: Mapping[str, Any],
    active: Sequence[Assignment],
    pref: ReminderPreference | None = None,
) -> features.Availability:
    """Whether the decision point of `day` at `moment` is available, and if not, why.

    `reminders` is the client's "reminders" feature; `active` their assignments active that day; `pref`
    their reminder preference when the caller has read it (else it is read here)."""
    planned = [a for a in active if a.is_due_on(day)]
    if not planned:
        return features.Availability(False, features.NOTHING_PLANNED)
    if not reminders["enabled"] or not has_channel(client):
        return features.Availability(False, features.PAUSED)
    done = (
        Entry.objects.filter(
            assignment__in=planned,
            status=Entry.Status.SUBMITTED,
            practice_date=day,
            submitted_at__lte=moment,
        )
        .values("assignment_id")
        .distinct()
        .count()
    )
    if done >= len(planned):
        return features.Availability(False, features.ALREADY_DONE)
    local = clock.local_now(clock.zone_for_client(client), moment).time()
    if in_quiet_hours(local, pref or preference_of(client)):
        return features.Availability(False, features.QUIET_HOURS)
    return features.Availability(True)
