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
from dataclasses import dataclass
from typing import Any

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment, Entry
from emotipal.notifications.models import ReminderPreference
from emotipal.notifications.preferences import in_quiet_hours, preference_of
from emotipal.platform import clock, features


def has_channel(client: ClientProfile) -> bool:
    user = client.user
    return bool(user.is_active and user.email)


@dataclass(frozen=True)
class Point:
    """One decision point to judge: whose, which day, their "reminders" feature, their assignments active
    that day and their reminder preference."""

    client: ClientProfile
    day: dt.date
    reminders: Mapping[str, Any]
    active: Sequence[Assignment]
    pref: ReminderPreference


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
    point = Point(client, day, reminders, active, pref or preference_of(client))
    return availability_of_many([point], moment)[0]


def availability_of_many(points: Sequence[Point], moment: dt.datetime) -> list[features.Availability]:
    """availability of many decision points at one moment, with one query for all of them (the practices
    done), in order."""
    planned = [[a for a in p.active if a.is_due_on(p.day)] for p in points]
    done = _done_by([(a.pk, p.day) for p, due in zip(points, planned, strict=True) for a in due], moment)
    return [
        _availability(p, due, sum((a.pk, p.day) in done for a in due), moment)
        for p, due in zip(points, planned, strict=True)
    ]


def _done_by(practices: list[tuple[int, dt.date]], moment: dt.datetime) -> set[tuple[int, dt.date]]:
    """Which of these (assignment id, day) practices were submitted by `moment`."""
    if not practices:
        return set()
    days = {day for _pk, day in practices}
    submitted = Entry.objects.filter(
        assignment__in={pk for pk, _day in practices},
        status=Entry.Status.SUBMITTED,
        practice_date__in=days,
        submitted_at__lte=moment,
    ).values_list("assignment_id", "practice_date")
    return set(submitted) & set(practices)


def _availability(
    point: Point, planned: list[Assignment], done: int, moment: dt.datetime
) -> features.Availability:
    if not planned:
        return features.Availability(False, features.NOTHING_PLANNED)
    if not point.reminders["enabled"] or not has_channel(point.client):
        return features.Availability(False, features.PAUSED)
    if done >= len(planned):
        return features.Availability(False, features.ALREADY_DONE)
    local = clock.local_now(clock.zone_for_client(point.client), moment).time()
    if in_quiet_hours(local, point.pref):
        return features.Availability(False, features.QUIET_HOURS)
    return features.Availability(True)
