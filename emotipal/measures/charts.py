"""Charts of outcomes and mechanisms: symptom scores with severity bands and reliable-change markers, with
engagement overlaid, and candidate mechanisms of change over time. Same conventions as charts.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from emotipal.measures.outcome_summary import RELIABLE_CHANGE_WORDS
from emotipal.platform.charts import (
    BRAND,
    NO_VALUE,
    Chart,
    _all_weeks,
    _empty,
    _number,
    _spec,
    _week_axis,
    day_label,
)

BAND_SHADES = ["#f2f7f4", "#e6f0ea", "#fbf0dc", "#f9e0c7", "#f4cdc5"]  # light: bands sit behind the data
# The card's words (outcome_summary.RELIABLE_CHANGE_WORDS), and the first score's own.
STATUS_LABELS = {**RELIABLE_CHANGE_WORDS, "baseline": gettext_noop("Baseline")}
STATUS_COLOURS = {
    "Reliable improvement": "#009E73",
    "Reliable deterioration": "#D55E00",
    "No reliable change": "#5b6b70",
    "Baseline": "#0072B2",
}


def symptom_trajectory(
    name: str,
    points: list[dict[str, Any]],
    bands: list[dict[str, Any]],
    max_score: float,
    engagement: list[dict[str, Any]],
    chart_id: str,
) -> Chart:
    """points: {"date", "total", "status"}; engagement: {"week", "value" 0-100}."""
    title = _("%(name)s over time") % {"name": name}
    # The markers are the Jacobson-Truax index against the first score, named so: the NHS thresholds and
    # recovery are judged on the PHQ-9 and GAD-7 together, on the page's paired outcome.
    columns = [_("Date"), _("Score"), _("Band"), _("Reliable change since first (Jacobson-Truax)")]
    table = [
        [
            day_label(p["date"]),
            _number(p["total"]),
            p.get("band") or NO_VALUE,
            _(STATUS_LABELS.get(p["status"], NO_VALUE)),
        ]
        for p in points
    ]
    if not points:
        return _empty(chart_id, title, columns, table)
    weeks = _all_weeks([p["week"] for p in points] + [e["week"] for e in engagement])
    x = alt.X("week:O", scale=alt.Scale(domain=[w.isoformat() for w in weeks]), axis=_week_axis(weeks))
    y_scale = alt.Scale(domain=[0, max_score])
    band_layer = (
        alt.Chart(
            alt.Data(
                values=[
                    {**b, "label": b["label"], "shade": BAND_SHADES[i % len(BAND_SHADES)]}
                    for i, b in enumerate(bands)
                ]
            )
        )
        .mark_rect(opacity=1)
        .encode(
            y=alt.Y("min:Q", scale=y_scale, axis=alt.Axis(title=_("Score"))),
            y2="max_edge:Q",
            color=alt.Color("shade:N", scale=None, legend=None),
            tooltip=[alt.Tooltip("label:N", title=_("Band"))],
        )
        .transform_calculate(max_edge="datum.max + 0.999")
    )
    values = [
        {
            "week": p["week"].isoformat(),
            "total": p["total"],
            "label": day_label(p["date"]),
            "status": _(STATUS_LABELS.get(p["status"], "No reliable change")),
        }
        for p in points
    ]
    line = (
        alt.Chart(alt.Data(values=values))
        .mark_line(color="#1f2a2e")
        .encode(x=x, y=alt.Y("total:Q", scale=y_scale))
    )
    dots = (
        alt.Chart(alt.Data(values=values))
        .mark_point(filled=True, size=70)
        .encode(
            x=x,
            y=alt.Y("total:Q", scale=y_scale),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=[_(s) for s in STATUS_COLOURS], range=list(STATUS_COLOURS.values())),
                legend=alt.Legend(title=_("Reliable change (Jacobson-Truax)"), columns=2),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("Date")),
                alt.Tooltip("total:Q", title=_("Score")),
                alt.Tooltip("status:N", title=_("Jacobson-Truax")),
            ],
        )
    )
    scores = alt.layer(band_layer, line, dots)  # one shared score axis
    engaged = [
        {"week": e["week"].isoformat(), "value": e["value"]} for e in engagement if e["value"] is not None
    ]
    chart: Any = scores
    if engaged:
        overlay = (
            alt.Chart(alt.Data(values=engaged))
            .mark_line(color=BRAND, strokeDash=[4, 3], opacity=0.8)
            .encode(
                x=x,
                y=alt.Y(
                    "value:Q",
                    scale=alt.Scale(domain=[0, 100]),
                    axis=alt.Axis(title=_("Engagement (dashed, 0–100)"), orient="right", titleColor=BRAND),
                ),
            )
        )
        chart = alt.layer(scores, overlay).resolve_scale(y="independent")
    first, last = points[0], points[-1]
    description = _("%(name)s from %(first)s (%(a)s) to %(last)s (%(b)s): %(status)s.") % {
        "name": name,
        "first": day_label(first["date"]),
        "a": _number(first["total"]),
        "last": day_label(last["date"]),
        "b": _number(last["total"]),
        "status": _(STATUS_LABELS.get(last["status"], NO_VALUE)).lower(),
    }
    return Chart(chart_id, title, description, _spec(chart, description), columns, table)


def mechanisms(series: list[dict[str, Any]], chart_id: str = "chart-mechanisms") -> Chart:
    """series rows: {"week": date, "name": str, "value": 0-100}; one line per mechanism."""
    title = _("Mechanisms of change")
    names = sorted({r["name"] for r in series})
    columns = [_("Week"), *names]
    by_week: dict[date, dict[str, float]] = {}
    for r in series:
        by_week.setdefault(r["week"], {})[r["name"]] = r["value"]
    table = [[day_label(w), *(_number(by_week[w].get(n)) for n in names)] for w in sorted(by_week)]
    if not series:
        return _empty(chart_id, title, columns, table)
    weeks = _all_weeks(by_week)
    values = [
        {"week": r["week"].isoformat(), "name": r["name"], "value": round(r["value"], 1)} for r in series
    ]
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", scale=alt.Scale(domain=[w.isoformat() for w in weeks]), axis=_week_axis(weeks)),
            y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(title=_("0–100"))),
            color=alt.Color("name:N", legend=alt.Legend(title=None, columns=1)),
            tooltip=["name:N", alt.Tooltip("value:Q", format=".0f")],
        )
    )
    # Two counts, two plurals: "1 measure over 3 weeks".
    measures = ngettext("%(n)s measure", "%(n)s measures", len(names)) % {"n": len(names)}
    over = ngettext("over %(w)s week", "over %(w)s weeks", len(weeks)) % {"w": len(weeks)}
    description = _("%(measures)s %(over)s.") % {"measures": measures, "over": over}
    return Chart(chart_id, title, description, _spec(chart, description), columns, table)
