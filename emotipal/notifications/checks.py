"""What the homework pages may say about a reminder at a chosen time, without knowing how reminders work."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import time_format
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.notifications.preferences import in_quiet_hours, preference_of
from emotipal.platform import features


def reminder_check(client: ClientProfile, time: dt.time) -> tuple[str | None, str | None]:
    """(refusal, notice) for a reminder at `time`: the settings page refuses a time in the quiet hours, so
    this does too; reminders that are off, or whose time a study sets, are said but do not stop the plan."""
    pref = preference_of(client)
    if in_quiet_hours(time, pref) and pref.quiet_start and pref.quiet_end:
        return (
            _(
                "%(time)s is inside your quiet hours (%(start)s to %(end)s). Choose another time, or change "
                "your quiet hours in the reminder settings."
            )
            % {
                "time": time_format(time),
                "start": time_format(pref.quiet_start),
                "end": time_format(pref.quiet_end),
            },
            None,
        )
    if not (pref.by_email or pref.by_push) or not pref.weekdays:
        return None, _(
            "Reminders are switched off in your settings, so none will come until you turn them on."
        )
    if features.value(client, "reminders")["time"]:
        return None, _("Your study sets when reminders come, so the reminder may come at another time.")
    return None, None
