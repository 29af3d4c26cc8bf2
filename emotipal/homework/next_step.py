"""The one "next step" at the top of Today: the single most useful thing for the client to do now.

Pure (no database): it orders what Today already loaded. The order, most useful first:

1. an exercise due today that the client already started (a draft waits: finishing costs least);
2. an exercise due today, in Today's order (homework is the treatment; a missed day cannot be made up);
3. a questionnaire already started, then any open one, the one closing soonest first
   (each stays open for days, so it can follow the exercise);
4. a look back on homework before the coming session;
5. after the end of treatment, the "looking back" questions;
6. an exercise for this week whose weekly count is not reached yet.

An exercise whose missed practice today was already reported ("I couldn't do it today") is never the next
step: the client told us it will not happen today, and asking again would nag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["exercise", "questionnaire", "self_review", "looking_back"]
FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class NextStep:
    kind: Kind
    item: Any  # a TodayItem, a measures Response, an (assignment, session) pair, or None for looking back


def _still_possible(item: Any) -> bool:
    return not getattr(item, "barrier_noted", False) and not item.done_today


def choose_next_step(
    *,
    due: Sequence[Any],
    questionnaires: Sequence[Any],
    self_reviews: Sequence[Any],
    looking_back: bool,
    this_week: Sequence[Any] = (),
) -> NextStep | None:
    """The next step, or None when there is nothing to do (Today then says so kindly)."""
    doable = [i for i in due if _still_possible(i)]
    started = [i for i in doable if i.has_draft]
    if started or doable:
        return NextStep("exercise", (started or doable)[0])
    if questionnaires:
        first = min(
            questionnaires,
            key=lambda q: (q.status != "in_progress", q.expires_at or FAR_FUTURE),
        )
        return NextStep("questionnaire", first)
    if self_reviews:
        return NextStep("self_review", self_reviews[0])
    if looking_back:
        return NextStep("looking_back", None)
    behind = [i for i in this_week if _still_possible(i) and not i.week_target_met]
    if behind:
        return NextStep("exercise", behind[0])
    return None
