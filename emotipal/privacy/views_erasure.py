"""The clinic admin's data-rights pages: the list of clients with their legal holds, the retention rules with
what they would do now and what they did, and the erasure of one client (what will happen, then a typed
confirmation). Parsing and showing only: privacy/erasure.py, holds.py and policy.py do the writes.

Erasing, and changing the retention rules, need a recent login (accounts/reauth.py): neither can be undone."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts import access as accounts_access
from emotipal.accounts.gates import clinic_admin_required, request_user
from emotipal.accounts.reauth import recent_login_required, require_recent_login
from emotipal.privacy import access, erasure, holds, policy, retention
from emotipal.privacy.erasure_plan import plan_for
from emotipal.privacy.forms import ConfirmErasureForm, HoldForm, RetentionForm
from emotipal.privacy.models import LegalHold, RetentionRun

RECENT_RUNS = 10


def _rights_page(
    request: HttpRequest, *, retention_form: RetentionForm | None = None, status: int = 200
) -> HttpResponse:
    user = request_user(request)
    clinic = access.admin_clinic(user)
    open_holds = LegalHold.objects.filter(client=OuterRef("pk"), lifted_at__isnull=True)
    clients = list(
        access.clients_of(clinic)
        .annotate(on_hold=Exists(open_holds))
        .order_by("user__display_name", "user__email")
    )
    accounts_access.note_reads(user, clients, "privacy.clients")
    rules = policy.policy_of(clinic)
    form = retention_form or RetentionForm(
        initial={"draft_days": rules.draft_days, "anonymise_after_years": rules.anonymise_after_years}
    )
    context: dict[str, Any] = {
        "clinic": clinic,
        "clients": clients,
        "retention_form": form,
        "rules": rules,
        "due": retention.due(clinic, rules) if rules.pk else None,
        "runs": RetentionRun.objects.filter(clinic=clinic)[:RECENT_RUNS],
    }
    return render(request, "privacy/data_rights.html", context, status=status)


@clinic_admin_required
def data_rights(request: HttpRequest) -> HttpResponse:
    return _rights_page(request)


@clinic_admin_required
@require_POST
@recent_login_required
def save_retention(request: HttpRequest) -> HttpResponse:
    form = RetentionForm(request.POST)
    if not form.is_valid():
        return _rights_page(request, retention_form=form, status=400)
    user = request_user(request)
    policy.save_policy(
        user,
        access.admin_clinic(user),
        draft_days=form.cleaned_data["draft_days"],
        anonymise_after_years=form.cleaned_data["anonymise_after_years"],
    )
    messages.success(request, _("Retention rules saved. They are applied once a day."))
    return redirect("privacy:data_rights")


def _erase_page(
    request: HttpRequest,
    client_id: int,
    *,
    confirm: ConfirmErasureForm | None = None,
    hold_form: HoldForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    client = access.client_for_erasure(request_user(request), client_id)
    context = {
        "client": client,
        "plan": plan_for(client),
        "confirm": confirm or ConfirmErasureForm(expected=client.user.email),
        "hold_form": hold_form or HoldForm(),
        "error": error,
    }
    return render(request, "privacy/erase_client.html", context, status=status)


@clinic_admin_required
def erase_client(request: HttpRequest, client_id: int) -> HttpResponse:
    if request.method != "POST":
        return _erase_page(request, client_id)
    user = request_user(request)
    client = access.client_for_erasure(user, client_id)
    require_recent_login(request)
    form = ConfirmErasureForm(request.POST, expected=client.user.email)
    if not form.is_valid():
        return _erase_page(request, client_id, confirm=form, status=400)
    try:
        erasure.erase(user, client.pk, reason="request")
    except erasure.ErasureRefused as refused:
        return _erase_page(request, client_id, error=str(refused), status=409)
    messages.success(
        request, _("The client's data was erased. The audit log records what was removed and kept.")
    )
    return redirect("privacy:data_rights")


@clinic_admin_required
@require_POST
def legal_hold(request: HttpRequest, client_id: int) -> HttpResponse:
    user = request_user(request)
    client = access.client_for_erasure(user, client_id)
    try:
        if request.POST.get("action") == "lift":
            holds.lift(user, client)
            messages.success(request, _("The legal hold was lifted."))
        else:
            form = HoldForm(request.POST)
            if not form.is_valid():
                return _erase_page(request, client_id, hold_form=form, status=400)
            holds.place(user, client, form.cleaned_data["reason"])
            messages.success(request, _("Legal hold placed: nothing of this client's data will be erased."))
    except holds.HoldError as problem:
        return _erase_page(request, client_id, error=str(problem), status=409)
    return redirect("privacy:erase_client", client_id=client.pk)
