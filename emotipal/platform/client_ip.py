"""The address of the client's machine, the same for the login lockouts (django-axes), allauth's rate limits
and the API's throttling, so that one person is one address to all three."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; behind EMOTIPAL_TRUSTED_PROXY_COUNT proxies of our own, the address the outermost of them
    saw: X-Forwarded-For counted from the right, where each of our proxies appended the address it was
    reached from. Entries further left are whatever the client chose to send, so they are never read (the
    rule allauth applies with ALLAUTH_TRUSTED_PROXY_COUNT, which settings sets to the same number)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.EMOTIPAL_TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Fewer entries than proxies: the request did not come through all of them; its own address is all we know.
    return hops[-proxies] if len(hops) >= proxies else remote
