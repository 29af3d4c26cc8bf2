"""The caseload's risk flags for a whole clinic: open alerts and reliable deterioration, read from kept
verdicts (SeriesVerdict) so that no score is decrypted for a series that has not changed since it was last
read.

Filtering and sorting the caseload by risk needs every client of the clinic, and a verdict needs the first
and the latest total of each series, which are encrypted: at 5,000 clients that was 10,000 decryptions and
30,000 rows on every request (bench/bench_pages.py). A verdict is kept with its series' fingerprint, which
the database computes from the series' completed responses (count, sum of ids, first and last completion)
without decrypting anything; a series whose fingerprint differs from the kept one (a new score, a response
superseded or removed, a completion time corrected) is recomputed here from the responses themselves, so a
kept verdict is never out of date: it is checked on every read.
"""

from __future__ import annotations

from django.db.models import CharField, Count, Max, Min, Sum
from django.db.models.functions import Cast

from emotipal.measures.models import Response, SeriesVerdict
from emotipal.measures.queries import (
    OutcomeFlags,
    SeriesKey,
    open_alerts,
    reliable_change_status,
    scored_series,
)
from emotipal.platform import clock
from emotipal.platform.extensions import ClientIds

DETERIORATED = "reliable_deterioration"


def risk_flags(client_ids: ClientIds) -> dict[int, OutcomeFlags]:
    """Each client's open alerts and the names of the instruments on which they reliably deteriorated.

    Three queries when no series changed since it was last read (alerts, fingerprints, kept verdicts); the
    changed ones cost the three of caseload_flags for their clients and one write. `latest` and `changes` are
    left empty: the page's own clients get those from caseload_flags."""
    flags = open_alerts(client_ids)
    current = fingerprints(client_ids)
    kept = {
        (client_id, instrument_id): (fingerprint, name, status)
        for client_id, instrument_id, fingerprint, name, status in SeriesVerdict.objects.filter(
            client_id__in=client_ids
        ).values_list("client_id", "instrument_id", "fingerprint", "name", "status")
    }
    stale = {key: fp for key, fp in current.items() if key not in kept or kept[key][0] != fp}
    if stale:
        kept.update(refresh(stale))
    for key in current:  # a kept verdict of a series with no completed response left is not a flag
        _fingerprint, name, status = kept[key]
        if status == DETERIORATED:
            flags[key[0]].deteriorated.append(name)
    for flag in flags.values():
        flag.deteriorated.sort()
    return flags


def fingerprints(client_ids: ClientIds) -> dict[SeriesKey, str]:
    """Each series' summary as the database computes it, in one grouped query: nothing is decrypted.

    Completion times are compared as the database writes them as text (the same expression writes and reads
    them, so the two backends' formats never meet)."""
    rows = (
        Response.objects.filter(
            client_id__in=client_ids, status=Response.Status.COMPLETED, completed_at__isnull=False
        )
        .values("client_id", "instrument_id")  # the instrument of the version, kept on the row: no join
        .annotate(
            n=Count("id"),
            ids=Sum("id"),
            first=Cast(Min("completed_at"), CharField()),
            last=Cast(Max("completed_at"), CharField()),
        )
        .order_by()
        .values_list("client_id", "instrument_id", "n", "ids", "first", "last")
    )
    return {(c, i): f"{n}|{ids}|{first}|{last}" for c, i, n, ids, first, last in rows}


def refresh(stale: dict[SeriesKey, str]) -> dict[SeriesKey, tuple[str, str, str]]:
    """Recompute the verdicts of the given series from their responses and keep them (one upsert); the new
    (fingerprint, name, status) by series. A series with no total at all is kept with no verdict, so that it
    is not recomputed on every read."""
    series, definitions = scored_series(sorted({client_id for client_id, _ in stale}))
    fresh: dict[SeriesKey, tuple[str, str, str]] = {}
    for key, fingerprint in stale.items():
        one = series.get(key)
        if one is None:
            fresh[key] = (fingerprint, "", "")
            continue
        definition = definitions[one.latest.version_id]
        fresh[key] = (fingerprint, definition.get("name", ""), reliable_change_status(definition, one) or "")
    now = clock.now()
    SeriesVerdict.objects.bulk_create(
        [
            SeriesVerdict(
                client_id=client_id,
                instrument_id=instrument_id,
                fingerprint=fingerprint,
                name=name,
                status=status,
                updated_at=now,
            )
            for (client_id, instrument_id), (fingerprint, name, status) in sorted(fresh.items())
        ],
        # Two requests may recompute the same series at once: the later write wins, with the same verdict.
        update_conflicts=True,
        unique_fields=["client", "instrument"],
        update_fields=["fingerprint", "name", "status", "updated_at"],
    )
    return fresh
