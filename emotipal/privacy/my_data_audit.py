"""The audit trail in a client's data download: who else has seen their data (the same record as their "Who has
seen my data" page), and what the security record notes of their own actions (when and what, never the sealed
details, which the clinic's audit keeps)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emotipal.accounts import audit_log
from emotipal.accounts.models import ClientProfile
from emotipal.platform import clock
from emotipal.platform.audit.models import AuditEvent


@dataclass(frozen=True)
class SeenRow:
    day: dt.date
    who: str
    role: str
    what: str
    times: int


@dataclass(frozen=True)
class OwnActionRow:
    at: dt.datetime
    action: str


@dataclass(frozen=True)
class OwnActionDay:
    """The HTML summary's shorter form: one line per day and kind of action."""

    day: dt.date
    action: str
    times: int


def seen_by(profile: ClientProfile, now: dt.datetime) -> list[SeenRow]:
    return [SeenRow(r.day, r.who, r.role, r.what, r.times) for r in audit_log.seen_by(profile, now)]


def own_actions(profile: ClientProfile) -> list[OwnActionRow]:
    rows = (
        AuditEvent.objects.filter(actor_id=profile.user_id).order_by("-at", "-pk").values_list("at", "action")
    )
    return [OwnActionRow(at, action) for at, action in rows]


def by_day(actions: list[OwnActionRow], profile: ClientProfile) -> list[OwnActionDay]:
    tz = clock.zone_for_client(profile)
    counted: dict[tuple[dt.date, str], int] = {}
    for row in actions:  # newest first, and dicts keep that order
        key = (clock.local_date(row.at, tz), row.action)
        counted[key] = counted.get(key, 0) + 1
    return [OwnActionDay(day, action, times) for (day, action), times in counted.items()]
