"""Compliance figures as the homework app computes them (emotipal/homework/compliance.py over the pure
emotipal/analysis/engagement.py), one row per participant and period, one column per figure.

The records go through the same cutoff as every other table: nothing collected on or after a participant's
withdrawal, no assignment the assignments table leaves out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from emotipal.analysis import engagement as eng
from emotipal.homework import compliance
from emotipal.platform import clock
from emotipal.research.export.codebook import figure_column
from emotipal.research.export.homework_tables import Context, Row
from emotipal.research.export.people import Person


def _trim(rec: compliance.ClientRecords, p: Person, kept: set[int]) -> compliance.ClientRecords:
    """Only the kept assignments' records, and only those from before the cutoff."""
    rec.today = min(rec.today, p.last_day)
    rec.planned = [x for x in rec.planned if x.assignment_id in kept and x.day <= p.last_day]
    rec.attempts = [
        x
        for x in rec.attempts
        if x.assignment_id in kept and x.day <= p.last_day and p.keeps(x.started_at, x.last_saved_at)
    ]
    rec.ratings = [
        x for x in rec.ratings if (x.assignment_id is None or x.assignment_id in kept) and x.day <= p.last_day
    ]
    openings = []
    for o in rec.openings:
        if o.assignment_id not in kept:
            continue
        opened = o.first_opened_at if o.first_opened_at is None or p.keeps(o.first_opened_at) else None
        # A reminder delay carries no time of its own: after a withdrawal none is kept, to be safe.
        delays = o.reminder_delays_minutes if p.cutoff is None else ()
        openings.append(dataclasses.replace(o, first_opened_at=opened, reminder_delays_minutes=delays))
    rec.openings = openings
    return rec


def _row(ctx: Context, p: Person, period: str, start: dt.date, end: dt.date, figures: list[eng.Figure],
         assignment_id: int | None = None) -> Row:  # fmt: skip
    start_day = p.day(start)
    row: Row = {
        "client_key": p.key,
        "period": period,
        "assignment_key": ctx.keys("assignment", assignment_id),
        "week": start_day // 7 if period == "week" and start_day is not None else None,
        "start_day": start_day,
        "end_day": p.day(end),
    }
    for f in figures:
        name = figure_column(f.measure, f.timing)
        row[name], row[f"{name}_n"] = f.value, f.n
    return row


def compliance_rows(ctx: Context) -> Iterator[Row]:
    people = ctx.rec.people
    clients = [p.participant.client for p in people.values()]
    now = clock.now()
    kept: dict[int, set[int]] = {}
    for a_id, c_id in ctx.rec.owner.items():
        kept.setdefault(c_id, set()).add(a_id)
    for client_id, rec in compliance.gather(clients, now=now).items():
        p = people[client_id]
        rec = _trim(rec, p, kept.get(client_id, set()))
        starts = [a.start_date for a_id, a in rec.assignments.items() if a_id in kept.get(client_id, set())]
        if not starts:
            continue
        start, last = min(starts), rec.today
        if start > last:
            continue
        yield _row(ctx, p, "treatment", start, last, compliance.figures(rec, start=start, end=last, now=now))
        for a_id in sorted(kept.get(client_id, set())):
            a = rec.assignments[a_id]
            end = min(a.end_date, last)
            if a.start_date > end:
                continue
            figures = compliance.figures(
                rec, start=a.start_date, end=end, now=now, period="assignment", assignment_id=a_id
            )
            yield _row(ctx, p, "assignment", a.start_date, end, figures, a_id)
        weeks = compliance.weekly(rec, first_week=start, last_week=last, now=now)
        for monday, figures in weeks.items():
            yield _row(ctx, p, "week", monday, monday + dt.timedelta(days=6), figures)
