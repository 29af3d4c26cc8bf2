"""The clinic admin page: invitations (send, resend, revoke), staff roles (add, remove, deactivate,
reactivate), reassigning clients, and the clinic policy. Each write is one action in accounts.services, which
re-checks that the actor is an admin of this clinic; these views only parse and show.

What changes who may see what (roles, staff invitations and their new links, moving a client, the policy with
its MFA rule and timeouts) needs a recent login (accounts/reauth.py); revoking an invitation and sending a
client's invitation do not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts import access, services
from emotipal.accounts.forms import AddRoleForm, ClinicPolicyForm, InviteForm, ReassignForm
from emotipal.accounts.gates import clinic_admin_required, request_user
from emotipal.accounts.models import ClientProfile, Clinic, Invitation, Membership, Role, User
from emotipal.accounts.reauth import recent_login_required, require_recent_login


def _clinic(request: HttpRequest) -> Clinic:
    clinic = access.clinics_where(request.user, Role.ADMIN).order_by("pk").first()
    assert clinic is not None  # the gate let only active clinic admins in
    return clinic


def _active_therapists(clinic: Clinic) -> Any:
    ids = Membership.objects.active().filter(clinic=clinic, role=Role.THERAPIST).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("display_name", "email")


def _staff(clinic: Clinic) -> Any:
    # Deactivated members too: an admin may give a deactivated person another role here.
    return User.objects.filter(pk__in=Membership.objects.filter(clinic=clinic).values("user_id")).order_by(
        "display_name", "email"
    )


def _clients(clinic: Clinic) -> Any:
    return (
        ClientProfile.objects.filter(clinic=clinic)
        .select_related("user", "therapist")
        .order_by("user__display_name", "user__email")
    )


def _page(
    request: HttpRequest,
    clinic: Clinic,
    *,
    status: int = 200,
    new_link: str | None = None,
    error: str | None = None,
    **forms: Any,
) -> HttpResponse:
    therapists = _active_therapists(clinic)
    clients = _clients(clinic)
    reassign_form = forms.get("reassign_form") or ReassignForm(clients=clients, therapists=therapists)
    members = list(
        Membership.objects.filter(clinic=clinic).select_related("user").order_by("user__email", "role")
    )
    caseloads = dict(
        ClientProfile.objects.filter(clinic=clinic)
        .values_list("therapist_id")
        .annotate(n=Count("pk"))
        .values_list("therapist_id", "n")
    )
    for m in members:
        m.client_count = caseloads.get(m.user_id, 0)  # type: ignore[attr-defined]
    client_list = list(clients)
    # The reassign list names every client of the clinic: a staff read, audited like any other.
    access.note_reads(request.user, client_list, "clinic_admin.clients")
    return render(
        request,
        "accounts/clinic_admin.html",
        {
            "clinic": clinic,
            "members": members,
            "last_admin_ids": _last_admin_ids(members),
            "invitations": Invitation.objects.filter(clinic=clinic).order_by("-created_at")[:20],
            "invite_form": forms.get("invite_form") or InviteForm(therapists=therapists),
            "policy_form": forms.get("policy_form")
            or ClinicPolicyForm(
                initial={
                    "require_staff_mfa": clinic.require_staff_mfa,
                    "timezone": clinic.timezone,
                    "staff_idle_minutes": clinic.staff_idle_minutes,
                    "client_idle_days": clinic.client_idle_days,
                }
            ),
            "role_form": forms.get("role_form") or AddRoleForm(staff=_staff(clinic)),
            "reassign_form": reassign_form,
            "new_link": new_link,
            "error": error,
            "client_count": len(client_list),
        },
        status=status,
    )


def _last_admin_ids(members: list[Membership]) -> set[int]:
    """The membership that is the clinic's only active admin role (its buttons are not offered)."""
    admins = [m for m in members if m.role == Role.ADMIN and m.deactivated_at is None]
    return {admins[0].pk} if len(admins) == 1 else set()


