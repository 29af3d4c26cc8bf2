"""Questionnaire schedules: which responses are due on each client's local day, and closing expired ones.

Run by the recurring maintenance task and when a schedule is added; each date is the client's own."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import TherapySession
from emotipal.measures.models import OPEN_STATUSES, Response, Schedule
from emotipal.measures.queries import latest_version
from emotipal.platform import clock


def _due_dates(
    schedule: Schedule, today: dt.date, zone: dt.tzinfo, session_dates: list[dt.date]
) -> list[dt.date]:
    """The dates, up to today, on which this schedule asks for a response (only the latest one matters).

    Dates are the client's: `today` and the day the schedule was made are both in the client's zone.
    `session_dates`: the client's session dates around today, sorted (read for all schedules at once).
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
    upcoming = [d for d in session_dates if today <= d <= today + dt.timedelta(days=2)]
    return [upcoming[0] - dt.timedelta(days=2)] if upcoming else []


def _session_dates(schedules: list[Schedule], days: list[dt.date]) -> dict[int, list[dt.date]]:
    """Each client's session dates from the earliest of `days` to two days past the latest: one query."""
    client_ids = {s.client_id for s in schedules if s.kind == Schedule.Kind.BEFORE_SESSION}
    if not client_ids or not days:
        return {}
    found: dict[int, list[dt.date]] = {}
    rows = (
        TherapySession.objects.filter(
            client_id__in=client_ids, date__gte=min(days), date__lte=max(days) + dt.timedelta(days=2)
        )
        .order_by("date")
        .values_list("client_id", "date")
    )
    for client_id, date in rows:
        found.setdefault(client_id, []).append(date)
    return found


def generate_due(
    schedules: list[Schedule] | None = None, today: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Create the responses that schedules ask for today (idempotent: one per schedule and date).

    "Today" is each client's own date (their zone, else their clinic's) unless `today` is given: a weekly
    questionnaire for Friday opens when it is Friday where the client is, and closes at 23:59 there.
    The client's sessions and the responses already opened are read for all schedules at once, so a daily
    run where most are opened already costs a few queries, not some per schedule; each one opened is its
    own locked transaction (_open_one).
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
    zones = [clock.zone_for_client(s.client) for s in schedules]
    todays = [today or clock.local_today(zone, now) for zone in zones]
    sessions = _session_dates(schedules, todays)
    wanted: list[tuple[Schedule, dt.date, dt.datetime, dt.tzinfo]] = []
    for schedule, zone, client_today in zip(schedules, zones, todays, strict=True):
        for due in _due_dates(schedule, client_today, zone, sessions.get(schedule.client_id, [])):
            expires = clock.end_of_local_day(due + dt.timedelta(days=schedule.expires_after_days), zone)
            if expires >= now:
                wanted.append((schedule, due, expires, zone))
    opened = (
        set(
            Response.objects.filter(
                schedule__in=[w[0].pk for w in wanted], due_date__in={w[1] for w in wanted}
            ).values_list("schedule_id", "due_date")
        )
        if wanted
        else set()
    )
    created = 0
    for schedule, due, expires, its_zone in wanted:
        if (schedule.pk, due) not in opened:
            created += int(_open_one(schedule, due, expires, now, its_zone))
    return created


def _open_one(
    schedule: Schedule, due: dt.date, expires: dt.datetime, now: dt.datetime, zone: dt.tzinfo
) -> bool:
    """Open this schedule's questionnaire for `due` unless the client already has it open or answered it.

    Two schedules for one instrument (weekly and before each session, or a schedule and "ask now") used to
    give the client two copies. The client's row is locked so two schedulers running at once take turns, and
    the database's one-open-copy constraint refuses a second copy should anything else slip past.
    """
    with transaction.atomic():
        ClientProfile.objects.select_for_update().filter(pk=schedule.client_id).first()
        if Response.objects.filter(schedule=schedule, due_date=due).exists():
            return False
        copies = Response.objects.filter(client_id=schedule.client_id, instrument_id=schedule.instrument_id)
        # A copy past its window still holds the open slot until expire_old runs: close it now.
        copies.filter(status__in=OPEN_STATUSES, expires_at__lt=now).update(status=Response.Status.EXPIRED)
        asked_already = Q(status__in=OPEN_STATUSES) | Q(due_date__gte=due)
        answered_since = Q(
            status=Response.Status.COMPLETED, completed_at__gte=clock.at_local_time(due, dt.time(0), zone)
        )
        if copies.filter(asked_already | answered_since).exists():
            return False
        try:
            with transaction.atomic():
                Response.objects.create(
                    schedule=schedule,
                    client_id=schedule.client_id,
                    instrument_id=schedule.instrument_id,
                    instrument_version=latest_version(schedule.instrument),
                    due_date=due,
                    expires_at=expires,
                )
        except IntegrityError:  # another scheduler opened it between our check and insert
            return False
    return True


def expire_old(now: dt.datetime | None = None) -> int:
    """Close questionnaires past their window. Partial answers are kept (and were checked for risk)."""
    now = now or clock.now()
    return Response.objects.filter(
        status__in=[Response.Status.DUE, Response.Status.IN_PROGRESS], expires_at__lt=now
    ).update(status=Response.Status.EXPIRED)
