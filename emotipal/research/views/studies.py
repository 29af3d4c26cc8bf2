"""The study team's pages: their studies, a new study, and each study's protocol, status, team, sites, consent
versions and participants. Each view checks access first (research/access.py); a study not on the user's
team is "not found"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.gates import request_user
from emotipal.research import access, queries
from emotipal.research.actions import studies as actions
from emotipal.research.errors import ResearchError
from emotipal.research.forms import ConsentDraftForm, ProtocolForm, protocol_initial
from emotipal.research.models import DataUse, StudyRole

View = Callable[..., HttpResponse]
FIELD_OF = {"principal_investigator_id": "principal_investigator"}


def researcher_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_researcher(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def show_errors(form: forms.Form, exc: ResearchError) -> None:
    placed = False
    for name, message in exc.errors.items():
        name = FIELD_OF.get(name, name)
        if name in form.fields:
            form.add_error(name, message or exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def _back(slug: str) -> HttpResponse:
    return redirect("research_study", slug=slug)


@researcher_required
def studies(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(
        request,
        "research/study_list.html",
        {"rows": queries.study_rows(user), "may_create": access.may_create_study(user)},
    )


@researcher_required
def create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.may_create_study(user):
        raise PermissionDenied
    form = ProtocolForm(request.POST or None, initial={"protocol_version": "1.0", "target_sample_size": 0})
    if request.method == "POST" and form.is_valid():
        try:
            study = actions.create_study(user, form.protocol())
        except ResearchError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Study created as a draft. You are its investigator."))
            return _back(study.slug)
    return render(request, "research/study_form.html", {"form": form, "study": None})


@login_required
def study(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    found = access.get_study(user, slug)
    overview = queries.study_overview(found)
    return render(
        request,
        "research/study_detail.html",
        {
            "study": found,
            "overview": overview,
            "may_manage": access.can_manage(user, found),
            "problem": actions.recruitment_problem(found),
            "readiness": actions.approval_problem(found),
            "data_uses": [DataUse(use).label for use in found.data_uses if use in DataUse.values],
            "next_statuses": sorted(actions.STATUS_NEXT[found.status]),
            "team_roles": actions.TEAM_ROLES_ADDED_BY_EMAIL,
        },
    )


@login_required
def protocol(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    found = access.get_managed_study(user, slug)
    team = queries.study_overview(found).team
    form = ProtocolForm(request.POST or None, team=team, initial=protocol_initial(actions.protocol_of(found)))
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_protocol(user, found, form.protocol())
        except ResearchError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Protocol saved.") if changed else _("No changes."))
            return _back(found.slug)
    return render(request, "research/study_form.html", {"form": form, "study": found})


def _act(request: HttpRequest, slug: str, act: Callable[[Any, Any], str]) -> HttpResponse:
    """Run one small form's action on a managed study; its outcome is a message on the study page."""
    user = request_user(request)
    found = access.get_managed_study(user, slug)
    try:
        messages.success(request, act(user, found))
    except ResearchError as exc:
        messages.error(request, exc.message)
    return _back(found.slug)


@require_POST
@login_required
def change_status(request: HttpRequest, slug: str) -> HttpResponse:
    new = request.POST.get("status", "")

    def act(user: Any, found: Any) -> str:
        changed = actions.change_status(user, found, new)
        return _("The study is now “%(status)s”.") % {"status": changed.get_status_display()}

    return _act(request, slug, act)


@require_POST
@login_required
def add_member(request: HttpRequest, slug: str) -> HttpResponse:
    email, role = request.POST.get("email", ""), request.POST.get("role", StudyRole.RESEARCHER)

    def act(user: Any, found: Any) -> str:
        member = actions.add_member(user, found, email, role)
        return _("%(name)s joined the team as %(role)s.") % {
            "name": member.user,
            "role": member.get_role_display(),
        }

    return _act(request, slug, act)


@require_POST
@login_required
def propose_site(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = request.POST.get("clinic", "")

    def act(user: Any, found: Any) -> str:
        site = actions.propose_site(user, found, clinic)
        return _("%(clinic)s was asked to take part; its clinic admin decides.") % {"clinic": site.clinic}

    return _act(request, slug, act)


@login_required
def consent(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    found = access.get_study(user, slug)
    may_manage = access.can_manage(user, found)
    form = ConsentDraftForm(request.POST or None, initial={"language": "en"})
    if request.method == "POST":
        if not may_manage:
            found = access.get_managed_study(user, slug)  # 404: statisticians read the texts only
        if form.is_valid():
            try:
                document = actions.save_consent_draft(
                    user,
                    found,
                    form.cleaned_data["language"],
                    form.cleaned_data["title"],
                    form.cleaned_data["body_markdown"],
                )
            except ResearchError as exc:
                show_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Draft of version %(v)d (%(language)s) saved.")
                    % {"v": document.version, "language": document.language},
                )
                return redirect("research_consent", slug=found.slug)
    return render(
        request,
        "research/study_consent.html",
        {
            "study": found,
            "versions": queries.consent_versions(found),
            "draft_version": actions.draft_version(found),
            "form": form,
            "may_manage": may_manage,
        },
    )


@require_POST
@login_required
def publish_consent(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    found = access.get_managed_study(user, slug)
    try:
        published = actions.publish_consent(user, found)
    except ResearchError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Version %(v)d is published in %(languages)s. It can no longer be edited.")
            % {"v": published[0].version, "languages": ", ".join(d.language for d in published)},
        )
    return redirect("research_consent", slug=found.slug)


@login_required
def participants(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    found = access.get_study(user, slug)
    rows, flow = queries.participant_rows(found)
    access.note_participant_reads(user, found, [r.client for r in rows])
    return render(request, "research/study_participants.html", {"study": found, "rows": rows, "flow": flow})
