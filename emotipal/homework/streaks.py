"""Runs of practice days and their milestones: the rewards experiment feature on Today.

A practice day is a day, in the client's own time zone, with at least one submitted entry (an entry's
`practice_date` is the client's local date of the practice, emotipal.platform.clock). The current run counts
back from today; a today without practice yet does not end the run (the day is not over), so the run counts
back from yesterday. The wording on Today is calm and never names a run that ended as a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Entry
from emotipal.platform import clock, features

MILESTONES = (3, 7, 14, 30, 60, 100)
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Streak:
    current: int  # consecutive practice days up to today (or yesterday, when today has none yet)
    practised_today: bool
    longest: int  # the longest run so far, the current one included
    milestones: tuple[int, ...]  # milestones the longest run reached, smallest first
    next_milestone: int | None  # the next milestone for the current run, None past the last

    @property
    def days_to_next(self) -> int | None:
        return None if self.next_milestone is None else self.next_milestone - self.current


def streak(days: Iterable[dt.date], today: dt.date) -> Streak:
    """The runs of practice in these (local) days, as seen on `today`. Days after today are ignored."""
    practised = {d for d in days if d <= today}
    practised_today = today in practised
    current = 0
    day = today if practised_today else today - ONE_DAY
    while day in practised:
        current += 1
        day -= ONE_DAY
    longest = run = 0
    previous: dt.date | None = None
    for d in sorted(practised):
        run = run + 1 if previous is not None and d - previous == ONE_DAY else 1
        longest = max(longest, run)
        previous = d
    return Streak(
        current=current,
        practised_today=practised_today,
        longest=longest,
        milestones=tuple(m for m in MILESTONES if m <= longest),
        next_milestone=next((m for m in MILESTONES if m > current), None),
    )


def for_client(client: ClientProfile, today: dt.date | None = None) -> Streak | None:
    """The client's streak for Today, or None when their arm does not show streaks (everyone outside one)."""
    if not features.value(client, "rewards")["streaks"]:
        return None
    today = today or clock.client_today(client)
    days = (
        Entry.objects.filter(
            assignment__client=client, status=Entry.Status.SUBMITTED, practice_date__lte=today
        )
        .order_by()
        .values_list("practice_date", flat=True)
        .distinct()
    )
    return streak(days, today)
