from django.urls import path

from emotipal.support.views import pages

app_name = "support"

urlpatterns = [
    path("", pages.client_page, name="support_page"),
    path("end/", pages.end_link, name="support_end"),
    path("messages/<int:encouragement_id>/dismiss/", pages.dismiss, name="support_dismiss"),
    path("accept/<str:token>/", pages.accept, name="support_accept"),
    path("coach/", pages.coach_page, name="coach_page"),
    path("coach/<int:link_id>/encourage/", pages.encourage, name="coach_encourage"),
]
