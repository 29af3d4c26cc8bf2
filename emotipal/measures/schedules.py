"""Questionnaire schedules: which responses are due on each client's local day, and closing expired ones.

Run by the recurring maintenance task and when a schedule is added; each date is the client's own."""

from __future__ import annotations

import datetime as dt

from emotipal.measures.models import Response, Schedule
from emotipal.measures.queries import latest_version
from emotipal.platform import clock


def _due_dates(schedule: Schedule, today: dt.date, zone: dt.tzinfo) -> list[dt.date]:
    """The dates, up to today, on which this schedule asks for a response (only the latest one matters).

    Dates are the client's: `today` and the day the schedule was made are both in the client's zone.
    """
    client = schedule.client
    created_on = clock.local_date(schedule.created_at, zone)
    if schedule.kind == Schedule.Kind.INTAKE:
        return [created_on]
    if schedule.kind == Schedule.Kind.DISCHARGE:
        return [client.discharged_on] if client.discharged_on and client.discharged_on <= today else []
    if schedule.kind == Schedule.Kind.WEEKLY:
        last = today - dt.timedelta(days=(today.weekday() - schedule.weekday) % 7)
        return [last] if last >= created_on else []
    # Before each session: asked two days before, open until the session.
    upcoming = client.sessions.filter(date__gte=today, date__lte=today + dt.timedelta(days=2)).order_by(
        "date"
    )
    return [s.date - dt.timedelta(days=2) for s in upcoming[:1]]


def generate_due(
    schedules: list[Schedule] | None = None, today: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Create the responses that schedules ask for today (idempotent: one per schedule and date).

    "Today" is each client's own date (their zone, else their clinic's) unless `today` is given: a weekly
    questionnaire for Friday opens when it is Friday where the client is, and closes at 23:59 there.
    """
    now = now or clock.now()
    schedules = (
        schedules
        if schedules is not None
        else list(
            Schedule.objects.filter(is_active=True, client__discharged_on__isnull=True).select_related(
                "client__clinic", "instrument"
            )
            | Schedule.objects.filter(is_active=True, kind=Schedule.Kind.DISCHARGE).select_related(
                "client__clinic", "instrument"
            )
        )
    )
    created = 0
    for schedule in schedules:
        zone = clock.zone_for_client(schedule.client)
        client_today = today or clock.local_today(zone, now)
        for due in _due_dates(schedule, client_today, zone):
            expires = clock.end_of_local_day(due + dt.timedelta(days=schedule.expires_after_days), zone)
            if expires < now:
                continue
            _, made = Response.objects.get_or_create(
                schedule=schedule,
                due_date=due,
                defaults={
                    "client": schedule.client,
                    "instrument_version": latest_version(schedule.instrument),
                    "expires_at": expires,
                },
            )
            created += int(made)
    return created


def expire_old(now: dt.datetime | None = None) -> int:
    """Close questionnaires past their window. Partial answers are kept (and were checked for risk)."""
    now = now or clock.now()
    return Response.objects.filter(
        status__in=[Response.Status.DUE, Response.Status.IN_PROGRESS], expires_at__lt=now
    ).update(status=Response.Status.EXPIRED)
