"""The daily retention job (Django Tasks API): one chain of tasks, each run queueing the next, kept single by
its Heartbeat row like the questionnaire job (measures/maintenance.py)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks import task

from emotipal.measures.models import Heartbeat
from emotipal.platform import clock
from emotipal.privacy import retention

NAME = "retention"
EVERY = dt.timedelta(days=1)


def _claim(expected_run: str | None) -> dt.datetime | None:
    """The next run's time when this run is the chain's, else None (a task of an older chain stops)."""
    now = clock.now()
    with transaction.atomic():
        beat, _ = Heartbeat.objects.select_for_update().get_or_create(name=NAME)
        scheduled = beat.next_run_at.isoformat() if beat.next_run_at else None
        if expected_run is not None and scheduled is not None and expected_run != scheduled:
            return None
        beat.last_run_at = now
        beat.next_run_at = now + EVERY
        beat.save()
        return beat.next_run_at


@task()
def apply_retention(expected_run: str | None = None) -> str:
    next_run = _claim(expected_run)
    if next_run is None:
        return "superseded"
    runs = retention.apply_all()
    apply_retention.using(run_after=next_run).enqueue(next_run.isoformat())
    drafts = sum(r.drafts_removed for r in runs)
    erased = sum(r.clients_erased + r.clients_kept_for_research for r in runs)
    return f"{len(runs)} clinics: {drafts} drafts removed, {erased} clients erased"


def ensure_scheduled() -> bool:
    """Called when a worker starts: start the chain unless a run is already due in the future."""
    beat = Heartbeat.objects.filter(name=NAME).first()
    if beat is not None and beat.next_run_at is not None and beat.next_run_at > clock.now():
        return False
    apply_retention.enqueue(None)
    return True
