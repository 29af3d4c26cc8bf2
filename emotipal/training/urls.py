"""Training mode routes (included under /training/ by emotipal/urls.py)."""

from django.urls import path

from emotipal.training import views

urlpatterns = [
    path("", views.training_list, name="training_list"),
    path("vignettes/<int:vignette_id>/", views.vignette, name="training_vignette"),
    path("vignettes/<int:vignette_id>/attempt/", views.attempt, name="training_attempt"),
    path("attempts/<int:attempt_id>/", views.feedback, name="training_feedback"),
    path("progress/", views.my_progress, name="training_progress"),
    path("progress/<int:trainee_id>/", views.trainee_progress, name="training_trainee_progress"),
]
