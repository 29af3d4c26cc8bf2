"""Time-zone choices that start with the zones of the client's own country.

A list of all ~600 IANA zones is hard to use on a phone. The country comes from the zones already known (the
client's own, then their clinic's), through the IANA table zone.tab shipped in the tzdata package; its zones
are offered first, each with its current offset, then every zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from functools import cache
from importlib import resources

from django.utils.translation import gettext as _

Choice = tuple[str, str]


@cache
def _zone_table() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(zone -> country code, country code -> its zones) from zone.tab (one country per zone)."""
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    country_of: dict[str, str] = {}
    zones_of: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, _coordinates, name, *_comment = line.split("\t")
        country_of[name] = code
        zones_of[code].append(name)
    return country_of, {code: tuple(sorted(names)) for code, names in zones_of.items()}


def country_of(zone: str) -> str | None:
    return _zone_table()[0].get(zone)


def zones_of(country: str) -> tuple[str, ...]:
    return _zone_table()[1].get(country, ())


def label(zone: str, now: dt.datetime) -> str:
    """ "Europe/Madrid (UTC+01:00)": the offset now, so a client can tell two zones of one country apart."""
    offset = now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{zone.replace('_', ' ')} (UTC{sign}{hours:02d}:{rest:02d})"


def grouped_choices(known: list[str], now: dt.datetime) -> list[tuple[str, list[Choice]]]:
    """[(heading, choices)]: the countries' zones of the known zones first (with the known zones themselves),
    then all zones. Unknown or empty names in `known` are skipped."""
    every = sorted(zoneinfo.available_timezones())
    available = set(every)
    first: list[str] = []
    for zone in known:
        if zone not in available:
            continue
        country = country_of(zone)
        for name in (zone, *(zones_of(country) if country else ())):
            if name not in first:
                first.append(name)
    groups: list[tuple[str, list[Choice]]] = []
    if first:
        groups.append((_("Your country"), [(z, label(z, now)) for z in sorted(first)]))
    groups.append((_("All time zones"), [(z, z.replace("_", " ")) for z in every]))
    return groups
