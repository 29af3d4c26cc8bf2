"""Pages of the privacy app, mounted at the site root (their paths say whose page it is)."""

from __future__ import annotations

from django.urls import URLPattern, path

from emotipal.privacy import views_my_data

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    # A client's own copy of their data (the right of access): no id in the path, it is always their own.
    path("settings/my-data/", views_my_data.page, name="my_data"),
    path("settings/my-data/summary.html", views_my_data.summary_html, name="my_data_html"),
    path("settings/my-data/data.json", views_my_data.data_json, name="my_data_json"),
    path("settings/my-data/fhir.json", views_my_data.fhir_bundle, name="my_data_fhir"),
]
