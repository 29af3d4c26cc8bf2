"""Home, invitations, personal settings and API tokens, and the clinic admin page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts import permissions, services
from emotipal.accounts.forms import LanguageForm
from emotipal.accounts.models import ApiToken, ClientProfile, Invitation, Membership, Role, User
from emotipal.audit.services import record
from emotipal.homework.export import compliance_rows, write_csv
from emotipal.notifications.services import schedule_next_reminder
from emotipal.web.decorators import clinic_admin_required, request_user
from emotipal.web.forms import (
    AcceptInvitationForm,
    ClientSettingsForm,
    ClinicPolicyForm,
    InviteForm,
    TokenForm,
)


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("account_login")
    if permissions.is_client(user):
        return redirect("today")
    if permissions.is_clinician(user):
        return redirect("caseload")
    if permissions.is_staff_member(user):
        return redirect("library")
    return render(request, "accounts/no_role.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.find_invitation(token)
    except services.InvitationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                token,
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                language=getattr(request, "LANGUAGE_CODE", "en"),
            )
        except services.InvitationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(clinic)s.") % {"clinic": invitation.clinic.name})
        return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    language_form = LanguageForm(initial={"language": translation.get_language()})
    if request.method == "POST" and request.POST.get("action") == "language":
        language_form = LanguageForm(request.POST)
        if language_form.is_valid():
            user.language = language_form.cleaned_data["language"]
            user.save(update_fields=["language"])
            record(user, "settings.language", user, language=user.language)
            translation.activate(user.language)  # the confirmation is already in the new language
            messages.success(request, _("Language saved."))
            response = redirect("settings")
            # Keeps the chosen language on the login page after logging out, too.
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
        return render(
            request,
            "accounts/settings.html",
            {
                "form": None,
                "language_form": language_form,
                "tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
                "token_form": TokenForm(),
            },
            status=400,
        )
    profile = ClientProfile.objects.filter(user=user).first()
    form = None
    if profile is not None:
        initial = {"reminder_time": profile.reminder_time, "timezone": profile.timezone}
        form = ClientSettingsForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            profile.reminder_time = form.cleaned_data["reminder_time"]
            profile.timezone = form.cleaned_data["timezone"]
            profile.save(update_fields=["reminder_time", "timezone"])
            record(request.user, "settings.update", profile, subject_user_id=request.user.pk)
            schedule_next_reminder(profile)
            messages.success(request, _("Settings saved."))
            return redirect("settings")
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "language_form": language_form, "tokens": tokens, "token_form": TokenForm()},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name (and at most 365 days)."))
        return redirect("settings")
    assert isinstance(request.user, User)
    new = services.create_api_token(
        request.user, form.cleaned_data["name"], days_valid=form.cleaned_data["days_valid"]
    )
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "accounts/settings.html",
        {
            "form": None,
            "language_form": LanguageForm(initial={"language": translation.get_language()}),
            "tokens": tokens,
            "token_form": TokenForm(),
            "new_secret": new.secret,
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    if services.revoke_api_token(request.user, token_id):
        messages.success(request, _("Token revoked. Programs using it can no longer connect."))
    else:
        messages.error(request, _("That token was not found or was already revoked."))
    return redirect("settings")


@clinic_admin_required
def clinic_admin(request: HttpRequest) -> HttpResponse:
    clinic = permissions.clinics_where(request.user, Role.ADMIN).first()
    assert clinic is not None
    therapists = User.objects.filter(memberships__clinic=clinic, memberships__role=Role.THERAPIST).distinct()
    invite_form = InviteForm(therapists=therapists)
    policy_form = ClinicPolicyForm(
        initial={"require_staff_mfa": clinic.require_staff_mfa, "timezone": clinic.timezone}
    )
    new_link = None
    if request.method == "POST" and request.POST.get("action") == "invite":
        invite_form = InviteForm(request.POST, therapists=therapists)
        if invite_form.is_valid():
            data = invite_form.cleaned_data
            new = services.invite(
                clinic=clinic,
                email=data["email"],
                role=data["role"],
                invited_by=request.user,
                therapist=data["therapist"] if data["role"] == Invitation.CLIENT else None,
            )
            new_link = new.url
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": new.invitation.email})
            invite_form = InviteForm(therapists=therapists)
    elif request.method == "POST" and request.POST.get("action") == "policy":
        policy_form = ClinicPolicyForm(request.POST)
        if policy_form.is_valid():
            clinic.require_staff_mfa = policy_form.cleaned_data["require_staff_mfa"]
            clinic.timezone = policy_form.cleaned_data["timezone"] or clinic.timezone
            clinic.save(update_fields=["require_staff_mfa", "timezone"])
            record(
                request.user,
                "clinic.policy",
                clinic,
                clinic_id=clinic.pk,
                mfa=clinic.require_staff_mfa,
                timezone=clinic.timezone,
            )
            messages.success(request, _("Clinic policy saved."))
            return redirect("clinic_admin")
    members = Membership.objects.filter(clinic=clinic).select_related("user").order_by("role", "user__email")
    invitations = Invitation.objects.filter(clinic=clinic).order_by("-created_at")[:20]
    return render(
        request,
        "accounts/clinic_admin.html",
        {
            "clinic": clinic,
            "members": members,
            "invitations": invitations,
            "invite_form": invite_form,
            "policy_form": policy_form,
            "new_link": new_link,
            "client_count": ClientProfile.objects.filter(clinic=clinic).count(),
        },
        status=400 if invite_form.errors or policy_form.errors else 200,
    )


@clinic_admin_required
def export_compliance(request: HttpRequest) -> HttpResponse:
    """Every compliance figure of the clinic's clients, as CSV (source, type and timing on every row)."""
    clinic = permissions.clinics_where(request.user, Role.ADMIN).first()
    assert clinic is not None
    record(request.user, "export.compliance", clinic, clinic_id=clinic.pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{clinic.slug}-compliance.csv"'
    write_csv(
        compliance_rows(
            ClientProfile.objects.filter(clinic=clinic).select_related("user", "therapist", "clinic")
        ),
        response,
    )
    return response
