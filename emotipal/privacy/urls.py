"""Pages of the privacy app, mounted at the site root (their paths say whose page it is)."""

from __future__ import annotations

from django.urls import URLPattern, path

from emotipal.privacy import views_erasure

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("clinic/data-rights/", views_erasure.data_rights, name="data_rights"),
    path("clinic/data-rights/retention/", views_erasure.save_retention, name="save_retention"),
    path(
        "clinic/data-rights/clients/<int:client_id>/erase/", views_erasure.erase_client, name="erase_client"
    ),
    path("clinic/data-rights/clients/<int:client_id>/hold/", views_erasure.legal_hold, name="legal_hold"),
]
