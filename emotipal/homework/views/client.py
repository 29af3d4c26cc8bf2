"""The client's pages: Today, doing an exercise (with drafts), and their own entries."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.access import own_client_profile
from emotipal.accounts.gates import client_required, request_user
from emotipal.definitions.fields import parse_form_data
from emotipal.homework import goals, progress, reviews, sent_note, services, streaks
from emotipal.homework.answers import answer_rows
from emotipal.homework.framing import shown_variant_key
from emotipal.homework.models import Entry, LadderStep, RetroactiveRating, SelfReview
from emotipal.homework.next_step import choose_next_step
from emotipal.homework.queries import today_items
from emotipal.homework.reviews import record_opening
from emotipal.library import variants
from emotipal.library.exercise_form import RATING_QUESTIONS, bind_fields
from emotipal.platform import clock, extensions, pwa
from emotipal.platform.input_rules import parse_index


@client_required
def today(request: HttpRequest) -> HttpResponse:
    client = own_client_profile(request.user)
    day = services.local_today(client)
    items = today_items(client, day)
    goal_progress = goals.progress_for([i.assignment for i in items], day)
    for item in items:
        item.progress = goal_progress[item.assignment.pk]  # type: ignore[attr-defined]
    recent = list(
        Entry.objects.filter(assignment__client=client, status=Entry.Status.SUBMITTED)
        .select_related("assignment__template_version", "review")
        .order_by("-submitted_at")[:5]
    )
    for entry in recent:  # titles follow the client's language: one client object, read once
        entry.assignment.client = client
    questionnaires = extensions.open_questionnaires.answer(client)
    to_self_review = _self_reviews_due(client, day) if reviews.client_leads_review(client) else []
    looking_back = (
        client.discharged_on is not None
        and not RetroactiveRating.objects.filter(client=client, rater_role="client").exists()
    )
    due = [i for i in items if i.due_today]
    other = [i for i in items if not i.due_today]
    step = choose_next_step(
        due=due,
        questionnaires=questionnaires,
        self_reviews=to_self_review,
        looking_back=looking_back,
        this_week=other,
    )
    chosen = step.item if step is not None else None  # shown once, at the top, not again below

    return pwa.offline_copy(
        render(
            request,
            "homework/today.html",
            {
                "client": client,
                "day": day,
                "next_step": step,
                "due": [i for i in due if i is not chosen],
                "other": [i for i in other if i is not chosen],
                "recent": recent,
                "streak": streaks.for_client(client, day),  # None unless the client's arm shows streaks
                # Only a client who leads the review is asked for one (the review_lead experiment feature).
                "to_self_review": [r for r in to_self_review if r is not chosen],
                "questionnaires": [q for q in questionnaires if q is not chosen],
                "missed": reviews.missed_practices(client, day),
                "looking_back": looking_back and (step is None or step.kind != "looking_back"),
                "encouragement": extensions.client_encouragement.answer(client),  # from a support person
            },
        )
    )


def _self_reviews_due(client: Any, day: dt.date) -> list[tuple[Any, Any]]:
    """Homework to look back on before the next session (within a week), not yet self-reviewed."""
    session = (
        client.sessions.filter(date__gte=day, date__lte=day + dt.timedelta(days=7)).order_by("date").first()
    )
    if session is None:
        return []
    zone = clock.zone_for_client(client)
    done = set(SelfReview.objects.filter(session=session).values_list("assignment_id", flat=True))
    return [
        (a, session)
        for a in reviews.due_for_review(client, session)
        # Only homework set before that session: homework set on the session's day (or after) is looked at
        # in the session after it, not on the way in.
        if a.pk not in done and a.start_date <= day and clock.local_date(a.created_at, zone) < session.date
    ]


def _int_or_none(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    value = parse_index(raw, maximum=1000)
    return -1 if value is None else value  # -1 is reported as out of range by the service


def _active_seconds(request: HttpRequest) -> int:
    return parse_index(request.POST.get("active_seconds", "0"), maximum=10**6) or 0


def _form_context(
    assignment: Any, answers: dict[str, Any], errors: dict[str, str], ratings: dict[str, Any], key: str
) -> dict[str, Any]:
    version = assignment.template_version
    variant = variants.find(version.variants, shown_variant_key(assignment))
    fields = copy.deepcopy(variants.apply_to_fields(version.field_list, variant))
    timed = version.template.kind in TIMED_KINDS
    for spec in fields:  # exposure and relaxation time the practice with an on-page timer
        if timed and spec["type"] == "duration" and not spec["id"].startswith("planned"):
            spec["timer"] = True
    steps = (
        list(LadderStep.objects.filter(ladder__client=assignment.client).select_related("ladder"))
        if version.template.kind == "exposure"
        else []
    )
    return {
        "assignment": assignment,
        "version": version,
        "texts": {
            k: variants.text(version.__dict__, variant, k) for k in ("title", "rationale", "instructions")
        },
        "ladder_steps": steps,
        "pacer": (version.extras or {}).get("pacer"),
        "bound_fields": bind_fields(fields, answers, errors),
        "errors": errors,
        "ratings": [
            (name, question, list(enumerate(labels)), ratings.get(name), errors.get(name))
            for name, question, labels in RATING_QUESTIONS
        ],
        "idempotency_key": key,
    }


TIMED_KINDS = ("exposure", "relaxation")


@client_required
def do_exercise(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = services.client_assignment(request.user, assignment_id)
    if request.method == "POST":
        answers = parse_form_data(assignment.template_version.field_list, request.POST)
        ratings = {name: _int_or_none(request.POST.get(name)) for name, _q, _l in RATING_QUESTIONS}
        key = request.POST.get("idempotency_key") or str(uuid.uuid4())
        try:
            entry, _created = services.submit_entry(
                request.user,
                assignment_id,
                services.Submission(
                    answers=answers,
                    effort=ratings["effort"],
                    difficulty=ratings["difficulty"],
                    helpfulness=ratings["helpfulness"],
                    active_seconds=_active_seconds(request),
                    idempotency_key=key,
                    ladder_step_id=request.POST.get("ladder_step") or None,  # checked by the service
                ),
            )
        except services.HomeworkError as exc:
            shown = {k: ("" if v == -1 else v) for k, v in ratings.items()}
            context = _form_context(assignment, answers, exc.errors, shown, key)
            context["form_error"] = exc.message
            return render(request, "homework/do_exercise.html", context, status=400)
        # ?sent=1: the page after sending says so, with the week's count (sent_note); a later visit does not.
        return redirect(f"{reverse('my_entry', args=[entry.pk])}?sent=1")
    if (
        not assignment.is_active_on(services.local_today(assignment.client))
        and not assignment.entries.filter(status=Entry.Status.DRAFT).exists()
    ):
        raise Http404("This homework is not open")
    # Opening is not typing: a draft row is made by the first save with something in it (services.save_draft).
    draft = assignment.entries.filter(status=Entry.Status.DRAFT).first()
    record_opening(assignment)
    page = render(
        request,
        "homework/do_exercise.html",
        _form_context(assignment, (draft.answers if draft else None) or {}, {}, {}, str(uuid.uuid4()))
        | {"draft": draft},
    )
    return pwa.offline_copy(page)


@client_required
@require_POST
def save_draft(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = services.client_assignment(request.user, assignment_id)
    answers = parse_form_data(assignment.template_version.field_list, request.POST)
    try:
        draft = services.save_draft(request.user, assignment_id, answers, _active_seconds(request))
    except services.HomeworkError as exc:  # too large or malformed: the earlier draft stays as it was
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    if draft is None:  # nothing typed yet, so nothing stored
        return HttpResponse(
            _("Your answers are saved as you type."), content_type="text/plain; charset=utf-8"
        )
    return render(request, "homework/_draft_status.html", {"draft": draft, "now": timezone.now()})


# How long after sending the entry's page still greets the client with the confirmation (a reload, a slow
# phone); opened later from "Recently done" it is just the entry.
JUST_SENT = dt.timedelta(hours=1)


@client_required
def my_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = Entry.objects.select_related(
            "assignment__template_version", "assignment__client", "review"
        ).get(pk=entry_id, assignment__client__user=request_user(request), status=Entry.Status.SUBMITTED)
    except Entry.DoesNotExist as exc:
        raise Http404("No such entry") from exc
    can_edit = entry.submitted_at is not None and timezone.now() - entry.submitted_at <= services.EDIT_WINDOW
    just_sent = (
        request.GET.get("sent") == "1"
        and entry.submitted_at is not None
        and timezone.now() - entry.submitted_at <= JUST_SENT
    )
    response = render(
        request,
        "homework/my_entry.html",
        {
            "entry": entry,
            "fields": _answer_rows(entry),
            "zone": clock.zone_for_client(entry.assignment.client),  # the client's own zone
            "can_edit": can_edit,
            "progress": progress.for_entry(entry),  # None unless the client's arm shows progress feedback
            "sent_note": sent_note.for_entry(entry) if just_sent else None,
        },
    )
    # The exercise page sends with fetch, which follows the redirect here: this header tells it that the
    # server has the entry (a login page after an expired session also answers 200), so the copy kept on
    # the device can go (static/js/outbox.js).
    response["X-EmotiPal-Sent-Entry"] = str(entry.pk)
    return response


def _answer_rows(entry: Entry) -> list[dict[str, Any]]:
    """The entry's answers under the questions as the client reads them now: the framing it was written in,
    in the language they use today (an entry written before a change of language reads in the new one)."""
    version = entry.assignment.template_version
    key = variants.follow_language(version.variants, entry.variant_key, entry.assignment.client.user.language)
    fields = variants.apply_to_fields(version.field_list, variants.find(version.variants, key))
    return answer_rows(fields, entry.answers or {})


@client_required
@require_POST
def set_reward(request: HttpRequest, assignment_id: int) -> HttpResponse:
    try:
        goals.set_reward(request.user, assignment_id, request.POST.get("reward", ""))
    except services.HomeworkError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reward set. You earn it when you reach this week's goal."))
    return redirect("today")
