"""The support person part of a client's data download: each invitation the client sent (without its token),
what they chose to share, and the encouragement the support person sent them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from emotipal.accounts.models import ClientProfile
from emotipal.support.models import SupportLink


@dataclass(frozen=True)
class EncouragementRow:
    text: str
    sent_at: dt.datetime
    dismissed_at: dt.datetime | None


@dataclass
class SupportLinkRow:
    name: str  # what the client called the person
    email: str  # where the client sent the invitation
    invited_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    ended_at: dt.datetime | None
    shares_days: bool
    shares_goal: bool
    encouragements: list[EncouragementRow] = field(default_factory=list)


def support_links(profile: ClientProfile) -> list[SupportLinkRow]:
    rows = (
        SupportLink.objects.filter(client=profile)
        .defer("token_hash")
        .prefetch_related("encouragements")
        .order_by("invited_at", "pk")
    )
    return [
        SupportLinkRow(
            name=link.name,
            email=link.email,
            invited_at=link.invited_at,
            expires_at=link.expires_at,
            accepted_at=link.accepted_at,
            ended_at=link.ended_at,
            shares_days=link.share_days,
            shares_goal=link.share_goal,
            encouragements=[
                EncouragementRow(e.text, e.sent_at, e.dismissed_at)
                for e in sorted(link.encouragements.all(), key=lambda e: e.sent_at)
            ],
        )
        for link in rows
    ]
