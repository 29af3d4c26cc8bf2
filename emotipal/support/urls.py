from django.urls import path

from emotipal.support.views import pages

app_name = "support"

urlpatterns = [
    path("", pages.client_page, name="client"),
    path("end/", pages.end_link, name="end"),
    path("messages/<int:encouragement_id>/dismiss/", pages.dismiss, name="dismiss"),
    path("accept/<str:token>/", pages.accept, name="accept"),
    path("coach/", pages.coach_page, name="coach"),
    path("coach/<int:link_id>/encourage/", pages.encourage, name="encourage"),
]
