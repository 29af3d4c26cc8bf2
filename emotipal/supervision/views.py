"""Supervision pages. Thin: access decides, services write, queries read."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts import access as accounts_access
from emotipal.accounts.gates import clinic_admin_required
from emotipal.accounts.models import ClientProfile
from emotipal.definitions.competence import OBSERVER_ITEMS
from emotipal.supervision import access, charts, queries, services

View = Callable[..., HttpResponse]


def supervisor_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not accounts_access.is_supervisor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def figures_viewer_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (accounts_access.is_supervisor(user) or accounts_access.is_clinic_admin(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _int(raw: Any) -> int | None:
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        return None


@supervisor_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/home.html", {"rows": queries.supervisee_rows(request.user)})


@supervisor_required
def supervisee(request: HttpRequest, therapist_id: int) -> HttpResponse:
    link = access.supervisee_link(request.user, therapist_id)
    figures = queries.supervisee_figures(link)
    clients = list(
        ClientProfile.objects.filter(therapist=link.therapist, clinic=link.clinic)
        .select_related("user")
        .order_by("pk")
    )
    accounts_access.note_reads(request.user, clients, "supervision", via="supervision")  # names are listed
    return render(
        request,
        "supervision/supervisee.html",
        {
            "link": link,
            "figures": figures,
            "charts": [
                charts.competence_chart(figures.competence),
                charts.engagement_chart(figures.engagement),
            ],
            "agreement": queries.agreement_of(queries.ratings_of_therapist(link)),
            "clients": clients,
        },
    )


@supervisor_required
def rate(request: HttpRequest, therapist_id: int) -> HttpResponse:
    link = access.supervisee_link(request.user, therapist_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        work = str(request.POST.get("work", ""))
        kind, _sep, raw_id = work.partition(":")
        try:
            services.rate(
                request.user,
                link.therapist_id,
                request.POST,
                str(request.POST.get("note", "")),
                assignment_id=_int(raw_id) if kind == "assignment" else None,
                session_id=_int(raw_id) if kind == "session" else None,
            )
        except services.SupervisionError as exc:
            messages.error(request, exc.message)
            errors = exc.errors
        else:
            messages.success(request, _("Your rating is saved."))
            return redirect("supervision_supervisee", therapist_id=link.therapist_id)
    assignments, sessions = queries.ratable_work_of(link)
    return render(
        request,
        "supervision/rate.html",
        {
            "link": link,
            "items": OBSERVER_ITEMS,
            "assignments": assignments,
            "sessions": sessions,
            "errors": errors,
            "posted": request.POST,
        },
        status=400 if errors or request.method == "POST" else 200,
    )


@figures_viewer_required
def clinic(request: HttpRequest) -> HttpResponse:
    place = access.clinic_for_figures(request.user)
    figures = queries.clinic_figures(place)
    return render(
        request,
        "supervision/clinic.html",
        {
            "clinic": place,
            "figures": figures,
            "fit": queries.competence_engagement_fit(figures),
            "agreement": queries.agreement_of(queries.ratings_of_clinic(place)),
            "charts": [
                charts.competence_chart(figures.competence, "chart-clinic-competence"),
                charts.engagement_chart(figures.engagement, "chart-clinic-practice"),
            ],
        },
    )


@clinic_admin_required
def links(request: HttpRequest) -> HttpResponse:
    place = access.admin_clinic(request.user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            made = services.link(
                request.user,
                _int(request.POST.get("supervisor")),
                [i for i in (_int(v) for v in request.POST.getlist("therapists")) if i is not None],
            )
        except services.SupervisionError as exc:
            messages.error(request, exc.message)
            errors = exc.errors
        else:
            messages.success(request, _("Supervision saved: %(n)s new link(s).") % {"n": len(made)})
            return redirect("supervision_links")
    supervisors, therapists, open_links = queries.supervisors_and_therapists(place)
    return render(
        request,
        "supervision/links.html",
        {
            "clinic": place,
            "supervisors": supervisors,
            "therapists": therapists,
            "links": open_links,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@clinic_admin_required
@require_POST
def end_link(request: HttpRequest, link_id: int) -> HttpResponse:
    try:
        services.end_link(request.user, link_id)
    except services.SupervisionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The supervision has ended."))
    return redirect("supervision_links")
