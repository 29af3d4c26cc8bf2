"""Logging out clears this device's copy of the app: the service worker's caches and the outbox storage."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class ClearSiteDataOnLogoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method == "POST"
            and request.path == reverse("account_logout")
            and response.status_code < 400
        ):
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response
