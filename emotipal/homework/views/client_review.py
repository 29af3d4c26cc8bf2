"""Client pages around the practice: self-review before a session, "I couldn't do it", looking back, edits."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from emotipal.accounts.access import own_client_profile
from emotipal.accounts.gates import client_required, request_user
from emotipal.definitions.fields import parse_form_data
from emotipal.homework import reviews, scheduling, services
from emotipal.homework.barriers import BARRIERS, strategies_for
from emotipal.homework.models import Barrier, Entry, TherapySession
from emotipal.homework.review_forms import parse_rating, parse_ratings, rating_form, rating_questions
from emotipal.library.exercise_form import bind_fields


@client_required
def self_review(request: HttpRequest, assignment_id: int, session_id: int) -> HttpResponse:
    assignment = services.client_assignment(request.user, assignment_id)
    session = TherapySession.objects.filter(pk=session_id, client=assignment.client).first()
    if session is None:
        raise Http404("No such session")
    errors: dict[str, str] = {}
    ratings: dict[str, int | None] = {}
    texts = {"what_i_did": "", "what_i_learned": "", "what_got_in_way": ""}
    helpfulness: int | None = None
    if request.method == "POST":
        ratings = parse_ratings(request.POST)
        texts = {name: request.POST.get(name, "") for name in texts}
        helpfulness = parse_rating(request.POST.get("helpfulness"))
        try:
            reviews.submit_self_review(
                request.user,
                assignment_id,
                session_id,
                reviews.SelfReviewInput(ratings=ratings, helpfulness=helpfulness, **texts),
            )
        except services.HomeworkError as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you. Your therapist will see this before your session."))
            return redirect("today")
    return render(
        request,
        "homework/self_review.html",
        {
            "assignment": assignment,
            "session": session,
            "form": rating_form("client", ratings, errors),
            "texts": texts,
            "helpfulness": helpfulness,
            "errors": errors,
            "helpfulness_options": list(
                enumerate([_("Not helpful"), _("A little"), _("Somewhat"), _("Very"), _("Extremely")])
            ),
        },
        status=400 if errors else 200,
    )


def _day(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@client_required
def report_barrier(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = services.client_assignment(request.user, assignment_id)
    today = services.local_today(assignment.client)
    day = _day(request.POST.get("day") or request.GET.get("day"), today)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            barrier = reviews.report_barrier(
                request.user,
                assignment_id,
                day,
                request.POST.get("barrier", ""),
                request.POST.get("detail", ""),
            )
        except services.HomeworkError as exc:
            errors = exc.errors
        else:
            return redirect("barrier_strategy", barrier_id=barrier.pk)
    return render(
        request,
        "homework/barrier.html",
        {
            "assignment": assignment,
            "day": day,
            "barriers": BARRIERS.items(),
            "chosen": request.POST.get("barrier", ""),
            "detail": request.POST.get("detail", ""),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@client_required
def barrier_strategy(request: HttpRequest, barrier_id: int) -> HttpResponse:
    barrier = (
        Barrier.objects.select_related("assignment__template_version")
        .filter(pk=barrier_id, client__user=request_user(request))
        .first()
    )
    if barrier is None:
        raise Http404("No such barrier")
    error, field_errors = None, {}
    if request.method == "POST" and request.POST.get("strategy") == scheduling.STRATEGY:
        try:
            notice = scheduling.schedule_with_reminder(
                request.user,
                barrier_id,
                request.POST.get("practice_time"),
                request.POST.get("practice_place"),
            )[1]
        except services.HomeworkError as exc:
            error, field_errors = exc.message, exc.errors
        else:
            time = time_format(scheduling.parse_time(request.POST.get("practice_time")) or "")
            messages.success(
                request, _("Planned for %(time)s. The reminder will come then.") % {"time": time}
            )
            if notice:
                messages.info(request, notice)
            return redirect("today")
    elif request.method == "POST":
        try:
            reviews.choose_strategy(request.user, barrier_id, request.POST.get("strategy", ""))
        except services.HomeworkError as exc:
            error = exc.message
        else:
            messages.success(
                request, _("Saved. Your therapist will see it, and you can talk it through together.")
            )
            return redirect("today")
    assignment = barrier.assignment
    return render(
        request,
        "homework/barrier_strategy.html",
        {
            "barrier": barrier,
            "label": BARRIERS.get(barrier.barrier, ""),
            "strategies": strategies_for(barrier.barrier),
            "error": error,
            "field_errors": field_errors,
            "chosen": request.POST.get("strategy", barrier.strategy),
            # What the form shows: what was just posted, else the plan's time and place.
            "practice_time": request.POST.get("practice_time", "")
            or (assignment.practice_time.strftime("%H:%M") if assignment.practice_time else ""),
            "practice_place": request.POST.get("practice_place", assignment.practice_place),
        },
        status=400 if error else 200,
    )


@client_required
def looking_back(request: HttpRequest) -> HttpResponse:
    client = own_client_profile(request.user)
    if client.discharged_on is None:
        raise Http404("Treatment has not ended")
    errors: dict[str, str] = {}
    ratings: dict[str, int | None] = {}
    if request.method == "POST":
        ratings = parse_ratings(request.POST)
        try:
            reviews.rate_retroactively(
                request.user,
                client,
                ratings.get("quantity"),
                ratings.get("quality"),
                request.POST.get("note", ""),
            )
        except services.HomeworkError as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for looking back on your homework."))
            return redirect("today")
    questions = [
        q for q in rating_questions("client", ratings, errors) if q.name in ("r.quantity", "r.quality")
    ]
    return render(
        request,
        "homework/looking_back.html",
        {"questions": questions, "errors": errors},
        status=400 if errors else 200,
    )


@client_required
def edit_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = (
        Entry.objects.select_related("assignment__template_version")
        .filter(pk=entry_id, assignment__client__user=request_user(request), status=Entry.Status.SUBMITTED)
        .first()
    )
    if entry is None:
        raise Http404("No such entry")
    fields = entry.assignment.template_version.field_list
    answers, errors = entry.answers or {}, {}
    if request.method == "POST":
        answers = parse_form_data(fields, request.POST)
        try:
            services.edit_entry(request.user, entry_id, answers)
        except services.HomeworkError as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("my_entry", entry_id=entry_id)
    return render(
        request,
        "homework/edit_entry.html",
        {"entry": entry, "bound_fields": bind_fields(fields, answers, errors)},
        status=400 if errors else 200,
    )
