"""The guided assign page: from the last homework's review to a written summary the client takes home.

One screen, top to bottom: last homework, goal, reason, design (what, when, where, how often, how long),
obstacles and plan B, the client's confidence, rehearsal, summary. Below 7 out of 10 the save waits: the page
offers ways to make the task smaller and asks again. Everything works by plain form posts; htmx only swaps
parts of the page (the exercise preview, the summary draft, the resized form) instead of reloading it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from emotipal.accounts.access import get_visible_client, read_client
from emotipal.accounts.gates import clinician_required
from emotipal.definitions.competence import CONFIDENCE_ENOUGH, STEPS_BY_KEY
from emotipal.homework import guided, services
from emotipal.homework.forms import AssignForm, plan_from, with_changes
from emotipal.library.access import latest_versions
from emotipal.platform.input_rules import parse_id

# The page's sections, in order, each with the guideline steps it records (shown as a checklist).
SECTIONS = (
    ("last", ("review_done",)),
    ("goal", ("goal_linked",)),
    ("why", ("rationale_given",)),
    ("design", ("designed_together",)),
    ("obstacles", ("obstacles_anticipated", "backup_plan")),
    ("confidence", ("confidence_checked", "sized_to_confidence")),
    ("rehearse", ("rehearsed",)),
    ("summary", ("summary_written",)),
)


def _bind(request: HttpRequest, client: Any, data: Any) -> AssignForm:
    form = AssignForm(data, client=client, user=request.user, preselect=parse_id(request.GET.get("template")))
    form.is_valid()  # parse what parses: the summary is drafted from the valid fields
    return form


def _with_fresh_summary(
    request: HttpRequest, client: Any, form: AssignForm, force: bool = False
) -> AssignForm:
    """The form again with the summary redrafted from the plan, unless the therapist has edited it (or asks
    for a new draft anyway: force)."""
    if form.summary_edited() and not force:
        return form
    draft = guided.draft_summary(form.summary_parts())
    return _bind(request, client, with_changes(form.data, {"summary": draft, "summary_drafted": draft}))  # type: ignore[arg-type]


@clinician_required
def assign(request: HttpRequest, client_id: int) -> HttpResponse:
    if request.method != "POST":
        client = read_client(request.user, client_id, "assign")
        form = AssignForm(client=client, user=request.user, preselect=parse_id(request.GET.get("template")))
        draft = guided.draft_summary(form.summary_parts())
        form.initial.update(summary=draft, summary_drafted=draft)
        return _page(request, client, form, status=200)
    client = get_visible_client(request.user, client_id)
    form = _bind(request, client, request.POST)
    smaller = request.POST.get("smaller")
    if smaller:
        # One click makes it smaller: the values change and the confidence is asked again; nothing is saved.
        data = form.cleaned_data
        option = next(
            (
                o
                for o in guided.smaller_options(data.get("times_per_week"), data.get("minutes_per_practice"))
                if o.key == smaller
            ),
            None,
        )
        if option is not None:
            changes = option.changes | {"confidence": None, "made_smaller": None}
            form = _bind(request, client, with_changes(request.POST, changes))
        form = _with_fresh_summary(request, client, form)
        return _page(request, client, form, status=200, resized=option, show_errors=False)
    redraft = bool(request.POST.get("redraft"))
    form = _with_fresh_summary(request, client, form, force=redraft)
    if redraft or request.POST.get("preview"):  # a new draft of the summary was asked for; nothing is saved
        return _page(request, client, form, status=200, show_errors=False)
    if form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.assign_homework(
                request.user, client, plan_from(data, data["summary"]), require_confidence=True
            )
        except services.HomeworkError as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(
                request,
                _("Assigned %(exercise)s to %(client)s.")
                % {"exercise": assignment.template_version.title, "client": client},
            )
            return redirect("client_detail", client_id=client.pk)
    return _page(request, client, form, status=400)


def _posted_confidence(form: AssignForm) -> int | None:
    """The confidence as posted (the service's refusal takes it out of cleaned_data, the prompt needs it)."""
    if not form.is_bound:
        return None
    try:
        value = form.fields["confidence"].clean(form.data.get("confidence"))
    except ValidationError:
        return None
    return value if isinstance(value, int) and 0 <= value <= 10 else None


def _page(
    request: HttpRequest,
    client: Any,
    form: AssignForm,
    *,
    status: int,
    resized: guided.Smaller | None = None,
    show_errors: bool = True,
) -> HttpResponse:
    data = getattr(form, "cleaned_data", None) or {}
    confidence = _posted_confidence(form)
    # The make-it-smaller prompt: a confidence below the line that was not saved.
    gate = show_errors and confidence is not None and confidence < CONFIDENCE_ENOUGH
    session = data.get("session") if form.is_bound else form.fields["session"].initial
    last = guided.last_homework(client, guided.setting_session(client, session))
    times = data.get("times_per_week") if form.is_bound else form.fields["times_per_week"].initial
    minutes = (
        data.get("minutes_per_practice") if form.is_bound else form.fields["minutes_per_practice"].initial
    )
    return render(
        request,
        "homework/staff/assign.html",
        {
            "client": client,
            "form": form,
            "show_errors": show_errors,
            "last": last,
            "goals": guided.goal_suggestions(client),
            "gate": gate,
            "confidence": confidence,
            "enough": CONFIDENCE_ENOUGH,
            "smaller": guided.smaller_options(times, minutes) if gate else [],
            "resized": resized,
            "sections": {key: [STEPS_BY_KEY[s] for s in steps] for key, steps in SECTIONS},
            "exercise": form.exercise,
        },
        status=status,
    )


@clinician_required
def assign_exercise(request: HttpRequest, client_id: int) -> HttpResponse:
    """The htmx part of the assign page for the chosen exercise: its preview and the variants it has.

    Shows library content only (the client's id is checked, not their data), so it is not a read of the
    client."""
    client = get_visible_client(request.user, client_id)
    versions = {v.pk: v for v in latest_versions(client.clinic, request.user)}
    chosen = parse_id(request.GET.get("template_version"))
    if chosen is not None and chosen not in versions:
        raise Http404("No such exercise")
    exercise = versions.get(chosen) if chosen is not None else None
    return render(
        request,
        "homework/staff/_assign_exercise.html",
        {"exercise": exercise, "variants": services.variant_choices(exercise), "selected": "auto"},
    )
