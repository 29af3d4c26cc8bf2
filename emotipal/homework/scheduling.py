""" "Schedule it with a reminder": after an obstacle, the client picks the time and place of the next practice.

The time becomes the homework's practice time (its calendar event) and the client's reminder time, so the
next reminder comes then; the place is kept with the homework, as in the plan agreed in session. Reminders
themselves belong to a higher app (notifications), which hears of the new time through
reminder_settings_changed and queues the next one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from emotipal.accounts.services import save_reminder_settings
from emotipal.homework.errors import HomeworkError
from emotipal.homework.models import Barrier
from emotipal.platform import extensions
from emotipal.platform.audit.services import record
from emotipal.platform.input_rules import text_problem

STRATEGY = "schedule_reminder"
PLACE_LIMIT = 200


def parse_time(raw: Any) -> dt.time | None:
    """A wall-clock time as a time input sends it ("18:30", or "18:30:00"), else None."""
    if not isinstance(raw, str):
        return None
    try:
        parsed = dt.time.fromisoformat(raw.strip())
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def schedule_with_reminder(
    user: Any, barrier_id: int, raw_time: Any, raw_place: Any
) -> tuple[Barrier, str | None]:
    """Choose the "schedule it" strategy for this obstacle and set the time (required) and place (optional).

    Returns the obstacle and what the client should know about the reminder (None: it will come then)."""
    barrier = (
        Barrier.objects.select_related("assignment", "client")
        .filter(pk=barrier_id, client__user=user, client__user__is_active=True)
        .first()
    )
    if barrier is None:
        raise Http404("No such barrier")
    errors: dict[str, str] = {}
    time = parse_time(raw_time)
    notice = None
    if time is None:
        errors["practice_time"] = _("Choose a time, for example 18:30.")
    else:
        refusal, notice = extensions.reminder_check.answer(barrier.client, time)
        if refusal:
            errors["practice_time"] = refusal
    place = raw_place.strip() if isinstance(raw_place, str) else ""
    if raw_place is not None and not isinstance(raw_place, str):
        errors["practice_place"] = _("This should be text.")
    elif len(place) > PLACE_LIMIT:
        errors["practice_place"] = _("Keep this to %(limit)s characters or fewer.") % {"limit": PLACE_LIMIT}
    elif problem := text_problem(place):
        errors["practice_place"] = problem
    if errors or time is None:
        raise HomeworkError(_("Please check the time and place."), errors)
    assignment, client = barrier.assignment, barrier.client
    with transaction.atomic():
        barrier.strategy = STRATEGY
        barrier.save(update_fields=["strategy"])
        assignment.practice_time = time
        fields = ["practice_time"]
        if place:
            assignment.practice_place = place
            fields.append("practice_place")
        assignment.save(update_fields=fields)
        record(
            user,
            "barrier.schedule_reminder",
            barrier,
            subject_user_id=client.user_id,
            clinic_id=client.clinic_id,
            assignment_id=assignment.pk,
            time=time.isoformat(timespec="minutes"),
            place_given=bool(place),  # the place itself is clinical text: kept encrypted, not in the audit
        )
        # The client's own reminder settings change as they do on the settings page (its audit row, and the
        # signal on which notifications queue the next reminder, in this transaction).
        save_reminder_settings(user, client, time, client.timezone)
    return barrier, notice
