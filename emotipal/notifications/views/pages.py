"""The client's reminder settings page, the push subscription endpoint, and the reminder link."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.access import own_client_profile
from emotipal.accounts.gates import client_required
from emotipal.notifications import queries, subscriptions
from emotipal.notifications.access import reminder_from_link
from emotipal.notifications.forms import ReminderForm
from emotipal.notifications.preferences import preference_of


@client_required
def reminder_settings(request: HttpRequest) -> HttpResponse:
    client = own_client_profile(request.user)
    pref = preference_of(client)
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            subscriptions.save_preferences(request.user, client, form.choice(form.cleaned_data))
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("notifications:reminder_settings")
    else:
        form = ReminderForm(
            initial={
                "time": client.reminder_time,
                "by_email": pref.by_email,
                "by_push": pref.by_push,
                "weekdays": list(pref.weekdays),
                "quiet_start": pref.quiet_start,
                "quiet_end": pref.quiet_end,
            }
        )
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "client": client,
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "recent": queries.recent_deliveries(client),
        },
    )


@client_required
@require_POST
def push_subscription(request: HttpRequest) -> JsonResponse:
    """The browser posts its PushSubscription as JSON; {"remove": true} with the endpoint removes it."""
    client = own_client_profile(request.user)
    not_json = JsonResponse(
        {"error": _("The browser sent something that is not a subscription.")}, status=400
    )
    if request.content_type != "application/json":
        return not_json
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"error": _("The browser sent something that is not a subscription.")}, status=400
        )
    if not isinstance(data, dict):
        return JsonResponse(
            {"error": _("The browser sent something that is not a subscription.")}, status=400
        )
    if data.get("remove"):
        removed = subscriptions.unsubscribe(request.user, client, str(data.get("endpoint", "")))
        return JsonResponse({"removed": removed})
    try:
        subscriptions.subscribe(request.user, client, data)
    except subscriptions.SubscriptionError:
        return JsonResponse(
            {"error": _("This browser's notification details could not be used.")}, status=400
        )
    return JsonResponse({"subscribed": True}, status=201)


def open_reminder(request: HttpRequest, token: str) -> HttpResponse:
    """A reminder's link: record its first opening, then go where the reminder points (Today; log in first
    when this browser is not logged in, which the Today page asks for)."""
    reminder = reminder_from_link(token)
    subscriptions.record_link_opening(reminder)
    return redirect("today")
