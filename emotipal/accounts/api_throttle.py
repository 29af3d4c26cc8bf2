"""How many API requests each caller may make (settings.API_THROTTLE_RATES), counted in the shared cache.

Three counts, one per kind of caller: each personal access token on its own (a second token of the same person,
for another script, has its own count); each signed-in person using the API from the browser; and each client
address for requests that authenticate neither way (a wrong or expired token, no session): those never reach an
operation, so they are counted in the authentication step, before the 401.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import SimpleRateThrottle

from emotipal.accounts.models import ApiToken, User
from emotipal.platform.client_ip import client_ip


def _per_thread(name: str) -> Any:
    def get(self: ScopedRateThrottle) -> Any:
        return getattr(self._state, name, None)

    def put(self: ScopedRateThrottle, value: Any) -> None:
        setattr(self._state, name, value)

    return property(get, put)


class ScopedRateThrottle(SimpleRateThrottle):
    """ninja's sliding-window count, with the rate read from the settings on each request (so a deployment's
    and a test's settings apply) and with each request's figures kept per thread: ninja keeps one throttle
    object for all requests, and SimpleRateThrottle keeps the current request's history on it between
    allow_request and wait, which two requests served at once in two threads would otherwise share."""

    key = _per_thread("key")
    history = _per_thread("history")
    now = _per_thread("now")
    num_requests = _per_thread("num_requests")
    duration = _per_thread("duration")

    def __init__(self, scope: str) -> None:  # no super().__init__: it would fix the rate once, at import
        self.scope = scope
        self._state = threading.local()

    def get_rate(self) -> str:
        rate: str = settings.API_THROTTLE_RATES[str(self.scope)]
        return rate

    def get_ident(self, request: HttpRequest) -> str | None:
        return client_ip(request)

    def ident(self, request: HttpRequest) -> str | None:
        """What this scope counts for this request, or None when the request is not of its kind."""
        raise NotImplementedError

    def get_cache_key(self, request: HttpRequest) -> str | None:
        ident = self.ident(request)
        return None if ident is None else f"api-throttle:{self.scope}:{ident}"

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        self.history = []
        return super().allow_request(request)

    def wait(self) -> float:
        """Seconds until the oldest counted request leaves the window, when the next one is let through (ninja's
        own figure spreads the remaining requests over the window, and is None once they are used up)."""
        if not self.history:
            return float(self.duration)
        return max(1.0, float(self.duration - (self.now - self.history[-1])))


class TokenRateThrottle(ScopedRateThrottle):
    def __init__(self) -> None:
        super().__init__("token")

    def ident(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        return str(auth.pk) if isinstance(auth, ApiToken) else None


class SessionRateThrottle(ScopedRateThrottle):
    def __init__(self) -> None:
        super().__init__("session")

    def ident(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        return str(auth.pk) if isinstance(auth, User) else None


class AnonymousRateThrottle(ScopedRateThrottle):
    """Not one of the operations' throttles (ninja checks those only after a caller authenticated): the last
    of the API's authentication methods, which authenticates no one and only counts who got that far."""

    def __init__(self) -> None:
        super().__init__("anon")

    def ident(self, request: HttpRequest) -> str | None:
        return self.get_ident(request) or "unknown"

    def __call__(self, request: HttpRequest) -> None:
        if not self.allow_request(request):
            raise Throttled(wait=self.wait())  # type: ignore[arg-type]  # ninja types wait as int, uses a float
        return None
