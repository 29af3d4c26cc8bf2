"""The two addresses that work without a login: a reminder's signed link and the secret calendar feed. An
altered, re-signed, expired or foreign token opens nothing and records nothing."""

from __future__ import annotations

import datetime as dt
import re
import time

from django.core import signing
from django.utils import timezone

from emotipal.accounts.models import User
from emotipal.homework import services
from emotipal.notifications.links import SALT, token_for
from emotipal.notifications.models import ScheduledReminder
from tests.factories import World, plan_for


def _reminder(world: World) -> ScheduledReminder:
    now = timezone.now()
    return ScheduledReminder.objects.create(client=world.client_a, for_date=now.date(), run_at=now)


def _opened(reminder: ScheduledReminder) -> dt.datetime | None:
    reminder.refresh_from_db(fields=["opened_at"])
    return reminder.opened_at


def test_an_altered_reminder_link_opens_nothing(world: World) -> None:
    reminder = _reminder(world)
    other = ScheduledReminder.objects.create(
        client=world.client_b, for_date=reminder.for_date, run_at=reminder.run_at
    )
    token = token_for(reminder.pk)
    anonymous = world.login(None)
    _value, stamp, signature = token.rsplit(":", 2)
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character of the signature changed
        f"{signing.TimestampSigner(salt=SALT).sign_object({'r': other.pk}).rsplit(':', 2)[0]}:{stamp}:{signature}",
        signing.TimestampSigner(salt="another-salt").sign_object(
            {"r": reminder.pk}
        ),  # signed for another use
        signing.TimestampSigner(salt=SALT).sign_object({"r": str(reminder.pk)}),  # not an id
        "not-a-token",
    ]
    for bad in forged:
        assert anonymous.get(f"/r/{bad}/").status_code == 404, bad
    assert _opened(reminder) is None and _opened(other) is None
    assert anonymous.get(f"/r/{token}/").status_code == 302  # the real one still works
    assert _opened(reminder) is not None and _opened(other) is None


class SignedEightDaysAgo(signing.TimestampSigner):
    """The real signer with the real key and salt, but a timestamp from eight days ago (links last seven)."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 8 * 24 * 3600)


def test_an_expired_reminder_link_opens_nothing(world: World) -> None:
    reminder = _reminder(world)
    old = SignedEightDaysAgo(salt=SALT).sign_object({"r": reminder.pk})
    anonymous = world.login(None)
    assert anonymous.get(f"/r/{old}/").status_code == 404
    assert _opened(reminder) is None
    recent = signing.TimestampSigner(salt=SALT).sign_object({"r": reminder.pk})
    assert anonymous.get(f"/r/{recent}/").status_code == 302


def _feed(world: World) -> str:
    page = world.login(world.client_a.user).post("/settings/reminders/calendar/").content.decode()
    found = re.search(r'id="feed-url">[^<]*(/calendar/[^<]+\.ics)<', page)
    assert found
    return found.group(1)


def test_a_near_miss_calendar_token_and_a_closed_account_get_nothing(world: World) -> None:
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    path = _feed(world)
    anonymous = world.login(None)
    assert anonymous.get(path).status_code == 200
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    near = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (near, token.upper(), token + "x", ""):
        assert anonymous.get(f"/calendar/{bad}.ics").status_code == 404, bad
    User.objects.filter(pk=world.client_a.user_id).update(is_active=False)
    assert anonymous.get(path).status_code == 404
