"""The progress chart: the share of guideline steps done per phase, attempt by attempt, with its table.

Built like the charts of emotipal/platform/charts.py (an Altair Vega-Lite spec in a `Chart`, drawn by
charts/_chart.html with the numbers always in the page), with the attempt number on the x axis.
"""

from __future__ import annotations

import altair as alt
from django.utils.translation import gettext as _

from emotipal.definitions.competence import PHASES
from emotipal.platform import charts
from emotipal.training.queries import ProgressRow, phase_label

PHASE_COLOURS = {"review": "#0072B2", "design": "#E69F00", "plan": "#009E73"}  # Okabe-Ito, as elsewhere
PHASE_SHAPES = {"review": "circle", "design": "square", "plan": "triangle-up"}


def _cell(value: int | None) -> str:
    return charts.NO_VALUE if value is None else f"{value}%"


def progress_chart(rows: list[ProgressRow], chart_id: str = "chart-training-progress") -> charts.Chart:
    title = _("Guideline steps done, by attempt")
    columns = [_("Attempt"), _("Date"), *(phase_label(p) for p in PHASES), _("All steps")]
    table = [
        [
            str(r.number),
            charts.day_label(r.attempt.created_at.date()),
            *(_cell(p["share"]) for p in r.phases),
            _cell(r.share),
        ]
        for r in rows
    ]
    values = [
        {"attempt": r.number, "phase": phase_label(p["phase"]), "share": p["share"]}
        for r in rows
        for p in r.phases
        if p["share"] is not None
    ]
    if not values:
        description = _("No attempts yet.")
        empty = alt.Chart(alt.Data(values=[])).mark_point().properties(description=description)
        spec = charts.spec_dict(empty)
        return charts.Chart(chart_id, title, description, spec, columns, table, has_data=False)
    last = rows[-1]
    description = _("%(n)s attempts; the latest did %(share)s of the steps (%(parts)s).") % {
        "n": len(rows),
        "share": _cell(last.share),
        "parts": ", ".join(f"{p['label']} {_cell(p['share'])}" for p in last.phases),
    }
    labels = [phase_label(p) for p in PHASES]
    legend = alt.Legend(title=None, symbolStrokeWidth=2)
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point={"size": 60, "filled": True}, strokeWidth=2)
        .encode(
            x=alt.X(
                "attempt:O",
                title=_("Attempt"),
                axis=alt.Axis(labelAngle=0),
                scale=alt.Scale(domain=[r.number for r in rows]),
            ),
            y=alt.Y(
                "share:Q",
                scale=alt.Scale(domain=[0, 100]),
                # xgettext:no-python-format
                axis=alt.Axis(title=_("% of steps done"), values=[0, 25, 50, 75, 100]),
            ),
            color=alt.Color(
                "phase:N",
                scale=alt.Scale(domain=labels, range=[PHASE_COLOURS[p] for p in PHASES]),
                legend=legend,
            ),
            shape=alt.Shape(
                "phase:N",
                scale=alt.Scale(domain=labels, range=[PHASE_SHAPES[p] for p in PHASES]),
                legend=legend,
            ),
            tooltip=[
                alt.Tooltip("attempt:O", title=_("Attempt")),
                alt.Tooltip("phase:N", title=_("Phase")),
                alt.Tooltip("share:Q", title="%", format=".0f"),
            ],
        )
        .properties(width="container", height=charts.HEIGHT, description=description)
        .configure(**charts.CONFIG)
    )
    return charts.Chart(chart_id, title, description, charts.spec_dict(chart), columns, table)
