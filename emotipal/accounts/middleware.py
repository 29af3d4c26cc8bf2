"""Staff of a clinic whose policy requires MFA must set it up before they see anything else; a logged-in
user sees the interface in the language they chose."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from emotipal.accounts.mfa_policy import must_set_up_mfa

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
            and must_set_up_mfa(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def supported_language(code: str | None) -> str | None:
    """The code if it is one of settings.LANGUAGES (or its base language is), else None."""
    codes = {c for c, _name in settings.LANGUAGES}
    if not code:
        return None
    if code in codes:
        return code
    base = code.split("-")[0].lower()
    return base if base in codes else None


class UserLanguageMiddleware:
    """Activates the logged-in user's language; anonymous visitors keep LocaleMiddleware's negotiation.

    Goes after AuthenticationMiddleware (and after LocaleMiddleware, whose choice it overrides).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = supported_language(getattr(user, "language", None))
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
