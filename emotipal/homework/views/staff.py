"""Therapist pages: caseload, a client's timeline, assigning homework and reviewing entries."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from emotipal.accounts.access import can_assign_to, caseload, get_visible_client, note_reads
from emotipal.accounts.gates import client_page_required, clinician_required
from emotipal.accounts.viewer import viewer_zone
from emotipal.homework import client_summary, engagement_view, goals, services
from emotipal.homework.answers import answer_rows
from emotipal.homework.barriers import BARRIERS, STRATEGIES
from emotipal.homework.models import Assignment
from emotipal.homework.queries import caseload_page
from emotipal.homework.review_forms import rating_questions
from emotipal.homework.reviews import split_sessions
from emotipal.homework.views.staff_review import retro_for
from emotipal.library.exercise_form import RATING_NAMES, rating_label
from emotipal.platform import extensions

CASELOAD_FILTER_LABELS = {
    "all": gettext_lazy("All"),
    "active": gettext_lazy("Active"),
    "ended": gettext_lazy("Ended"),
    "at_risk": gettext_lazy("At risk"),
    "needs_review": gettext_lazy("Needs review"),
}
CASELOAD_SORT_LABELS = {
    "risk": gettext_lazy("Risk first"),
    "name": gettext_lazy("Name"),
    "activity": gettext_lazy("Last activity"),
}


@clinician_required
def caseload_view(request: HttpRequest) -> HttpResponse:
    listing = caseload_page(
        caseload(request.user),
        extensions.caseload_outcomes.answer,
        risks=extensions.caseload_risks.answer,
        search=request.GET.get("q", ""),
        show=request.GET.get("show", "all"),
        sort=request.GET.get("sort", "risk"),
        page=request.GET.get("page"),
    )
    rows = listing.rows
    # Only the clients on this page were shown: the others are read for the counts, not seen.
    note_reads(request.user, [r.client for r in rows], "caseload")
    return render(
        request,
        "homework/staff/caseload.html",
        {
            "rows": rows,
            "listing": listing,
            "filters": [(k, label, listing.counts[k]) for k, label in CASELOAD_FILTER_LABELS.items()],
            "sorts": CASELOAD_SORT_LABELS,
        },
    )


@client_page_required  # a supervisor opens a supervisee's client read only (audited in access)
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_visible_client(request.user, client_id)
    entries = list(services.entries_for_staff(request.user, client)[:100])
    assignments = Assignment.objects.filter(client=client).select_related("template_version", "session")
    # The client's days, in the client's zone: the server's date is nobody's day.
    today = services.local_today(client)
    progress = goals.progress_for(list(assignments), today)
    for assignment in assignments:
        assignment.progress = progress[assignment.pk]  # type: ignore[attr-defined]
        assignment.client = client  # one object: its language and experiment settings are read once
    for entry in entries:
        entry.ratings = [  # type: ignore[attr-defined]
            (RATING_NAMES[name], rating_label(name, getattr(entry, name)))
            for name in ("effort", "difficulty", "helpfulness")
        ]
    retro = retro_for(client.pk)
    engagement = engagement_view.build(client, today)
    # Planned sessions are listed apart from the ones that took place (reviews.split_sessions).
    # The engagement section read the sessions already (in number order).
    upcoming_sessions, past_sessions = split_sessions(engagement.sessions[::-1][:40], today)
    barriers = list(client.barriers.select_related("assignment__template_version")[:20])
    return render(
        request,
        "homework/staff/client_detail.html",
        {
            "client": client,
            "entries": entries,
            "assignments": assignments,
            "engagement": engagement,
            "summary": client_summary.build(client, engagement),
            "sessions": past_sessions[:20],
            "upcoming_sessions": upcoming_sessions,
            "barriers": barriers,
            "zone": viewer_zone(request.user),
            "barrier_labels": BARRIERS,
            "strategies": STRATEGIES,
            "retro_client": retro.get("client"),
            "retro_therapist": retro.get("therapist"),
            "retro_questions": [
                q for q in rating_questions("therapist") if q.name in ("r.quantity", "r.quality")
            ],
            "today": today,
            "study_arms": extensions.client_study_arms.answer(client),
            # Whether reminders are on and arrive (not their content): the last four weeks.
            "reminders": extensions.reminder_summary.answer(client, timezone.now() - REMINDER_WINDOW),
            # That a support person exists and since when: never who they are, what they said or see.
            "support_since": extensions.support_person_since.answer(client),
            # A supervisor reads a supervisee's client: no controls that would only answer 403.
            "may_change": can_assign_to(request.user, client),
        },
    )


REMINDER_WINDOW = dt.timedelta(weeks=4)


@clinician_required
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = services.staff_entry(request.user, entry_id)
    version = entry.assignment.template_version
    return render(
        request,
        "homework/staff/entry_detail.html",
        {
            "entry": entry,
            "client": entry.assignment.client,
            "zone": viewer_zone(request.user),
            "fields": answer_rows(version.field_list, entry.answers or {}),
            "ratings": [
                (RATING_NAMES[name], rating_label(name, getattr(entry, name)))
                for name in ("effort", "difficulty", "helpfulness")
            ],
        },
    )


@clinician_required
@require_POST
def review(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        review = services.review_entry(request.user, entry_id, request.POST.get("note", ""))
    except services.HomeworkError as exc:
        messages.error(request, exc.message)
        return redirect("entry_detail", entry_id=entry_id)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "homework/staff/_review.html", {"review": review, "entry": review.entry})
    messages.success(request, _("Marked as reviewed."))
    return redirect("client_detail", client_id=review.entry.assignment.client_id)
