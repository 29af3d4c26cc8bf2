"""Pages of the privacy app, mounted at the site root (their paths say whose page it is)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "privacy"

urlpatterns: list[URLPattern] = []
