"""The short confirmation every client sees right after sending an entry: it was received, and where this
week's practice of that exercise stands (done against what the week asks for).

The fuller progress card (all homework, ratings before and after) stays the progress_feedback experiment
feature (progress.py); this note is the same for everyone, so it does not blur that comparison beyond a count
the client could read on Today anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emotipal.homework.goals import week_start, week_target
from emotipal.homework.models import Entry
from emotipal.platform import clock


@dataclass(frozen=True)
class SentNote:
    done: int  # this exercise's entries with a practice day in the client's current week
    target: int  # what this week asks for (0: nothing planned this week, e.g. the homework has ended)

    @property
    def left(self) -> int:
        return max(self.target - self.done, 0)

    @property
    def state(self) -> str:
        """ "on_way", "complete" (this entry met the week's plan), "beyond" (more than planned) or "unplanned"."""
        if self.target <= 0:
            return "unplanned"
        if self.done < self.target:
            return "on_way"
        return "complete" if self.done == self.target else "beyond"


def for_entry(entry: Entry, today: dt.date | None = None) -> SentNote:
    assignment = entry.assignment
    today = today or clock.client_today(assignment.client)
    done = Entry.objects.filter(
        assignment=assignment,
        status=Entry.Status.SUBMITTED,
        practice_date__gte=week_start(today),
        practice_date__lte=today,
    ).count()
    return SentNote(done=done, target=week_target(assignment, today))
