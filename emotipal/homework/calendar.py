"""An assignment's practice times as an iCalendar file, for the client to add to their own calendar.

One weekly recurring event on the practice days, at the agreed time in the client's time zone, from the start
date to the end date (all-day events when no time was agreed). The time zone is written out in the file, so a
calendar app shows the practice at the client's wall-clock time whatever zone the phone is in.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event, vRecur

from emotipal.homework.models import Assignment
from emotipal.platform import clock

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def first_practice_day(assignment: Assignment) -> dt.date | None:
    """The first planned practice day on or after the start date (None if none falls within the dates)."""
    day = assignment.start_date
    while day <= assignment.end_date:
        if day.weekday() in assignment.weekdays:
            return day
        day += dt.timedelta(days=1)
    return None


def practice_calendar(assignment: Assignment, title: str, domain: str = "emotipal") -> bytes:
    """The .ics text of the assignment's practice times."""
    tz = clock.zone_for_client(assignment.client)
    cal = Calendar()
    cal.add("prodid", "-//EmotiPal//Homework//EN")
    cal.add("version", "2.0")
    first = first_practice_day(assignment)
    if first is not None:
        event = Event()
        event.add("uid", f"assignment-{assignment.pk}@{domain}")
        event.add("dtstamp", clock.now())
        event.add("summary", title)
        if assignment.summary:
            event.add("description", assignment.summary)
        if assignment.practice_place:
            event.add("location", assignment.practice_place)
        rule: dict[str, object] = {"freq": "weekly", "byday": [BYDAY[d] for d in assignment.weekdays]}
        if assignment.practice_time is not None:
            start = dt.datetime.combine(first, assignment.practice_time, tzinfo=tz)
            event.add("dtstart", start)
            event.add("duration", dt.timedelta(minutes=assignment.minutes_per_practice))
            # With a zoned start the end of the series is given in UTC (RFC 5545, 3.3.10).
            rule["until"] = clock.at_local_time(assignment.end_date, assignment.practice_time, tz).astimezone(
                dt.UTC
            )
        else:
            event.add("dtstart", first)
            event.add("duration", dt.timedelta(days=1))
            rule["until"] = assignment.end_date
        event.add("rrule", vRecur(rule))
        cal.add_component(event)
        cal.add_missing_timezones()
    return bytes(cal.to_ical())
