"""The clinic's compliance export: one row per figure, each labelled with source, type and timing.

For clinic use (it names clients); research exports, de-identified, come from the research app.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from emotipal.accounts.models import ClientProfile
from emotipal.analysis import engagement as eng
from emotipal.homework import compliance
from emotipal.homework.queries import week_start
from emotipal.platform import clock

COLUMNS = [
    "client_id",
    "client",
    "therapist",
    "period",
    "period_start",
    "period_end",
    "assignment_id",
    "exercise",
    "measure",
    "label",
    "source",
    "type",
    "timing",
    "value",
    "unit",
    "n",
]


def _row(client: ClientProfile, figure: eng.Figure, exercise: str) -> dict[str, Any]:
    return {
        "client_id": client.pk,
        "client": str(client.user),
        "therapist": str(client.therapist),
        "period": figure.period,
        "period_start": figure.period_start.isoformat(),
        "period_end": figure.period_end.isoformat(),
        "assignment_id": figure.assignment_id or "",
        "exercise": exercise,
        "measure": figure.measure,
        "label": figure.label,
        "source": figure.source,
        "type": figure.type,
        "timing": figure.timing,
        "value": "" if figure.value is None else figure.value,
        "unit": figure.unit,
        "n": figure.n,
    }


def compliance_rows(
    clients: Iterable[ClientProfile], today: dt.date | None = None
) -> Iterator[dict[str, Any]]:
    """Treatment-so-far, per-assignment and per-week figures for every client.

    Each client's figures run to their own local today (their zone, else the clinic's): a practice done
    this morning in Auckland counts although the clinic's or server's date may still be yesterday.
    """
    now = clock.now()
    profiles = list(clients)
    for client_id, rec in compliance.gather(profiles, until=today, now=now).items():
        client = rec.client
        last_day = rec.today
        start = compliance.treatment_start(rec)
        if start is None:
            continue
        for figure in compliance.figures(rec, start=start, end=last_day, now=now):
            yield _row(client, figure, "")
        for a in rec.assignments.values():
            end = min(a.end_date, last_day)
            if a.start_date > end:
                continue
            title = a.template_version.title
            for figure in compliance.figures(
                rec, start=a.start_date, end=end, now=now, period="assignment", assignment_id=a.pk
            ):
                yield _row(client, figure, title)
        by_week = compliance.weekly(
            rec, first_week=week_start(start), last_week=week_start(last_day), now=now
        )
        for figures in by_week.values():
            for figure in figures:
                yield _row(client, figure, "")
        del client_id


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def write_csv(rows: Iterable[dict[str, Any]], out: Writable) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
