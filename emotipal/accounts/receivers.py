"""Authentication events into the audit trail: logins, failed logins, logouts (by the person, or by the idle
timeout: auth.idle_logout) and MFA changes.

API token use is recorded where tokens are checked (services.token_for_secret), not here.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils import translation

from emotipal.accounts import idle
from emotipal.accounts.middleware import supported_language
from emotipal.accounts.models import User
from emotipal.platform.audit.services import record


def on_logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    record(user, "auth.login", user)
    if request is not None and hasattr(request, "session"):
        idle.mark_active(request)  # the idle time starts at the login, not at the first page after it


def activate_language(sender: Any, request: Any, user: User, response: Any = None, **kwargs: Any) -> None:
    """The rest of the login request speaks the user's language, not the browser's: allauth's "Successfully
    signed in as ..." and our own messages are rendered to text when added, after this (allauth's
    user_logged_in, sent by its post_login just before it adds that message). The cookie keeps the login page
    in that language after logging out, as choosing a language in settings does."""
    language = supported_language(getattr(user, "language", None))
    if not language:
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language
    if response is not None:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")


def on_logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    # Django sends user=None when the session was not logged in; there is nothing to record then.
    if user is None:
        return
    minutes = getattr(request, "emotipal_idle_minutes", None)  # set by idle.IdleTimeoutMiddleware
    if minutes is not None:
        record(user, "auth.idle_logout", user, minutes=minutes)
    else:
        record(user, "auth.logout", user)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    """Never the password (Django already masks it; we do not store credentials at all). An unknown address
    stores no user and not the address itself: it may be a typo of someone else's, or a password typed
    into the wrong box."""
    login = str(credentials.get("email") or credentials.get("username") or "").strip()
    user = User.objects.filter(email__iexact=login).first() if login else None
    record(None, "auth.login_failed", user, known_account=user is not None)


def on_locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    """django-axes paused logins for this address (at the limit, and on each try while paused): the moment a
    guessing attack was stopped, next to the failed logins that led to it. Like those, no unknown address."""
    login = str(username or "").strip()
    user = User.objects.filter(email__iexact=login).first() if login else None
    record(None, "auth.locked_out", user, known_account=user is not None)


def _mfa_action(authenticator: Authenticator, event: str) -> str:
    kind = authenticator.type
    if kind == Authenticator.Type.TOTP:
        return {"added": "mfa.totp.activate", "removed": "mfa.totp.deactivate"}.get(
            event, f"mfa.totp.{event}"
        )
    if kind == Authenticator.Type.RECOVERY_CODES and event in {"added", "reset"}:
        return "mfa.recovery_codes.generate"
    return f"mfa.{kind}.{event}"


def on_authenticator_added(
    sender: Any, request: Any, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    record(user, _mfa_action(authenticator, "added"), user, authenticator_type=authenticator.type)


def on_authenticator_removed(
    sender: Any, request: Any, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    record(user, _mfa_action(authenticator, "removed"), user, authenticator_type=authenticator.type)


def on_authenticator_reset(
    sender: Any, request: Any, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    record(user, _mfa_action(authenticator, "reset"), user, authenticator_type=authenticator.type)


def on_mfa_failed(sender: Any, request: Any, user: User, authenticator: Authenticator, **kw: Any) -> None:
    record(None, "auth.mfa_failed", user, authenticator_type=authenticator.type)
