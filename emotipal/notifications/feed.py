"""A client's calendar feed (iCalendar): their practice times and their sessions, at their wall-clock time.

Practice: one weekly recurring event per active assignment, on its practice days, at the agreed practice
time, else at the client's reminder time, else all-day. Sessions: all-day events (a session has a date, not
a time). The time zone is written into the feed, so a phone in another zone shows the client's own hours."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from icalendar import Calendar, Event, vRecur

from emotipal.accounts.models import ClientProfile
from emotipal.homework.calendar import BYDAY, first_practice_day
from emotipal.homework.models import Assignment, TherapySession
from emotipal.notifications.models import CalendarFeed
from emotipal.platform import clock
from emotipal.platform.audit.services import record

PAST_SESSIONS = dt.timedelta(days=90)  # a feed with years of sessions slows every calendar app's refresh


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed(user: object, client: ClientProfile) -> str:
    """Revoke the client's current feed and make a new one; the token is returned once, never stored."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        now = clock.now()
        CalendarFeed.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)
        feed = CalendarFeed.objects.create(client=client, token_hash=hash_token(token))
        record(user, "calendar_feed.created", feed, subject_user_id=client.user_id)
    return token


def client_for_token(token: str) -> ClientProfile | None:
    feed = (
        # A closed account's calendar stops too: the feed tells session dates to whoever holds the address.
        CalendarFeed.objects.filter(
            token_hash=hash_token(token), revoked_at__isnull=True, client__user__is_active=True
        )
        .select_related("client__clinic")
        .first()
    )
    return feed.client if feed else None


def has_feed(client: ClientProfile) -> bool:
    return CalendarFeed.objects.filter(client=client, revoked_at__isnull=True).exists()


def _practice_event(assignment: Assignment, time: dt.time | None, tz: dt.tzinfo, domain: str) -> Event | None:
    first = first_practice_day(assignment)
    if first is None:
        return None
    event = Event()
    event.add("uid", f"practice-{assignment.pk}@{domain}")
    event.add("dtstamp", clock.now())
    event.add("summary", assignment.display_title)
    if assignment.practice_place:
        event.add("location", assignment.practice_place)
    rule: dict[str, object] = {"freq": "weekly", "byday": [BYDAY[d] for d in assignment.weekdays]}
    if time is not None:
        event.add("dtstart", dt.datetime.combine(first, time, tzinfo=tz))
        event.add("duration", dt.timedelta(minutes=assignment.minutes_per_practice))
        rule["until"] = clock.at_local_time(assignment.end_date, time, tz)  # zoned start: UTC until
    else:
        event.add("dtstart", first)
        event.add("duration", dt.timedelta(days=1))
        rule["until"] = assignment.end_date
    event.add("rrule", vRecur(rule))
    return event


def feed_calendar(client: ClientProfile, session_title: str, domain: str = "emotipal") -> bytes:
    tz = clock.zone_for_client(client)
    today = clock.local_today(tz)
    cal = Calendar()
    cal.add("prodid", "-//EmotiPal//Reminders//EN")
    cal.add("version", "2.0")
    assignments = Assignment.objects.filter(
        client=client, ended_at__isnull=True, paused_at__isnull=True, end_date__gte=today
    ).select_related("template_version")
    for assignment in assignments.order_by("pk"):
        event = _practice_event(assignment, assignment.practice_time or client.reminder_time, tz, domain)
        if event is not None:
            cal.add_component(event)
    for session in TherapySession.objects.filter(client=client, date__gte=today - PAST_SESSIONS).order_by(
        "date"
    ):
        event = Event()
        event.add("uid", f"session-{session.pk}@{domain}")
        event.add("dtstamp", clock.now())
        event.add("summary", f"{session_title} {session.number}")
        event.add("dtstart", session.date)
        event.add("duration", dt.timedelta(days=1))
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
