"""The client's secret calendar feed: practice times and sessions in their zone; a revoked link is 404."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from icalendar import Calendar

from emotipal.homework import services
from emotipal.homework.models import TherapySession
from emotipal.notifications.models import CalendarFeed
from tests.factories import World, plan_for


def feed_path(page: str) -> str:
    found = re.search(r'id="feed-url">[^<]*(/calendar/[^<]+\.ics)<', page)
    assert found, "the new link is shown"
    return found.group(1)


def test_the_feed_lists_practice_and_sessions_and_a_new_link_revokes_the_old(world: World) -> None:
    client = world.client_a
    client.timezone = "Europe/Madrid"
    client.reminder_time = dt.time(19, 30)
    client.save()
    services.assign_homework(world.therapist, client, plan_for(world.thought_record))
    TherapySession.objects.create(
        client=client, therapist=world.therapist, number=3, date=timezone.localdate() + dt.timedelta(days=7)
    )
    http = world.login(client.user)
    first = feed_path(http.post("/settings/reminders/calendar/").content.decode())
    assert 'id="feed-url"' not in http.get("/settings/reminders/").content.decode()  # shown once only
    assert feed_path(http.post("/settings/reminders/calendar/").content.decode()) != first

    anonymous = world.login(None)
    assert anonymous.get(first).status_code == 404  # the old link stops working
    assert anonymous.get("/calendar/made-up.ics").status_code == 404
    second = CalendarFeed.objects.get(client=client, revoked_at__isnull=True)
    assert second.token_hash not in first  # only the hash is stored, never the token

    newest = feed_path(http.post("/settings/reminders/calendar/").content.decode())
    response = anonymous.get(newest)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = {str(e["uid"]).split("@")[0].split("-")[0]: e for e in cal.walk("VEVENT")}
    practice, session = events["practice"], events["session"]
    start = practice.decoded("dtstart")
    assert str(practice["summary"]) == "Thought record"
    assert start.time() == dt.time(19, 30) and str(start.tzinfo) == "Europe/Madrid"
    assert [str(z["tzid"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Madrid"]
    assert str(session["summary"]) == "Session 3"
    assert session.decoded("dtstart") == timezone.localdate() + dt.timedelta(days=7)
    # Nothing else of the client's in the feed: no name, no e-mail.
    assert client.user.email.encode() not in response.content
