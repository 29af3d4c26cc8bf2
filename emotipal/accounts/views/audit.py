"""The audit trail, read by people: the clinic admin's log (filters, CSV) and the client's "who has seen my
data". Reading the clinic's log is itself audited."""

from __future__ import annotations

import csv
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from emotipal.accounts import access, audit_log
from emotipal.accounts.forms import AuditFilterForm
from emotipal.accounts.gates import client_required, clinic_admin_required
from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, User
from emotipal.accounts.reauth import recent_login_required
from emotipal.platform.audit.services import record

CSV_LIMIT = 100_000  # one download; narrow the filters for more


def _clinic(request: HttpRequest) -> Clinic:
    clinic = access.clinics_where(request.user, Role.ADMIN).order_by("pk").first()
    assert clinic is not None  # the gate let only active clinic admins in
    return clinic


def _form(request: HttpRequest, clinic: Clinic) -> tuple[AuditFilterForm, audit_log.LogFilters]:
    staff = User.objects.filter(pk__in=Membership.objects.filter(clinic=clinic).values("user_id")).order_by(
        "display_name", "email"
    )
    clients = (
        ClientProfile.objects.filter(clinic=clinic).select_related("user").order_by("user__display_name")
    )
    form = AuditFilterForm(
        request.GET or None,
        people=[(u.pk, u.display_name or u.email) for u in staff],
        clients=[(c.pk, c.user.display_name or c.user.email) for c in clients],
        actions=audit_log.actions_in(clinic),
    )
    if not request.GET or not form.is_valid():
        return form, audit_log.LogFilters()
    data = form.cleaned_data
    # The ids come from the form's own choices: this clinic's people and clients only.
    return form, audit_log.LogFilters(
        person=staff.filter(pk=data["person"]).first() if data["person"] else None,
        client=clients.filter(pk=data["client"]).first() if data["client"] else None,
        action=data["action"] or "",
        since=data["since"],
        until=data["until"],
    )


@clinic_admin_required
def clinic_audit(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form, filters = _form(request, clinic)
    invalid = bool(request.GET) and not form.is_valid()
    events = audit_log.clinic_events(clinic, filters)
    page = Paginator(events, audit_log.PAGE_SIZE).get_page(request.GET.get("page"))
    record(request.user, "read.audit_log", clinic, clinic_id=clinic.pk)
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "clinic": clinic,
        "form": form,
        "page": page,
        "rows": audit_log.log_rows(clinic, page.object_list),
        "query": query.urlencode(),
    }
    return render(request, "accounts/audit_log.html", context, status=400 if invalid else 200)


@clinic_admin_required
@recent_login_required  # the whole trail of who saw whom, as a file: a password typed in the last minutes
def clinic_audit_csv(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form, filters = _form(request, clinic)
    if request.GET and not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain; charset=utf-8")
    rows = audit_log.log_rows(clinic, audit_log.clinic_events(clinic, filters)[:CSV_LIMIT])
    record(request.user, "export.audit_log", clinic, clinic_id=clinic.pk, rows=len(rows))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{clinic.slug}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(["time", "person", "roles", "action", "client", "object", "detail"])
    for row in rows:
        writer.writerow(
            [
                row.at.isoformat(timespec="seconds"),
                row.who,
                row.roles,
                row.action,
                row.client,
                row.target,
                row.detail,
            ]
        )
    return response


@client_required
def seen_by_me(request: HttpRequest) -> HttpResponse:
    profile = access.own_client_profile(request.user)
    return render(
        request,
        "accounts/seen_by.html",
        {"rows": audit_log.seen_by(profile), "days": audit_log.SEEN_BY_DAYS},
    )
