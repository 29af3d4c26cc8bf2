"""The client's reminder settings page, the push subscription endpoint, and the reminder link."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.access import own_client_profile
from emotipal.accounts.emails import language_of
from emotipal.accounts.gates import client_required
from emotipal.accounts.models import ClientProfile
from emotipal.notifications import feed, queries, subscriptions
from emotipal.notifications.access import reminder_from_link
from emotipal.notifications.forms import ReminderForm
from emotipal.notifications.preferences import preference_of


@client_required
def reminder_settings(request: HttpRequest) -> HttpResponse:
    client = own_client_profile(request.user)
    form: ReminderForm
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            subscriptions.save_preferences(request.user, client, form.choice(form.cleaned_data))
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("notifications:reminder_settings")
    else:
        form = ReminderForm(initial=_initial(client))
    return _settings_page(request, client, form)


def _settings_page(
    request: HttpRequest, client: ClientProfile, form: ReminderForm, feed_url: str = ""
) -> HttpResponse:
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "client": client,
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "recent": queries.recent_deliveries(client),
            "has_feed": feed.has_feed(client),
            "feed_url": feed_url,  # shown once, right after it was made
        },
    )


@client_required
@require_POST
def new_calendar_link(request: HttpRequest) -> HttpResponse:
    """Make a new calendar address (the old one stops working) and show it this once."""
    client = own_client_profile(request.user)
    token = feed.new_feed(request.user, client)
    url = settings.SITE_URL + reverse("notifications:calendar_feed", args=[token])
    form = ReminderForm(initial=_initial(client))
    return _settings_page(request, client, form, feed_url=url)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar app polls: no login (calendar apps cannot log in); the secret token is the
    permission, and a wrong or revoked one reveals nothing, not even whether it ever existed."""
    client = feed.client_for_token(token)
    if client is None:
        raise Http404("No such calendar")
    with translation.override(language_of(client.user)):
        body = feed.feed_calendar(client, _("Session"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


def _initial(client: ClientProfile) -> dict[str, object]:
    pref = preference_of(client)
    return {
        "time": client.reminder_time,
        "by_email": pref.by_email,
        "by_push": pref.by_push,
        "weekdays": list(pref.weekdays),
        "quiet_start": pref.quiet_start,
        "quiet_end": pref.quiet_end,
    }


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
