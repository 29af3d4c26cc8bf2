"""Who may touch which reminder objects: a client only their own; a reminder link only with its signature.

Look-ups answer "not found" for anything else, so a denial never tells whether an object exists."""

from __future__ import annotations

from django.http import Http404

from emotipal.notifications.links import reminder_id_from
from emotipal.notifications.models import ScheduledReminder


def reminder_from_link(token: str) -> ScheduledReminder:
    """The reminder a signed, unexpired link names. The signature is the permission: the link is opened
    from a phone's notification, often before the client has logged in on that browser."""
    reminder_id = reminder_id_from(token)
    found = ScheduledReminder.objects.filter(pk=reminder_id).first() if reminder_id else None
    if found is None:
        raise Http404("No such reminder link")
    return found
