"""Pages shown to a logged-in person are never kept by the browser's or a proxy's HTTP cache: on a shared
computer, Back after logging out must not show a client's entries again. (The service worker's own copy of
a client's pages is a separate store, cleared at logout; see middleware_pwa.)"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreWhenLoggedInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)  # no-store, no-cache, must-revalidate, private, max-age=0
        return response
