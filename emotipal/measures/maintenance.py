"""The recurring questionnaire job. One chain of tasks: each run queues the next and records it in Heartbeat;
a task from an older chain (a restarted worker) sees it is not the expected run and stops."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from emotipal.measures.models import Heartbeat
from emotipal.measures.schedules import expire_old, generate_due
from emotipal.platform import clock

NAME = "questionnaires"
EVERY = dt.timedelta(minutes=15)


def run(expected_run: str | None) -> tuple[str, dt.datetime | None]:
    """(what was done, when the next run is due); no next run when this one belongs to an older chain."""
    now = clock.now()
    with transaction.atomic():
        beat, _ = Heartbeat.objects.select_for_update().get_or_create(name=NAME)
        scheduled = beat.next_run_at.isoformat() if beat.next_run_at else None
        if expected_run is not None and scheduled is not None and expected_run != scheduled:
            return "superseded", None
        created = generate_due(now=now)
        expired = expire_old(now)
        beat.last_run_at = now
        beat.next_run_at = now + EVERY
        beat.save()
    return f"created {created}, expired {expired}", beat.next_run_at
