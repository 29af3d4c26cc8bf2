"""How django-axes sees a login attempt and what it answers a locked-out person (settings: AXES_*).

The lockout itself, its limits and why it is keyed on the e-mail address together with the client's address,
are configured in platform/settings.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_of(request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> str | None:
    """The e-mail address an attempt was for: from the credentials allauth authenticates with (or axes builds
    on a successful login), else the login form's `login` field. Trimmed and lower-cased, so that
    "Therapist@Clinic.org " and "therapist@clinic.org" are one count and one lockout, as they are one account."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if not value:
        value = getattr(request, "POST", {}).get("login")
    login = str(value or "").strip().lower()
    return login or None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page a locked-out login gets instead of the form: what happened, for how long, and no detail an
    attacker could use (the same page whether or not the address has an account). 429, with Retry-After: the
    cool-off counts from the lockout, so the whole of it is the longest wait."""
    minutes = settings.LOGIN_COOLOFF_MINUTES
    response = render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
