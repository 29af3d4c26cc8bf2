"""Actions on a client's reminder settings: preferences, and the browsers subscribed to push."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from emotipal.accounts.models import ClientProfile
from emotipal.accounts.signals import reminder_settings_changed
from emotipal.notifications.models import PushSubscription, ReminderPreference, ScheduledReminder
from emotipal.notifications.preferences import in_quiet_hours
from emotipal.platform import clock
from emotipal.platform.audit.services import record

MAX_KEY_CHARS = 200


class SubscriptionError(ValueError):
    """A PushSubscription that cannot be stored, with a message the client's page can show."""


@dataclass(frozen=True)
class Choice:
    """What the client chose on the reminder settings form (already validated by the form)."""

    time: dt.time | None
    by_email: bool
    by_push: bool
    weekdays: str
    quiet_start: dt.time | None
    quiet_end: dt.time | None


def quiet_clash(choice: Choice) -> bool:
    """Whether the chosen reminder time falls inside the chosen quiet hours (the form refuses it)."""
    if choice.time is None:
        return False
    probe = ReminderPreference(quiet_start=choice.quiet_start, quiet_end=choice.quiet_end)
    return in_quiet_hours(choice.time, probe)


def save_preferences(user: Any, client: ClientProfile, choice: Choice) -> ReminderPreference:
    """Store the choice and queue the next reminder at the new time (reminder_settings_changed)."""
    with transaction.atomic():
        pref, _ = ReminderPreference.objects.get_or_create(client=client)
        pref.by_email = choice.by_email
        pref.by_push = choice.by_push
        pref.weekdays = choice.weekdays
        pref.quiet_start = choice.quiet_start
        pref.quiet_end = choice.quiet_end
        pref.save()
        client.reminder_time = choice.time
        client.save(update_fields=["reminder_time"])
        record(user, "reminder_preference.saved", pref, subject_user_id=client.user_id)
        reminder_settings_changed.send(sender=ClientProfile, profile=client)
    return pref


def subscribe(user: Any, client: ClientProfile, data: Mapping[str, Any]) -> PushSubscription:
    """Store the PushSubscription the client's browser posted ({endpoint, keys: {p256dh, auth}}).

    The same endpoint posted again (a browser re-subscribing) updates its keys instead of adding a row."""
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint.startswith("https://"):
        raise SubscriptionError("The browser sent no valid push address.")
    if not isinstance(keys, Mapping):
        raise SubscriptionError("The browser sent no push keys.")
    p256dh, auth = _key(keys, "p256dh"), _key(keys, "auth")
    with transaction.atomic():
        other = PushSubscription.objects.filter(endpoint=endpoint).exclude(client=client).first()
        if other is not None:  # a shared device now belongs to another login: the old one stops receiving
            other.delete()
        sub, _ = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"client": client, "p256dh": p256dh, "auth": auth, "active": True, "ended_because": ""},
        )
        record(user, "push_subscription.added", sub, subject_user_id=client.user_id)
    return sub


def _key(keys: Mapping[str, Any], name: str) -> str:
    value = keys.get(name)
    if not isinstance(value, str) or not value or len(value) > MAX_KEY_CHARS:
        raise SubscriptionError("The browser sent push keys that cannot be used.")
    return value


def unsubscribe(user: Any, client: ClientProfile, endpoint: str) -> int:
    """Switch off this browser's subscription of the client; how many were switched off (0 or 1)."""
    with transaction.atomic():
        subs = list(PushSubscription.objects.filter(client=client, endpoint=endpoint, active=True))
        for sub in subs:
            sub.active = False
            sub.ended_because = "removed"
            sub.save(update_fields=["active", "ended_because"])
            record(user, "push_subscription.removed", sub, subject_user_id=client.user_id)
    return len(subs)


def record_link_opening(reminder: ScheduledReminder, now: dt.datetime | None = None) -> ScheduledReminder:
    """The client opened the reminder's link: keep the first opening only."""
    now = now or clock.now()
    ScheduledReminder.objects.filter(pk=reminder.pk, opened_at__isnull=True).update(opened_at=now)
    reminder.refresh_from_db(fields=["opened_at"])
    return reminder
