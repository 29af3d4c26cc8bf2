"""Builds the engagement section of a client's page: figures by source/type/timing, the index, charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.analysis import engagement as eng
from emotipal.homework import compliance, index_text
from emotipal.homework.models import TherapySession
from emotipal.homework.queries import week_start
from emotipal.platform import charts, clock, formatting

LIKERT_TO_PERCENT = 25  # ratings 0-4 drawn on the same 0-100 axis as percentages: 4 = 100


@dataclass
class EngagementPage:
    figures: list[eng.Figure]
    index: eng.EngagementIndex
    parts: list[dict[str, Any]]
    charts: list[charts.Chart]
    to_review: list[tuple[Any, Any]]
    weeks: int
    records: compliance.ClientRecords  # the client's whole homework record, for the page's summary
    sessions: list[TherapySession]  # the client's sessions in number order, for the page's lists


def _weekly_series(by_week: dict[dt.date, list[eng.Figure]]) -> list[dict[str, Any]]:
    rows = []
    for week, figures in sorted(by_week.items()):
        objective = eng.figure_for(figures, "percent_of_plan")
        rows.append({"week": week, "source": "objective", "value": objective.value if objective else None})
        for source in ("client", "therapist", "combined"):
            figure = eng.figure_for(figures, f"{source}_quantity")
            value = figure.value * LIKERT_TO_PERCENT if figure and figure.value is not None else None
            rows.append({"week": week, "source": source, "value": value})
    return rows


def _quality_points(by_week: dict[dt.date, list[eng.Figure]]) -> list[dict[str, Any]]:
    points = []
    for week, figures in sorted(by_week.items()):
        done = eng.figure_for(figures, "percent_of_plan")
        for source in ("client", "therapist"):
            quality = eng.figure_for(figures, f"{source}_quality")
            if done and done.value is not None and quality and quality.value is not None:
                points.append(
                    {
                        "label": _("Week of %(date)s") % {"date": formatting.local(week, "SHORT_DAY")},
                        "quantity_pct": done.value,
                        "quality": quality.value,
                        "source": source,
                    }
                )
    return points


def build(client: ClientProfile, today: dt.date, weeks: int = 16) -> EngagementPage:
    now = clock.now()
    records = compliance.gather([client], until=today, now=now)[client.pk]
    start = compliance.treatment_start(records) or today
    figures = compliance.figures(records, start=start, end=today, now=now)
    last_week = week_start(today)
    first_week = max(week_start(start), last_week - dt.timedelta(weeks=weeks - 1))
    by_week = compliance.weekly(records, first_week=first_week, last_week=last_week, now=now)
    planned_days = {p.day for p in records.planned}
    calendar_days = sorted(planned_days | set(records.practice_days))
    chart_list = [
        charts.engagement_over_time(_weekly_series(by_week)),
        charts.index_bars(
            [{"week": w, "value": eng.engagement_index(f).value} for w, f in sorted(by_week.items())]
        ),
        charts.practice_calendar(
            [
                {"date": d, "done": records.practice_days.get(d, 0), "planned": d in planned_days}
                for d in calendar_days
                if d >= first_week
            ]
        ),
        charts.quality_vs_quantity(_quality_points(by_week)),
    ]
    sessions = compliance.sessions_by_client([client.pk])[client.pk]
    index = eng.engagement_index(figures)
    return EngagementPage(
        figures=figures,
        index=index,
        parts=index_text.parts(index),
        charts=chart_list,
        to_review=compliance.unreviewed_homework(records, sessions, today),
        weeks=len(by_week),
        records=records,
        sessions=sessions,
    )
