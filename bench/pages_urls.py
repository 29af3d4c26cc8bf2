"""The benchmark's URLconf: the app's own, plus the floor of the page benchmark, a static page of a given size
served by the same server through the same middleware (sessions, authentication, MFA policy, security headers).
Only bench/pages_settings.py uses it: no deployment serves this URL."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from emotipal.urls import urlpatterns as app_urlpatterns

_PAGE_START = b"<!doctype html><html lang=en><head><title>Static page</title></head><body><p>"
_PAGE_END = b"</p></body></html>"


def static_page(request: HttpRequest, size: int) -> HttpResponse:
    filler = max(0, size - len(_PAGE_START) - len(_PAGE_END))
    return HttpResponse(_PAGE_START + b"x" * filler + _PAGE_END, content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/static-page/<int:size>/", static_page), *app_urlpatterns]
