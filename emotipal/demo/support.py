"""The demo client's support person: a fictional friend who sees the days practised and the weekly goal, and
has sent one encouragement that waits on the client's Today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from emotipal.accounts.models import ClientProfile, User
from emotipal.platform import clock
from emotipal.support.models import SupportLink

COACH_EMAIL = "coach@demo.emotipal.invalid"
COACH_NAME = "Sam Support (demo)"
ENCOURAGEMENT = "Saw you kept at it this week. Proud of you, see you Sunday!"


def store(client: ClientProfile, make_user: Callable[[str, str], User]) -> SupportLink:
    coach = make_user(COACH_EMAIL, COACH_NAME)
    now = clock.now()
    invited = now - dt.timedelta(days=12)
    link = SupportLink.objects.create(
        client=client,
        name="Sam",
        email=COACH_EMAIL,
        # Accepted already: the token was used, so it is only a hash nobody holds.
        token_hash=SupportLink.hash_token(SupportLink.new_token()),
        invited_at=invited,
        expires_at=invited + dt.timedelta(days=14),
        coach=coach,
        accepted_at=now - dt.timedelta(days=11),
        share_days=True,
        share_goal=True,
    )
    link.encouragements.create(text=ENCOURAGEMENT, sent_at=now - dt.timedelta(hours=3))
    return link
