"""Therapist pages for sessions and reviews: record a session, review homework in it, end treatment."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from emotipal.accounts.access import (
    can_assign_to,
    caseload,
    get_visible_client,
    note_reads,
    read_client,
    staff_clinic,
)
from emotipal.accounts.gates import clinician_required
from emotipal.accounts.models import ClientProfile
from emotipal.homework import reviews
from emotipal.homework.barriers import BARRIERS, STRATEGIES
from emotipal.homework.models import Barrier, RetroactiveRating, SelfReview, TherapistReview, TherapySession
from emotipal.homework.review_forms import parse_ratings, rating_form, rating_rows
from emotipal.homework.services import HomeworkError
from emotipal.platform import clock, formatting
from emotipal.platform.input_rules import parse_id


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


@clinician_required
@require_POST
def record_session(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_visible_client(request.user, client_id)
    day = _date(request.POST.get("date"))
    if day is None:
        messages.error(request, _("Enter the session's date."))
        return redirect("client_detail", client_id=client.pk)
    try:
        session = reviews.record_session(request.user, client, day)
    except reviews.SessionTaken as exc:
        # Refused, not merged: the day's session is where its reviews go, so the therapist is taken there.
        messages.error(request, exc.message + " " + _("Here it is: add to this one instead."))
        return redirect("session_review", client_id=client.pk, session_id=exc.existing.pk)
    except HomeworkError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Session %(number)s on %(date)s recorded.")
            % {"number": session.number, "date": formatting.local(session.date, "DAY")},
        )
    return redirect("client_detail", client_id=client.pk)


@clinician_required
def session_review(request: HttpRequest, client_id: int, session_id: int) -> HttpResponse:
    """The homework due in this session, each with the client's self-review first (when they made one) and
    the therapist's short review under it (in a therapist-led review arm, the therapist's review first).

    After a review is saved the page moves on to the next homework not yet reviewed; when none is left, back
    to the client's page.
    """
    client = read_client(request.user, client_id, "session_review")
    session = TherapySession.objects.filter(pk=session_id, client=client).first()
    if session is None:
        raise Http404("No such session")
    errors: dict[int, dict[str, str]] = {}
    posted: dict[int, dict[str, Any]] = {}
    if request.method == "POST":
        assignment_id = parse_id(request.POST.get("assignment"))
        if assignment_id is None:  # "٣", "1e3" or a number past any id
            raise Http404("No such assignment")
        data = reviews.TherapistReviewInput(
            ratings=parse_ratings(request.POST),
            note=request.POST.get("note", ""),
            learned=request.POST.get("learned", ""),
            change_next=request.POST.get("change_next", ""),
            # The form carries this only when the page showed the client's self-review above it.
            client_review_first=request.POST.get("client_review_first") == "1",
        )
        texts = {"note": data.note, "learned": data.learned, "change_next": data.change_next}
        posted[assignment_id] = {**data.ratings, **texts}  # shown again when something needs another look
        try:
            reviews.submit_therapist_review(request.user, assignment_id, session.pk, data)
        except HomeworkError as exc:
            errors[assignment_id] = exc.errors
            messages.error(request, exc.message)
        else:
            return _after_review(request, client, session, assignment_id)
    assignments = reviews.due_for_review(client, session)
    barriers_by_assignment: dict[int, list[Barrier]] = {}
    for barrier in Barrier.objects.filter(assignment__in=assignments):  # one query, not one per assignment
        barriers_by_assignment.setdefault(barrier.assignment_id, []).append(barrier)
    self_reviews = {r.assignment_id: r for r in SelfReview.objects.filter(session=session)}
    done = {
        r.assignment_id: r for r in TherapistReview.objects.filter(session=session).select_related("reviewer")
    }
    open_ids = [a.pk for a in assignments if a.pk not in done]
    items = [
        {
            "assignment": a,
            "self_review": self_reviews.get(a.pk),
            "self_rows": rating_rows(self_reviews[a.pk].ratings, "client", answered_only=True)
            if a.pk in self_reviews
            else [],
            "review": done.get(a.pk),
            "review_rows": rating_rows(done[a.pk].ratings, "therapist", answered_only=True)
            if a.pk in done
            else [],
            "form": rating_form("therapist", posted.get(a.pk), errors.get(a.pk)),
            "posted": posted.get(a.pk, {}),
            "errors": errors.get(a.pk, {}),
            "barriers": barriers_by_assignment.get(a.pk, []),
            "is_next": bool(open_ids) and a.pk == open_ids[0],
        }
        for a in assignments
    ]
    return render(
        request,
        "homework/staff/session_review.html",
        {
            "client": client,
            "session": session,
            "items": items,
            "open_count": len(open_ids),
            "barrier_labels": BARRIERS,
            "strategies": STRATEGIES,
            # review_lead experiment feature: with a therapist-led review the therapist's own review comes
            # first and the client's self-review (never asked for) is shown only if they wrote one anyway.
            "therapist_leads": not reviews.client_leads_review(client),
        },
        status=400 if errors else 200,
    )


def _after_review(
    request: HttpRequest, client: ClientProfile, session: TherapySession, assignment_id: int
) -> HttpResponse:
    """ "Next unreviewed": the next homework of this session still to review, or the client's page when done."""
    following = reviews.next_unreviewed(client, session, after=assignment_id)
    if following is None:
        messages.success(
            request, _("All homework for session %(number)s reviewed.") % {"number": session.number}
        )
        return redirect("client_detail", client_id=client.pk)
    messages.success(
        request,
        _("Review saved. Next: %(title)s.") % {"title": following.template_version.title},
    )
    url = reverse("session_review", kwargs={"client_id": client.pk, "session_id": session.pk})
    return redirect(f"{url}#review-{following.pk}")


