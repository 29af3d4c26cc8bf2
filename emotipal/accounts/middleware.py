"""Staff of a clinic whose policy requires MFA must set it up before they see anything else."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from emotipal.accounts.models import Membership

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/invite/")


class RequireStaffMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not request.path.startswith("/api/")  # the API answers for itself, never with a redirect
            and Membership.objects.filter(user=user, clinic__require_staff_mfa=True).exists()
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
