"""Sessions, self-reviews, therapist reviews, retroactive ratings and barriers: the review side of homework.

Timing is data: every review stores when it happened, and which session it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from emotipal.accounts.access import can_assign_to
from emotipal.accounts.models import ClientProfile
from emotipal.homework.access import client_assignment
from emotipal.homework.barriers import BARRIERS, STRATEGIES
from emotipal.homework.engagement_items import CLIENT_REQUIRED, KEYS, THERAPIST_REQUIRED, check_ratings
from emotipal.homework.errors import HomeworkError
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
from emotipal.platform import features
from emotipal.platform.audit.services import record
from emotipal.platform.clock import client_today as local_today

TEXT_LIMIT = 3000
SHORT_TEXT_LIMIT = 1000  # what was learned, what to change: a sentence or two, said in the session


def _audit(actor: Any, action: str, obj: Any, client: ClientProfile, **detail: Any) -> None:
    record(actor, action, obj, subject_user_id=client.user_id, clinic_id=client.clinic_id, **detail)


# --- sessions -------------------------------------------------------------------------------------------------


class SessionTaken(HomeworkError):
    """A session is already recorded on that date; `existing` is it, so the page can link to it."""

    def __init__(self, message: str, errors: dict[str, str], existing: TherapySession) -> None:
        super().__init__(message, errors)
        self.existing = existing


MAX_SESSION_NUMBER = 32767  # TherapySession.number is a PositiveSmallIntegerField


def record_session(
    actor: Any, client: ClientProfile, date: dt.date, number: int | None = None
) -> TherapySession:
    """Add a session (past or planned). Numbers count up per client; a taken number is refused, and so is a
    second session on a date that already has one (two would split that day's reviews between them)."""
    if not can_assign_to(actor, client):
        raise Http404("No such client")
    same_day = client.sessions.filter(date=date).order_by("number").first()
    if same_day is not None:
        message = _("Session %(number)s is already recorded on %(date)s.") % {
            "number": same_day.number,
            "date": date_format(date),
        }
        raise SessionTaken(message, {"date": message}, existing=same_day)
    if number is None:
        number = (client.sessions.aggregate(n=Max("number"))["n"] or 0) + 1
    if number < 1:
        raise HomeworkError(_("Session numbers start at 1."), {"number": _("Session numbers start at 1.")})
    if number > MAX_SESSION_NUMBER:  # the column is a smallint: PostgreSQL would fail on a larger one
        message = _("Session numbers go up to %(max)s.") % {"max": MAX_SESSION_NUMBER}
        raise HomeworkError(message, {"number": message})
    try:
        with transaction.atomic():
            session = TherapySession.objects.create(client=client, therapist=actor, number=number, date=date)
    except IntegrityError as exc:
        raise HomeworkError(
            _("That session number is taken."),
            {"number": _("Session %(number)s is already recorded.") % {"number": number}},
        ) from exc
    _audit(actor, "session.create", session, client, number=number)
    return session


def review_session_for(assignment: Assignment, sessions: Sequence[TherapySession]) -> TherapySession | None:
    """The session in which this homework is due for review: the one after the session it was set in.

    `sessions` are the client's sessions in number order. Homework set outside a session is reviewed at the
    first session after it started. The caseload's triage of a whole clinic applies the same rule in SQL
    (compliance._review_sessions; tests/homework/test_review_counts.py holds the two together).
    """
    if assignment.session_id is not None:
        setting = next((s for s in sessions if s.pk == assignment.session_id), None)
        if setting is not None:
            return next((s for s in sessions if s.number > setting.number), None)
    return next((s for s in sessions if s.date > assignment.start_date), None)


def due_for_review(client: ClientProfile, session: TherapySession) -> list[Assignment]:
    """The homework to be looked at in this session."""
    sessions = list(client.sessions.order_by("number"))
    assignments = list(Assignment.objects.filter(client=client).select_related("template_version"))
    for a in assignments:  # their titles follow the client's language: one client object, read once
        a.client = client
    return [
        a for a in assignments if (s := review_session_for(a, sessions)) is not None and s.pk == session.pk
    ]


def next_unreviewed(
    client: ClientProfile, session: TherapySession, after: int | None = None
) -> Assignment | None:
    """The next homework due in this session that has no therapist review yet, in the page's order.

    The one after `after` (an assignment id) comes first; then, wrapping round, any earlier one still open.
    """
    due = due_for_review(client, session)
    reviewed = set(TherapistReview.objects.filter(session=session).values_list("assignment_id", flat=True))
    ids = [a.pk for a in due]
    start = ids.index(after) + 1 if after in ids else 0
    for a in due[start:] + due[:start]:
        if a.pk not in reviewed:
            return a
    return None


def _check_review_target(assignment: Assignment, session: TherapySession) -> None:
    if session.client_id != assignment.client_id:
        raise Http404("No such session")
    sessions = list(TherapySession.objects.filter(client_id=assignment.client_id).order_by("number"))
    if assignment.start_date > local_today(assignment.client):
        raise HomeworkError(
            _("This homework has not started yet, so there is nothing to review."),
            {"session": _("The homework starts on %(date)s.") % {"date": date_format(assignment.start_date)}},
        )
    target = review_session_for(assignment, sessions)
    if target is None or target.pk != session.pk:
        raise HomeworkError(
            _("This homework is not due for review in that session."),
            {"session": _("Choose the session after the one the homework was set in.")},
        )


def _clean_text(value: str | None, name: str, errors: dict[str, str], limit: int = TEXT_LIMIT) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors[name] = _("This should be text.")
    elif len(text) > limit:
        errors[name] = _("Keep this to %(limit)s characters or fewer.") % {"limit": limit}
    return text


def _clean_ratings(ratings: Any) -> dict[str, int]:
    return {k: v for k, v in ratings.items() if v is not None} if isinstance(ratings, dict) else {}


# --- client self-review ---------------------------------------------------------------------------------------


def client_leads_review(client: ClientProfile) -> bool:
    """Whether the client is asked to review their homework before the session (the review_lead feature).

    Outside an experiment, and in an arm where the client leads, they are: Today shows "Before your session"
    and the therapist sees the client's self-review first. In a therapist-led arm nothing asks the client to
    self-review and the therapist's review page puts the therapist's review first. The self-review page itself
    stays reachable by its address (a client told in session to write one can), so a self-review written
    anyway is kept and shown to the therapist after their own; only the prompting follows the arm.
    """
    return bool(features.value(client, "review_lead")["lead"] == "client")


@dataclass
class SelfReviewInput:
    ratings: dict[str, Any]
    helpfulness: int | None
    what_i_did: str = ""
    what_i_learned: str = ""
    what_got_in_way: str = ""


def submit_self_review(user: Any, assignment_id: int, session_id: int, data: SelfReviewInput) -> SelfReview:
    assignment = client_assignment(user, assignment_id)
    session = TherapySession.objects.filter(pk=session_id, client=assignment.client).first()
    if session is None:
        raise Http404("No such session")
    _check_review_target(assignment, session)
    errors = check_ratings(data.ratings, required=CLIENT_REQUIRED)
    if data.helpfulness is not None and not 0 <= data.helpfulness <= 4:
        errors["helpfulness"] = _("Choose a rating from 0 to 4.")
    texts = {
        name: _clean_text(getattr(data, name), name, errors)
        for name in ("what_i_did", "what_i_learned", "what_got_in_way")
    }
    if errors:
        raise HomeworkError(_("Some answers need another look."), errors)
    try:
        with transaction.atomic():
            review = SelfReview.objects.create(
                assignment=assignment,
                session=session,
                ratings=_clean_ratings(data.ratings),
                helpfulness=data.helpfulness,
                **texts,
            )
    except IntegrityError as exc:
        raise HomeworkError(
            _("You have already reviewed this homework for that session."),
            {"session": _("Already reviewed for this session.")},
        ) from exc
    _audit(user, "self_review.create", review, assignment.client)
    return review


# --- therapist review -----------------------------------------------------------------------------------------


def clinician_assignment(actor: Any, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related("client", "template_version").filter(pk=assignment_id).first()
    )
    if assignment is None or not can_assign_to(actor, assignment.client):
        raise Http404("No such assignment")
    return assignment


@dataclass
class TherapistReviewInput:
    """What the therapist enters in the session: the ratings (THERAPIST_REQUIRED needed, the rest optional),
    what the client learned, what to change next time, and whether the client's own review came first.

    client_review_first=None means "as the record shows": True when the client made a self-review for this
    session (the review page always shows it above the form, except in a therapist-led review arm).
    """

    ratings: dict[str, Any]
    note: str = ""
    learned: str = ""
    change_next: str = ""
    client_review_first: bool | None = None


def submit_therapist_review(
    actor: Any,
    assignment_id: int,
    session_id: int,
    ratings: dict[str, Any] | TherapistReviewInput,
    note: str = "",
) -> TherapistReview:
    """Store the therapist's review of one homework in the session it is due in, and close its obstacles.

    `ratings` is either the ratings alone (with `note`) or a whole TherapistReviewInput.
    """
    data = ratings if isinstance(ratings, TherapistReviewInput) else TherapistReviewInput(ratings, note)
    assignment = clinician_assignment(actor, assignment_id)
    session = TherapySession.objects.filter(pk=session_id, client=assignment.client).first()
    if session is None:
        raise Http404("No such session")
    _check_review_target(assignment, session)
    errors = check_ratings(data.ratings, required=THERAPIST_REQUIRED)
    texts = {
        "note": _clean_text(data.note, "note", errors),
        "learned": _clean_text(data.learned, "learned", errors, SHORT_TEXT_LIMIT),
        "change_next": _clean_text(data.change_next, "change_next", errors, SHORT_TEXT_LIMIT),
    }
    had_self_review = SelfReview.objects.filter(assignment=assignment, session=session).exists()
    client_first = had_self_review if data.client_review_first is None else data.client_review_first
    if client_first and not had_self_review:
        errors["client_review_first"] = _("The client has not reviewed this homework for this session.")
    if errors:
        raise HomeworkError(_("Some answers need another look."), errors)
    try:
        with transaction.atomic():
            review = TherapistReview.objects.create(
                assignment=assignment,
                session=session,
                reviewer=actor,
                ratings=_clean_ratings(data.ratings),
                client_review_first=client_first,
                **texts,
            )
            # Obstacles the client reported for this homework have now been talked through.
            assignment.barriers.filter(resolved_at__isnull=True).update(resolved_at=review.reviewed_at)
            _audit(actor, "therapist_review.create", review, assignment.client)
    except IntegrityError as exc:
        raise HomeworkError(
            _("This homework has already been reviewed in that session."),
            {"session": _("Already reviewed in this session.")},
        ) from exc
    return review


# --- end of treatment -----------------------------------------------------------------------------------------


def open_assignments(client: ClientProfile) -> list[Assignment]:
    """Homework not yet stopped (running, paused or not started yet): what ending treatment would stop."""
    assignments = list(
        Assignment.objects.filter(client=client, ended_at__isnull=True).select_related("template_version")
    )
    for a in assignments:  # their titles follow the client's language: one client object, read once
        a.client = client
    return assignments


def end_treatment(actor: Any, client: ClientProfile, day: dt.date, *, confirmed: bool = False) -> int:
    """Discharge the client on `day` and stop every homework still open, in one transaction.

    Nothing happens unless the therapist confirmed (the page asks first). Ending it again corrects the date.
    Returns how many homework were stopped; their ids are in the discharge's audit row."""
    if not can_assign_to(actor, client):
        raise Http404("No such client")
    errors: dict[str, str] = {}
    if not confirmed:
        errors["confirm"] = _("Tick the box to confirm that treatment has ended.")
    if day > local_today(client):
        errors["date"] = _("Treatment can end today or on a day that has passed, not in the future.")
    if errors:
        raise HomeworkError(_("Treatment was not ended."), errors)
    with transaction.atomic():
        now = timezone.now()
        stopped = list(
            Assignment.objects.select_for_update()
            .filter(client=client, ended_at__isnull=True)
            .values_list("pk", flat=True)
        )
        Assignment.objects.filter(pk__in=stopped).update(ended_at=now)
        client.discharged_on = day
        client.save(update_fields=["discharged_on"])
        _audit(actor, "client.discharge", client, client, day=day.isoformat(), stopped_assignments=stopped)
    return len(stopped)


def split_sessions(
    sessions: list[TherapySession], today: dt.date
) -> tuple[list[TherapySession], list[TherapySession]]:
    """(upcoming, past): sessions after the client's today, soonest first; the rest, latest first."""
    upcoming = sorted((s for s in sessions if s.date > today), key=lambda s: (s.date, s.number))
    past = sorted((s for s in sessions if s.date <= today), key=lambda s: (s.date, s.number), reverse=True)
    return upcoming, past


def rate_retroactively(
    actor: Any, client: ClientProfile, quantity: Any, quality: Any, note: str = ""
) -> RetroactiveRating:
    """One rating of the whole course of homework, by the client or their therapist, after treatment ended."""
    if client.user_id == getattr(actor, "pk", None):
        role = RetroactiveRating.Rater.CLIENT
    elif can_assign_to(actor, client):
        role = RetroactiveRating.Rater.THERAPIST
    else:
        raise Http404("No such client")
    if client.discharged_on is None:
        raise HomeworkError(
            _("The course is rated once treatment has ended."), {"discharged_on": _("Not ended yet.")}
        )
    errors = check_ratings({"quantity": quantity, "quality": quality})
    note = _clean_text(note, "note", errors)
    if errors:
        raise HomeworkError(_("Some ratings need another look."), errors)
    try:
        with transaction.atomic():
            rating = RetroactiveRating.objects.create(
                client=client, rater_role=role, rater=actor, quantity=quantity, quality=quality, note=note
            )
    except IntegrityError as exc:
        raise HomeworkError(_("The course has already been rated."), {"rater": _("Already rated.")}) from exc
    _audit(actor, "retro_rating.create", rating, client, role=role)
    return rating


# --- barriers -------------------------------------------------------------------------------------------------


def report_barrier(user: Any, assignment_id: int, day: dt.date, barrier: str, detail: str = "") -> Barrier:
    """The client says a planned practice did not happen, and why."""
    assignment = client_assignment(user, assignment_id)
    errors: dict[str, str] = {}
    if barrier not in BARRIERS:
        errors["barrier"] = _("Choose what got in the way.")
    detail = _clean_text(detail, "detail", errors)
    today = local_today(assignment.client)
    if day > today:
        errors["day"] = _("That day has not come yet.")
    elif not assignment.start_date <= day <= assignment.end_date:
        errors["day"] = _("That day is outside this homework's dates.")
    if errors:
        raise HomeworkError(_("Please check what you chose."), errors)
    barrier_row, created = Barrier.objects.get_or_create(
        assignment=assignment,
        day=day,
        defaults={"client": assignment.client, "barrier": barrier, "detail": detail},
    )
    if not created:  # a second report for the same day replaces the reason, keeps one row
        barrier_row.barrier, barrier_row.detail = barrier, detail
        barrier_row.save(update_fields=["barrier", "detail"])
    _audit(user, "barrier.report", barrier_row, assignment.client, barrier=barrier)
    return barrier_row


def choose_strategy(user: Any, barrier_id: int, strategy: str) -> Barrier:
    barrier = Barrier.objects.select_related("client").filter(pk=barrier_id, client__user=user).first()
    if barrier is None:
        raise Http404("No such barrier")
    if strategy not in STRATEGIES:
        raise HomeworkError(
            _("Choose one of the suggestions."), {"strategy": _("Choose one of the suggestions.")}
        )
    barrier.strategy = strategy
    barrier.save(update_fields=["strategy"])
    _audit(user, "barrier.strategy", barrier, barrier.client, strategy=strategy)
    return barrier


def missed_practices(
    client: ClientProfile, today: dt.date, days_back: int = 3
) -> list[tuple[Assignment, dt.date]]:
    """Planned practice days in the last few days with nothing submitted and no reason given yet."""
    first = today - dt.timedelta(days=days_back)
    assignments = list(
        Assignment.objects.filter(
            client=client,
            start_date__lte=today,
            end_date__gte=first,
            ended_at__isnull=True,
            paused_at__isnull=True,
        ).select_related("template_version")
    )
    for a in assignments:  # their titles follow the client's language: one client object, read once
        a.client = client
    done = set(
        Entry.objects.filter(
            assignment__in=assignments, status=Entry.Status.SUBMITTED, practice_date__gte=first
        ).values_list("assignment_id", "practice_date")
    )
    explained = set(
        Barrier.objects.filter(assignment__in=assignments, day__gte=first).values_list("assignment_id", "day")
    )
    missed = []
    for offset in range(days_back, 0, -1):
        day = today - dt.timedelta(days=offset)
        for a in assignments:
            if a.is_due_on(day) and (a.pk, day) not in done and (a.pk, day) not in explained:
                missed.append((a, day))
    return missed


# --- openings and reminders (objective markers) ------------------------------------------------------------------


def record_opening(assignment: Assignment, now: dt.datetime | None = None) -> None:
    """The client opened the exercise: first opening, and the reminders it answers."""
    now = now or timezone.now()
    if assignment.first_opened_at is None:
        Assignment.objects.filter(pk=assignment.pk, first_opened_at__isnull=True).update(first_opened_at=now)
        assignment.first_opened_at = now
    ReminderEvent.objects.filter(assignment=assignment, opened_at__isnull=True, sent_at__lte=now).update(
        opened_at=now
    )


def note_reminders_sent(assignments: list[Assignment], sent_at: dt.datetime) -> None:
    ReminderEvent.objects.bulk_create([ReminderEvent(assignment=a, sent_at=sent_at) for a in assignments])


__all__ = ["KEYS"]
