"""Pages of the privacy app, mounted at the site root (their paths say whose page it is)."""

from __future__ import annotations

from django.urls import URLPattern, path

from emotipal.privacy import views_erasure, views_my_data

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("clinic/data-rights/", views_erasure.data_rights, name="data_rights"),
    path("clinic/data-rights/retention/", views_erasure.save_retention, name="save_retention"),
    path(
        "clinic/data-rights/clients/<int:client_id>/erase/", views_erasure.erase_client, name="erase_client"
    ),
    path("clinic/data-rights/clients/<int:client_id>/hold/", views_erasure.legal_hold, name="legal_hold"),
    # A client's own copy of their data (the right of access): no id in the path, it is always their own.
    path("settings/my-data/", views_my_data.page, name="my_data"),
    path("settings/my-data/summary.html", views_my_data.summary_html, name="my_data_html"),
    path("settings/my-data/data.json", views_my_data.data_json, name="my_data_json"),
    path("settings/my-data/fhir.json", views_my_data.fhir_bundle, name="my_data_fhir"),
]
