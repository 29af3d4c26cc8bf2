"""Sessions end after a time without activity, set by the clinic (Clinic.staff_idle_minutes, client_idle_days).

Staff: the strictest timeout of the clinics they hold an active role in. Clients: their clinic's (longer) client
timeout. Someone both staff and client gets the stricter of the two. A person with no clinic role (a support
person, who sees only what one client chose to share) gets the default client timeout.

The last activity is a time stamp in the session, rewritten at most once a minute (a session write per request
would be a database write per request); the timeout is therefore exact to the minute. Requests a page makes by
itself (polling a running export, re-sending a draft: marked with the BACKGROUND_HEADER by static/js) do not
count as activity, or an open tab would keep a session alive for ever. They still end an expired session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import ngettext

from emotipal.accounts.models import CLIENT_IDLE_DAYS, STAFF_IDLE_MINUTES, ClientProfile, Membership

logger = logging.getLogger(__name__)

SESSION_KEY = "emotipal_last_activity"  # seconds since the epoch, as allauth's authentication records
WRITE_EVERY = 60  # seconds: the stamp is rewritten when it is at least this old
BACKGROUND_HEADER = "HTTP_X_EMOTIPAL_BACKGROUND"  # X-EmotiPal-Background: 1
DAY = 24 * 60


def idle_limit_minutes(user: Any) -> int:
    """How many minutes without activity end this user's session."""
    limits: list[int] = []
    staff = Membership.objects.active().filter(user=user).aggregate(least=Min("clinic__staff_idle_minutes"))
    if staff["least"] is not None:
        limits.append(staff["least"])
    client_days = (
        ClientProfile.objects.filter(user=user).values_list("clinic__client_idle_days", flat=True).first()
    )
    if client_days is not None:
        limits.append(client_days * DAY)
    if not limits:
        # Site administrators are staff of the whole site; anyone else here sees no clinic's records.
        limits.append(STAFF_IDLE_MINUTES[1] if user.is_superuser else CLIENT_IDLE_DAYS[1] * DAY)
    return min(limits)


def mark_active(request: HttpRequest) -> None:
    """A login (or any activity) starts the idle time again."""
    request.session[SESSION_KEY] = int(time.time())


def logged_out_message(minutes: int) -> str:
    if minutes % DAY == 0:
        days = minutes // DAY
        return ngettext(
            "You were logged out after %(n)d day without activity. Log in again to continue.",
            "You were logged out after %(n)d days without activity. Log in again to continue.",
            days,
        ) % {"n": days}
    return ngettext(
        "You were logged out after %(n)d minute without activity. Log in again to continue.",
        "You were logged out after %(n)d minutes without activity. Log in again to continue.",
        minutes,
    ) % {"n": minutes}


def _back_to(request: HttpRequest) -> str:
    """The page to come back to after logging in again: this one, or for htmx the page it was made from."""
    if request.headers.get("HX-Request"):
        current = urlparse(request.headers.get("HX-Current-URL", ""))
        return current.path + (f"?{current.query}" if current.query else "") if current.path else "/"
    return request.get_full_path() if request.method == "GET" else "/"


class IdleTimeoutMiddleware:
    """Ends a session unused for longer than the user's timeout, and says so on the login page.

    Goes after SessionMiddleware, AuthenticationMiddleware and MessageMiddleware. A page gets a redirect to the
    login page (which the service worker takes as "signed out" and so drops its copies of pages); htmx gets
    HX-Redirect with a 401, so a draft that was being saved stays on the device (exercise.js keeps it when a
    save fails); the API answers for itself (a session gone is a 401 there).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        now = int(time.time())
        last = request.session.get(SESSION_KEY)
        if not isinstance(last, int):
            request.session[SESSION_KEY] = now  # a session from before this rule: its idle time starts now
            return None
        if now - last < WRITE_EVERY:
            return None  # no timeout is shorter than a minute: nothing to look up, nothing to write
        minutes = idle_limit_minutes(request.user)
        if now - last > minutes * 60:
            return self._end(request, minutes)
        if not request.META.get(BACKGROUND_HEADER):
            request.session[SESSION_KEY] = now
        return None

    def _end(self, request: HttpRequest, minutes: int) -> HttpResponse | None:
        user_id = request.user.pk
        back_to = _back_to(request)
        # receivers.on_logged_out writes the audit row, as auth.idle_logout with the timeout that applied.
        request.emotipal_idle_minutes = minutes  # type: ignore[attr-defined]
        logout(request)
        logger.info("session of user %s ended after %s minutes without activity", user_id, minutes)
        if request.path.startswith("/api/"):
            return None  # the API answers an anonymous request itself (401), never with a redirect
        messages.warning(request, logged_out_message(minutes))
        login = f"{reverse('account_login')}?{urlencode({'next': back_to})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = login
            return response
        return redirect(login)
