from django.urls import path

from emotipal.notifications.views import pages

app_name = "notifications"

urlpatterns = [
    path("settings/reminders/", pages.reminder_settings, name="reminder_settings"),
    path("settings/reminders/push/", pages.push_subscription, name="push_subscription"),
    path("r/<str:token>/", pages.open_reminder, name="reminder_link"),
]
