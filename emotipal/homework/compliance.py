"""Gathers a set of clients' homework records into the pure compliance functions (emotipal.analysis).

A fixed number of queries for any number of clients: the caseload, a client's page and the export all use it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, DateField, F, Max, OuterRef, Q, Subquery, When

from emotipal.accounts.models import ClientProfile
from emotipal.analysis import engagement as eng
from emotipal.homework.models import (
    Assignment,
    Barrier,
    Entry,
    ReminderEvent,
    RetroactiveRating,
    SelfReview,
    TherapistReview,
    TherapySession,
)
from emotipal.homework.reviews import review_session_for
from emotipal.platform import clock
from emotipal.platform.extensions import ClientIds


@dataclass
class ClientRecords:
    """Everything the compliance figures of one client are computed from."""

    client: ClientProfile
    today: dt.date  # the last day counted: the client's own today unless the caller chose a day
    assignments: dict[int, Assignment] = field(default_factory=dict)
    planned: list[eng.PlannedPractice] = field(default_factory=list)
    attempts: list[eng.Attempt] = field(default_factory=list)
    ratings: list[eng.Rating] = field(default_factory=list)
    openings: list[eng.Opening] = field(default_factory=list)
    practice_days: dict[dt.date, int] = field(default_factory=dict)  # submitted practices per day


def planned_days(
    assignment: Assignment, until: dt.date, tz: dt.tzinfo = clock.UTC, since: dt.date | None = None
) -> list[dt.date]:
    """Days the plan asked for a practice, from its start to its end or `until`, whichever is first.

    A stopped homework counts to the day it was stopped; a paused one to the day before it was paused (the
    pause is a decision taken with the client, not missed practice). Only the pause in force is known: once
    resumed, paused_at is cleared and the paused days count as planned again (the audit log keeps the pause).

    `tz` is the client's zone: homework ended at 23:00 in Honolulu ended on that day there, not the next.
    With `since`, only the days from then on.
    """
    last = min(assignment.end_date, until)
    if assignment.ended_at is not None:
        last = min(last, clock.local_date(assignment.ended_at, tz))
    if assignment.paused_at is not None:
        # While paused nothing is asked of the client: from the day it was paused no day counts as missed.
        last = min(last, clock.local_date(assignment.paused_at, tz) - dt.timedelta(days=1))
    weekdays = set(assignment.weekdays)
    days, day = [], max(assignment.start_date, since or assignment.start_date)
    while day <= last:
        if day.weekday() in weekdays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def gather(
    clients: Iterable[ClientProfile],
    *,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
    since: dt.date | None = None,
) -> dict[int, ClientRecords]:
    """Seven queries in all, however many clients and records.

    With `since`, the planned days and the attempts (entries) before it are left out: for figures of a recent
    period only (the caseload's last weeks), which the figures select by day anyway, so they come out the same
    while a client of two years' daily practice is not read whole. Assignments and ratings are read whole.

    Without `until` each client's records run to their own local today (at `now`), so a client in Auckland,
    already on tomorrow by the server's clock, has that day counted, and one in Honolulu, still on
    yesterday, is not yet asked for today's practice.
    """
    at = now or clock.now()
    profiles = list(clients)
    zones = {c.pk: clock.zone_for_client(c) for c in profiles}
    records = {
        c.pk: ClientRecords(client=c, today=until or clock.local_today(zones[c.pk], at)) for c in profiles
    }
    ids = list(records)
    for a in Assignment.objects.filter(client_id__in=ids).select_related("template_version"):
        rec = records[a.client_id]
        rec.assignments[a.pk] = a
        rec.planned += [
            eng.PlannedPractice(a.pk, day, a.minutes_per_practice)
            for day in planned_days(a, rec.today, zones[a.client_id], since)
        ]
    owner = {a_id: c_id for c_id, rec in records.items() for a_id in rec.assignments}
    entries = Entry.objects.filter(assignment_id__in=owner)
    if since is not None:
        entries = entries.filter(practice_date__gte=since)
    entries = entries.only(
        "assignment_id",
        "status",
        "practice_date",
        "active_seconds",
        "effort",
        "started_at",
        "last_saved_at",
        "edits_after_submit",
        "draft_saves",
    )
    for e in entries:
        rec = records[owner[e.assignment_id]]
        submitted = e.status == Entry.Status.SUBMITTED
        if not submitted and e.draft_saves == 0:
            continue  # opened and left without typing: not an attempt, so not an abandoned draft
        rec.attempts.append(
            eng.Attempt(
                assignment_id=e.assignment_id,
                day=e.practice_date,
                submitted=submitted,
                active_seconds=e.active_seconds,
                effort=e.effort,
                started_at=e.started_at,
                last_saved_at=max(e.last_saved_at, e.started_at),
                edits_after_submit=e.edits_after_submit,
            )
        )
        if submitted:
            rec.practice_days[e.practice_date] = rec.practice_days.get(e.practice_date, 0) + 1
    for self_review in SelfReview.objects.filter(assignment_id__in=owner).select_related("session"):
        records[owner[self_review.assignment_id]].ratings.append(_rating(self_review, "client"))
    for review in TherapistReview.objects.filter(assignment_id__in=owner).select_related("session"):
        records[owner[review.assignment_id]].ratings.append(_rating(review, "therapist"))
    for retro in RetroactiveRating.objects.filter(client_id__in=ids):
        records[retro.client_id].ratings.append(
            eng.Rating(
                None,
                retro.rater_role,
                "retroactive",
                clock.local_date(retro.created_at, zones[retro.client_id]),
                retro.quantity,
                retro.quality,
            )
        )
    delays: dict[int, list[float]] = defaultdict(list)
    for event in ReminderEvent.objects.filter(assignment_id__in=owner, opened_at__isnull=False):
        assert event.opened_at is not None
        delays[event.assignment_id].append(max(0.0, (event.opened_at - event.sent_at).total_seconds() / 60))
    for a_id, c_id in owner.items():
        a = records[c_id].assignments[a_id]
        opened = a.first_opened_at if a.first_opened_at and a.first_opened_at >= a.created_at else None
        # In the client's zone, so the pure code's assigned_at.date() is the client's day of it.
        assigned_at = a.created_at.astimezone(zones[c_id])
        records[c_id].openings.append(eng.Opening(a_id, assigned_at, opened, tuple(delays[a_id])))
    return records


def _rating(review: SelfReview | TherapistReview, source: str) -> eng.Rating:
    ratings = review.ratings or {}
    return eng.Rating(
        assignment_id=review.assignment_id,
        source=source,
        timing="contemporaneous",
        day=review.session.date,
        quantity=ratings.get("quantity"),
        quality=ratings.get("quality"),
        session_id=review.session_id,
    )


def treatment_start(rec: ClientRecords) -> dt.date | None:
    starts = [a.start_date for a in rec.assignments.values()]
    return min(starts) if starts else None


def figures(
    rec: ClientRecords,
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    period: str = "treatment",
    assignment_id: int | None = None,
) -> list[eng.Figure]:
    return eng.compliance_figures(
        rec.planned,
        rec.attempts,
        rec.ratings,
        rec.openings,
        period=period,
        period_start=start,
        period_end=end,
        now=now,
        assignment_id=assignment_id,
    )


def weekly(
    rec: ClientRecords, *, first_week: dt.date, last_week: dt.date, now: dt.datetime
) -> dict[dt.date, list[eng.Figure]]:
    return eng.weekly_figures(
        rec.planned,
        rec.attempts,
        rec.ratings,
        rec.openings,
        first_week=first_week,
        last_week=last_week,
        now=now,
    )


@dataclass
class ReviewStatus:
    last_self_review: dt.datetime | None = None
    open_barriers: int = 0


def review_status(client_ids: ClientIds) -> dict[int, ReviewStatus]:
    """Last self-review and open barriers per client: two queries."""
    status: dict[int, ReviewStatus] = defaultdict(ReviewStatus)
    for row in (
        SelfReview.objects.filter(assignment__client_id__in=client_ids)
        .values("assignment__client_id")
        .annotate(last=Max("created_at"))
    ):
        status[row["assignment__client_id"]].last_self_review = row["last"]
    for barrier_row in (
        Barrier.objects.filter(client_id__in=client_ids)
        .values("client_id")
        .annotate(open=Count("id", filter=Q(resolved_at__isnull=True)))
    ):
        status[barrier_row["client_id"]].open_barriers = barrier_row["open"]
    return status


def sessions_by_client(client_ids: ClientIds) -> dict[int, list[TherapySession]]:
    grouped: dict[int, list[TherapySession]] = defaultdict(list)
    for session in TherapySession.objects.filter(client_id__in=client_ids).order_by("number"):
        grouped[session.client_id].append(session)
    return grouped


def unreviewed_homework(
    rec: ClientRecords, sessions: list[TherapySession], today: dt.date
) -> list[tuple[Assignment, TherapySession]]:
    """Homework whose review session has come without a therapist review in it (flagged for the therapist)."""
    reviewed: set[tuple[int | None, int | None]] = {
        (r.assignment_id, r.session_id) for r in rec.ratings if r.source == "therapist" and r.session_id
    }
    flagged = []
    for a in rec.assignments.values():
        session = review_session_for(a, sessions)
        if session is not None and session.date <= today and (a.pk, session.pk) not in reviewed:
            flagged.append((a, session))
    return flagged


def homework_to_review_counts(
    todays: dict[int, dt.date], client_ids: ClientIds | None = None
) -> dict[int, int]:
    """unreviewed_homework's count per client (client id -> that client's today) without gathering their
    records, for sorting and filtering a whole caseload: each homework's review session is found in the
    database (reviews.review_session_for's rule, in SQL), and only the clients' therapist reviews that name a
    session are read besides. `client_ids`: the same clients as a query of ids, when the caller has one (else
    the ids of `todays`).

    Reading every session of the clinic to find them in Python was a third of the caseload's time at 5,000
    clients (30,000 sessions turned into Python values on each request)."""
    counts = dict.fromkeys(todays, 0)
    if not todays:
        return counts
    client_ids = list(todays) if client_ids is None else client_ids
    reviewed = set(
        TherapistReview.objects.filter(
            assignment__client_id__in=client_ids, session_id__isnull=False
        ).values_list("assignment_id", "session_id")
    )
    for client_id, pk, session_id, session_date in _review_sessions(client_ids):
        today = todays.get(client_id)  # None: a client added since the caller listed them
        # No review session (the homework was set in the last one, or none has come since it started): no date.
        due = session_date is not None and today is not None and session_date <= today
        if due and (pk, session_id) not in reviewed:
            counts[client_id] += 1
    return counts


def _review_sessions(client_ids: ClientIds) -> list[tuple[int, int, int | None, dt.date | None]]:
    """(client, homework, its review session and that session's date) of every homework of the clients, in
    one query. The review session is reviews.review_session_for's: the client's next session by number after
    the one the homework was set in, if that is one of the client's sessions (none if it was the last); else
    their first session by number dated after the homework started. The two cases are one subquery: a
    comparison with the NULL threshold of the other case is never true."""
    own_sessions = TherapySession.objects.filter(client_id=OuterRef("client_id")).order_by("number")
    setting_number = own_sessions.filter(pk=OuterRef("session_id")).values("number")[:1]
    review_session = own_sessions.filter(
        Q(number__gt=OuterRef("after_number")) | Q(date__gt=OuterRef("after_date"))
    )
    homework = (
        Assignment.objects.filter(client_id__in=client_ids)
        .order_by()
        .annotate(after_number=Subquery(setting_number))
        .annotate(
            after_date=Case(When(after_number__isnull=True, then=F("start_date")), output_field=DateField())
        )
        .annotate(
            review_session=Subquery(review_session.values("pk")[:1]),
            review_date=Subquery(review_session.values("date")[:1]),
        )
    )
    return list(homework.values_list("client_id", "pk", "review_session", "review_date"))
