from django.urls import path

from emotipal.notifications.views import pages

app_name = "notifications"

urlpatterns = [
    path("settings/reminders/", pages.reminder_settings, name="reminder_settings"),
    path("settings/reminders/push/", pages.push_subscription, name="push_subscription"),
    path("settings/reminders/calendar/", pages.new_calendar_link, name="calendar_link_new"),
    path("calendar/<str:token>.ics", pages.calendar_feed, name="calendar_feed"),
    path("r/<str:token>/", pages.open_reminder, name="reminder_link"),
]
