"""The proximal outcome of a micro-randomised reminder trial: did the practice start within the window?

After a decision point's moment `at`, the practice counts as started if, within [at, at + window], the client
began an entry (a draft or a submitted entry: Entry.started_at) of one of their assignments, or opened one of
their assignments for the first time (Assignment.first_opened_at): the objective markers the homework app
keeps. Both are recorded whether or not a reminder was sent, so treated and untreated points are measured
alike (the reminder's own "opened after the reminder" marker exists only when one was sent, and is not used).

An outcome is settled once the window has passed, by the task queued when the decision was recorded
(mrt_tasks.settle_decision_point) or by settle_due (the demo, `emotipal settle_mrt_outcomes`). Settling
twice changes nothing. outcome_at is when the outcome became known: the first start within the window, or the
window's end when there was none. Only available decision points get an outcome: the others were not
randomised and are not analysed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Min

from emotipal.homework.models import Assignment, Entry
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.research.models import DecisionPoint


def window_end(point: DecisionPoint) -> dt.datetime:
    return point.at + dt.timedelta(minutes=point.window_minutes)


def first_start(client_id: int, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """The first moment in [start, end] the client began an entry or first opened an assignment."""
    began = Entry.objects.filter(
        assignment__client_id=client_id, started_at__gte=start, started_at__lte=end
    ).aggregate(first=Min("started_at"))["first"]
    opened = Assignment.objects.filter(
        client_id=client_id, first_opened_at__gte=start, first_opened_at__lte=end
    ).aggregate(first=Min("first_opened_at"))["first"]
    moments = [m for m in (began, opened) if m is not None]
    return min(moments) if moments else None


# What settle() says happened (the task's return value).
MISSING = "missing"
NOT_AVAILABLE = "not available"
ALREADY = "already settled"
WINDOW_OPEN = "window open"
STARTED = "started"
NOT_STARTED = "not started"


def settle(point_id: int, now: dt.datetime | None = None) -> str:
    """Fill one decision point's outcome if its window has passed (idempotent)."""
    now = now or clock.now()
    with transaction.atomic():
        point = (
            DecisionPoint.objects.select_for_update()
            .select_related("participant__client")
            .filter(pk=point_id)
            .first()
        )
        if point is None:
            return MISSING
        if not point.available:
            return NOT_AVAILABLE
        if point.outcome is not None:
            return ALREADY
        end = window_end(point)
        if now < end:
            return WINDOW_OPEN
        started = first_start(point.participant.client_id, point.at, end)
        point.outcome = started is not None
        point.outcome_at = started or end
        point.save(update_fields=["outcome", "outcome_at"])
        record(
            None,
            "research.mrt.outcome",
            point,
            subject_user_id=point.participant.client.user_id,
            outcome=point.outcome,
        )
    return STARTED if point.outcome else NOT_STARTED


def settle_due(now: dt.datetime | None = None) -> int:
    """Settle every available decision point whose window has passed and has no outcome yet; how many."""
    now = now or clock.now()
    candidates = DecisionPoint.objects.filter(available=True, outcome__isnull=True, at__lte=now).values_list(
        "pk", "at", "window_minutes"
    )
    due = [pk for pk, at, minutes in candidates if at + dt.timedelta(minutes=minutes) <= now]
    return sum(1 for pk in due if settle(pk, now) in (STARTED, NOT_STARTED))
