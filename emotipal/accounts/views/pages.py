"""Home, invitations, personal settings and API tokens, and the clinic admin page."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts import access, services
from emotipal.accounts.forms import (
    AcceptInvitationForm,
    ClientSettingsForm,
    LanguageForm,
    TokenForm,
)
from emotipal.accounts.gates import request_user
from emotipal.accounts.mfa_policy import MFARequired
from emotipal.accounts.models import ApiToken, ClientProfile, Invitation, User
from emotipal.accounts.reauth import recent_login_required
from emotipal.platform import extensions


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("account_login")
    if access.is_client(user):
        return redirect("today")
    if access.is_clinician(user):
        return redirect("caseload")
    # A researcher who sees no clients lands on their studies (the research app answers where that is).
    landing = extensions.staff_landing.answer(user)
    if landing is not None:
        return redirect(landing)
    if access.is_staff_member(user):
        return redirect("library")
    return render(request, "accounts/no_role.html")


def _invitation_refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "accounts/invitation_invalid.html", {"reason": reason}, status=status)


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.find_invitation(token)
    except services.InvitationError as exc:
        return _invitation_refused(request, str(exc), 410)
    current = request.user
    if current.is_authenticated and current.email.lower() != invitation.email.lower():
        return _invitation_refused(
            request,
            _(
                "This invitation is for %(invited)s, but you are logged in as %(current)s. Log out, then open "
                "the link again."
            )
            % {"invited": invitation.email, "current": current.email},
            403,
        )
    if services.account_exists_for(invitation):
        return _accept_as_existing_account(request, token, invitation)
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
            return _invitation_refused(request, str(exc), 410)
        messages.success(request, _("Welcome to %(clinic)s.") % {"clinic": invitation.clinic.name})
        # allauth's own login flow, not django.contrib.auth.login with a chosen backend: it runs the login
        # stages and signals, and the MFA gate then sends staff of an MFA clinic to set it up first.
        return perform_login(request, user, redirect_url=reverse("home"))
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "mode": "new"},
        status=400 if form.errors else 200,
    )


def _accept_as_existing_account(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    """An invitation for an address that has an account: knowing the link does not prove owning the account,
    so its owner logs in the normal way (password and, where enrolled, MFA) and comes back to accept."""
    if not request.user.is_authenticated:
        login_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
        return render(
            request,
            "accounts/invitation_accept.html",
            {"invitation": invitation, "mode": "login", "login_url": login_url},
            # Whatever was posted (a password, say) is ignored: nothing changes without that login.
            status=403 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        try:
            services.accept_invitation_as(token, request_user(request))
        except services.InvitationError as exc:
            return _invitation_refused(request, str(exc), 409)
        messages.success(request, _("Welcome to %(clinic)s.") % {"clinic": invitation.clinic.name})
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "mode": "confirm"})


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    language_form = LanguageForm(initial={"language": translation.get_language()})
    if request.method == "POST" and request.POST.get("action") == "language":
        language_form = LanguageForm(request.POST)
        if language_form.is_valid():
            services.set_language(user, language_form.cleaned_data["language"])
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
                "settings_links": extensions.settings_links.answer(user),
            },
            status=400,
        )
    profile = ClientProfile.objects.filter(user=user).first()
    form = None
    if profile is not None:
        initial = {"reminder_time": profile.reminder_time, "timezone": profile.timezone}
        form = ClientSettingsForm(
            request.POST or None, initial=initial, known_zones=[profile.timezone, profile.clinic.timezone]
        )
        if request.method == "POST" and form.is_valid():
            services.save_reminder_settings(
                user, profile, form.cleaned_data["reminder_time"], form.cleaned_data["timezone"]
            )
            messages.success(request, _("Settings saved."))
            return redirect("settings")
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(
        request,
        "accounts/settings.html",
        {
            "form": form,
            "language_form": language_form,
            "tokens": tokens,
            "token_form": TokenForm(),
            "settings_links": extensions.settings_links.answer(user),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
@recent_login_required  # a token is a way in that skips the login page: a password typed in the last minutes
def create_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Give the token a name, valid for 1 to %(days)s days. No token was made.")
            % {"days": settings.API_TOKEN_MAX_DAYS},
        )
        return redirect("settings")
    assert isinstance(request.user, User)
    try:
        new = services.create_api_token(
            request.user, form.cleaned_data["name"], days_valid=form.cleaned_data["days_valid"]
        )
    except MFARequired as exc:
        # The page middleware normally stops such a user before this view; the service refuses as well.
        messages.error(request, str(exc))
        return redirect("settings")
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
