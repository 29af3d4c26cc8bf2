"""Proof of a recent login before exports, role changes and new API tokens (django-allauth's reauthentication).

A session that logged in or confirmed its password (or TOTP code) within ACCOUNT_REAUTHENTICATION_TIMEOUT passes;
otherwise the view raises allauth's ReauthenticationRequired, and allauth's AccountMiddleware sends the person
to its "confirm your password" page (or the TOTP one), then back: a download is fetched again, a form that was
posted is replayed by allauth with the data that was sent, so nothing has to be typed twice.

Why not allauth's own `reauthentication_required` decorator: it accepts only an explicit re-authentication,
so an admin who logged in one minute ago would have to type the password again for the first export. The
moment of the login itself is proof enough; both are read from allauth's authentication records in the session.
(allauth's pages for MFA changes keep allauth's own, stricter rule.)

API tokens are not sessions and are not asked: a token is made on a page that asked for this proof, expires,
and never makes a token that outlives it (services.create_api_token). The API asks a browser session for the
same proof as the pages (accounts/api.py `refuse_stale_session`), so the API is no way around them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _


def stale_session_message() -> str:
    """The API's answer to a browser session that has not proved itself recently."""
    return _(
        "Confirm your password first: this needs a login from the last few minutes. Open %(url)s, confirm "
        "your password, then repeat the request."
    ) % {"url": settings.SITE_URL + reverse("account_reauthenticate")}


def last_authenticated_at(request: HttpRequest) -> float | None:
    """When this session last proved who it is (password, TOTP, or a re-authentication), if it ever did."""
    # Only records of the logged-in user count (allauth keeps whose they are).
    records = get_authentication_records(request, request.user)
    moments = [r["at"] for r in records if isinstance(r.get("at"), (int, float))]
    return max(moments) if moments else None


def recently_authenticated(request: HttpRequest) -> bool:
    if not request.user.is_authenticated:
        return False
    at = last_authenticated_at(request)
    return at is not None and time.time() - at < allauth_settings.REAUTHENTICATION_TIMEOUT


def require_recent_login(request: HttpRequest) -> None:
    """Call after the view's own access checks (so a refusal stays a refusal, not a password prompt)."""
    if not recently_authenticated(request):
        raise ReauthenticationRequired()


View = Callable[..., HttpResponse]


def recent_login_required(view: View) -> View:
    """For views whose gate has already checked the role (put it below the gate's decorator)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_recent_login(request)
        return view(request, *args, **kwargs)

    return wrapped
