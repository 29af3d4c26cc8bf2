"""Reminders in a client's data download: the choices they made, the reminders sent, the browsers that get
notifications and the calendar links. No push keys, no full push address and no calendar token: each of those
is a way to reach or read the client, not data about them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils.dates import WEEKDAYS_ABBR

from emotipal.accounts.models import ClientProfile
from emotipal.notifications.models import (
    CalendarFeed,
    PushSubscription,
    ReminderPreference,
    ScheduledReminder,
)


@dataclass(frozen=True)
class PreferenceRow:
    by_email: bool
    by_push: bool
    weekdays: str
    quiet_start: dt.time | None
    quiet_end: dt.time | None


@dataclass(frozen=True)
class DeliveryRow:
    channel: str
    status: str
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None


@dataclass
class ReminderRow:
    for_date: dt.date
    run_at: dt.datetime
    sent_at: dt.datetime | None
    outcome: str
    opened_at: dt.datetime | None
    deliveries: list[DeliveryRow] = field(default_factory=list)


@dataclass(frozen=True)
class PushRow:
    """A browser that receives notifications, named by its push service (the host of its address only)."""

    service: str
    created_at: dt.datetime
    active: bool
    ended_because: str


@dataclass(frozen=True)
class FeedRow:
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def preference(profile: ClientProfile) -> PreferenceRow | None:
    found = ReminderPreference.objects.filter(client=profile).first()
    if found is None:
        return None
    days = ", ".join(
        str(WEEKDAYS_ABBR[int(d)]) for d in found.weekdays if d.isdigit() and int(d) in WEEKDAYS_ABBR
    )
    return PreferenceRow(found.by_email, found.by_push, days, found.quiet_start, found.quiet_end)


def reminders_sent(profile: ClientProfile) -> list[ReminderRow]:
    rows = (
        ScheduledReminder.objects.filter(client=profile)
        .only("for_date", "run_at", "sent_at", "outcome", "opened_at")  # not the task id: the worker's
        .prefetch_related("deliveries")
        .order_by("-for_date")
    )
    return [
        ReminderRow(
            r.for_date,
            r.run_at,
            r.sent_at,
            r.outcome,
            r.opened_at,
            [DeliveryRow(d.channel, d.status, d.sent_at, d.finished_at) for d in r.deliveries.all()],
        )
        for r in rows
    ]


def push_subscriptions(profile: ClientProfile) -> list[PushRow]:
    rows = (
        PushSubscription.objects.filter(client=profile)
        .only("endpoint", "created_at", "active", "ended_because")  # never the keys (p256dh, auth)
        .order_by("created_at")
    )
    return [
        PushRow(urlsplit(r.endpoint).hostname or "", r.created_at, r.active, r.ended_because) for r in rows
    ]


def calendar_feeds(profile: ClientProfile) -> list[FeedRow]:
    rows = CalendarFeed.objects.filter(client=profile).only("created_at", "revoked_at").order_by("created_at")
    return [FeedRow(r.created_at, r.revoked_at) for r in rows]