@clinic_admin_required
def clinic_admin(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    therapists = _active_therapists(clinic)
    if request.method == "POST" and request.POST.get("action") == "invite":
        invite_form = InviteForm(request.POST, therapists=therapists)
        if invite_form.is_valid():
            data = invite_form.cleaned_data
            if data["role"] != Invitation.CLIENT:
                require_recent_login(request)  # a staff invitation is a role given to whoever holds the link
            try:
                new = services.invite(
                    clinic=clinic,
                    email=data["email"],
                    role=data["role"],
                    invited_by=request.user,
                    therapist=data["therapist"] if data["role"] == Invitation.CLIENT else None,
                )
            except services.InvitationError as exc:
                invite_form.add_error("email", str(exc))
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": new.invitation.email}
                )
                return _page(request, clinic, new_link=new.url)
        return _page(request, clinic, status=400, invite_form=invite_form)
    if request.method == "POST" and request.POST.get("action") == "policy":
        policy_form = ClinicPolicyForm(request.POST)
        if policy_form.is_valid():
            require_recent_login(request)
            data = policy_form.cleaned_data
            services.set_clinic_policy(
                request_user(request),
                clinic,
                require_staff_mfa=data["require_staff_mfa"],
                timezone=data["timezone"] or clinic.timezone,
                staff_idle_minutes=data["staff_idle_minutes"],
                client_idle_days=data["client_idle_days"],
            )
            messages.success(request, _("Clinic policy saved."))
            return redirect("clinic_admin")
        return _page(request, clinic, status=400, policy_form=policy_form)
    return _page(request, clinic)


def _run(request: HttpRequest, action: Callable[[], Any], done: str) -> HttpResponse:
    """Runs one admin action: on success a message and back to the page, on refusal the page with the reason
    (status 400, nothing changed). Another clinic's id raises 404 inside the action."""
    try:
        action()
    except services.AdminError as exc:
        return _page(request, _clinic(request), status=400, error=exc.message)
    messages.success(request, done)
    return redirect("clinic_admin")


@clinic_admin_required
@require_POST
@recent_login_required
def deactivate_membership(request: HttpRequest, membership_id: int) -> HttpResponse:
    clinic = _clinic(request)
    return _run(
        request,
        lambda: services.deactivate_membership(request_user(request), clinic, membership_id),
        _("Role deactivated. It no longer gives access to anything in this clinic."),
    )


@clinic_admin_required
@require_POST
@recent_login_required
def reactivate_membership(request: HttpRequest, membership_id: int) -> HttpResponse:
    clinic = _clinic(request)
    return _run(
        request,
        lambda: services.reactivate_membership(request_user(request), clinic, membership_id),
        _("Role reactivated."),
    )


@clinic_admin_required
@require_POST
@recent_login_required
def remove_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    clinic = _clinic(request)
    return _run(
        request,
        lambda: services.remove_role(request_user(request), clinic, membership_id),
        _("Role removed."),
    )


@clinic_admin_required
@require_POST
@recent_login_required
def add_role(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = AddRoleForm(request.POST, staff=_staff(clinic))
    if not form.is_valid():
        return _page(request, clinic, status=400, role_form=form)
    person, role = form.cleaned_data["person"], form.cleaned_data["role"]
    return _run(
        request,
        lambda: services.add_role(request_user(request), clinic, person.pk, role),
        _("Role added."),
    )


@clinic_admin_required
@require_POST
@recent_login_required
def reassign_client(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = ReassignForm(request.POST, clients=_clients(clinic), therapists=_active_therapists(clinic))
    if not form.is_valid():
        return _page(request, clinic, status=400, reassign_form=form)
    client, therapist = form.cleaned_data["client"], form.cleaned_data["therapist"]
    return _run(
        request,
        lambda: services.reassign_client(request_user(request), clinic, client.pk, therapist.pk),
        _("%(client)s is now looked after by %(therapist)s.")
        % {"client": client.user, "therapist": therapist},
    )


@clinic_admin_required
@require_POST
@recent_login_required
def resend_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    clinic = _clinic(request)
    try:
        new = services.resend_invitation(request_user(request), clinic, invitation_id)
    except services.AdminError as exc:
        return _page(request, clinic, status=400, error=exc.message)
    messages.success(
        request,
        _("A new link was sent to %(email)s. The previous link no longer works.")
        % {"email": new.invitation.email},
    )
    # The link is shown once, here (only its hash is stored), so this answers with the page, not a redirect.
    return _page(request, clinic, new_link=new.url)


@clinic_admin_required
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    clinic = _clinic(request)
    return _run(
        request,
        lambda: services.revoke_invitation(request_user(request), clinic, invitation_id),
        _("Invitation revoked. Its link now says it is no longer valid."),
    )