@clinician_required
def end_treatment(request: HttpRequest, client_id: int) -> HttpResponse:
    """End treatment after a confirmation step: the first press shows what will happen (the homework that
    stops and leaves the client's Today); only a confirmed form ends it (reviews.end_treatment enforces it)."""
    client = read_client(request.user, client_id, "end_treatment")
    if not can_assign_to(request.user, client):  # a supervisor reads the client but never ends treatment
        raise Http404("No such client")
    today = clock.client_today(client)
    day = _date(request.POST.get("date")) or today
    errors: dict[str, str] = {}
    if request.method == "POST" and "confirm_step" in request.POST:
        try:
            stopped = reviews.end_treatment(
                request.user, client, day, confirmed=request.POST.get("confirm") == "yes"
            )
        except HomeworkError as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Treatment ended; %(count)s homework was stopped. Please rate the whole course below.",
                    "Treatment ended; %(count)s homework were stopped. Please rate the whole course below.",
                    stopped,
                )
                % {"count": stopped},
            )
            return redirect("client_detail", client_id=client.pk)
    return render(
        request,
        "homework/staff/end_treatment.html",
        {
            "client": client,
            "day": day,
            "today": today,
            "open_assignments": reviews.open_assignments(client),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@clinician_required
@require_POST
def retro_rating(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_visible_client(request.user, client_id)
    ratings = parse_ratings(request.POST)
    try:
        reviews.rate_retroactively(
            request.user,
            client,
            ratings.get("quantity"),
            ratings.get("quality"),
            request.POST.get("note", ""),
        )
    except HomeworkError as exc:
        messages.error(request, exc.message + " " + " ".join(exc.errors.values()))
    else:
        messages.success(request, _("Course rated."))
    return redirect("client_detail", client_id=client.pk)


@clinician_required
def caseload_barriers(request: HttpRequest) -> HttpResponse:
    """What gets in the way across the caseload, and what clients chose to try."""
    since = clock.local_today(clock.zone_for_clinic(staff_clinic(request.user))) - dt.timedelta(weeks=8)
    barriers = list(
        Barrier.objects.filter(client__in=caseload(request.user), day__gte=since)
        .select_related("client__user", "assignment__template_version")
        .order_by("-day")
    )
    note_reads(request.user, {b.client for b in barriers[:30]}, "caseload_obstacles")
    by_barrier = Counter(b.barrier for b in barriers)
    by_strategy = Counter(b.strategy for b in barriers if b.strategy)
    return render(
        request,
        "homework/staff/barriers.html",
        {
            "barriers": barriers[:30],
            "by_barrier": [(BARRIERS.get(k, k), n) for k, n in by_barrier.most_common()],
            "by_strategy": [
                (STRATEGIES[k][0] if k in STRATEGIES else k, n) for k, n in by_strategy.most_common()
            ],
            "labels": BARRIERS,
            "strategies": STRATEGIES,
            "since": since,
            "open_count": sum(1 for b in barriers if b.resolved_at is None),
        },
    )


def retro_for(client_id: int) -> dict[str, RetroactiveRating]:
    return {r.rater_role: r for r in RetroactiveRating.objects.filter(client_id=client_id)}
