"""Read models of reminders: what a client's recent reminders did, and what their therapist may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Entry
from emotipal.notifications.models import Delivery, ScheduledReminder
from emotipal.notifications.preferences import preference_of

# An entry submitted within this long after a reminder counts as the practice that followed it.
FOLLOWED_WITHIN = dt.timedelta(hours=6)


def recent_deliveries(client: ClientProfile, limit: int = 10) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(reminder__client=client)
        .select_related("reminder")
        .order_by("-reminder__run_at", "pk")[:limit]
    )


def practice_followed(reminder: ScheduledReminder) -> bool:
    """Whether the client submitted an entry within FOLLOWED_WITHIN after the reminder was sent."""
    if reminder.sent_at is None:
        return False
    return Entry.objects.filter(
        assignment__client_id=reminder.client_id,
        status=Entry.Status.SUBMITTED,
        submitted_at__gte=reminder.sent_at,
        submitted_at__lte=reminder.sent_at + FOLLOWED_WITHIN,
    ).exists()


@dataclass(frozen=True)
class ReminderSummary:
    """What a therapist sees: whether reminders are on, by which channels, and whether they arrive."""

    on: bool
    channels: tuple[str, ...]
    delivered: int
    failed: int
    time: dt.time | None = None

    @property
    def channel_names(self) -> str:
        names = {"email": _("e-mail"), "push": _("phone notification")}
        return ", ".join(str(names[c]) for c in self.channels)


def summary_for_staff(client: ClientProfile, since: dt.datetime) -> ReminderSummary:
    pref = preference_of(client)
    channels = tuple(c for c, on in (("email", pref.by_email), ("push", pref.by_push)) if on)
    rows = Delivery.objects.filter(reminder__client=client, reminder__run_at__gte=since)
    return ReminderSummary(
        on=client.reminder_time is not None and bool(pref.weekdays) and bool(channels),
        channels=channels,
        delivered=rows.filter(status=Delivery.Status.DELIVERED).count(),
        failed=rows.filter(status=Delivery.Status.FAILED).count(),
        time=client.reminder_time,
    )
