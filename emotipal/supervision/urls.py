"""Supervision's pages, under /supervision/ (the clinic admin's page is /clinic/supervision/, in
emotipal/urls.py). Every route here must have a row in tests/test_permission_matrix.py."""

from django.urls import path

from emotipal.supervision import views

urlpatterns = [
    path("", views.home, name="supervision_home"),
    path("clinic/", views.clinic, name="supervision_clinic"),
    path("therapists/<int:therapist_id>/", views.supervisee, name="supervision_supervisee"),
    path("therapists/<int:therapist_id>/rate/", views.rate, name="supervision_rate"),
]
