"""Exposure charts: peak distress per practice for each ladder step over time, and the drop within each
practice (from the peak to the end). Same conventions as charts.py."""

from __future__ import annotations

from typing import Any

import altair as alt
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from emotipal.platform.charts import BRAND, Chart, _empty, _number, _spec, day_label


def peak_by_step(practices: list[dict[str, Any]], chart_id: str = "chart-peaks") -> Chart:
    """practices: {"date", "step", "before", "peak", "after"}, oldest first."""
    title = _("Peak distress per practice, by step")
    columns = [_("Date"), _("Step"), _("Before"), _("Peak"), _("After")]
    table = [
        [day_label(p["date"]), p["step"], _number(p["before"]), _number(p["peak"]), _number(p["after"])]
        for p in practices
    ]
    values = [
        {"n": i + 1, "date": day_label(p["date"]), "step": p["step"], "peak": p["peak"]}
        for i, p in enumerate(practices)
        if p["peak"] is not None
    ]
    if not values:
        return _empty(chart_id, title, columns, table)
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True)
        .encode(
            x=alt.X("n:Q", axis=alt.Axis(title=_("Practice number"), tickMinStep=1, format="d")),
            y=alt.Y(
                "peak:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(title=_("Peak distress (0–100)"))
            ),
            color=alt.Color("step:N", legend=alt.Legend(title=None, columns=1, labelLimit=300)),
            tooltip=[
                alt.Tooltip("date:N", title=_("Date")),
                "step:N",
                alt.Tooltip("peak:Q", title=_("Peak")),
            ],
        )
    )
    description = ngettext(
        "%(n)s practice; latest peak %(peak)s.", "%(n)s practices; latest peak %(peak)s.", len(values)
    ) % {
        "n": len(values),
        "peak": _number(values[-1]["peak"]),
    }
    return Chart(chart_id, title, description, _spec(chart, description), columns, table)


def drop_within(practices: list[dict[str, Any]], chart_id: str = "chart-drop") -> Chart:
    """A bar from the peak down to the end of each practice: how far distress came down while staying."""
    title = _("Distress coming down within each practice")
    columns = [_("Date"), _("Step"), _("Peak"), _("After"), _("Drop")]
    table = [
        [
            day_label(p["date"]),
            p["step"],
            _number(p["peak"]),
            _number(p["after"]),
            _number(p["peak"] - p["after"]) if p["peak"] is not None and p["after"] is not None else "—",
        ]
        for p in practices
    ]
    values = [
        {"n": i + 1, "date": day_label(p["date"]), "step": p["step"], "peak": p["peak"], "after": p["after"]}
        for i, p in enumerate(practices)
        if p["peak"] is not None and p["after"] is not None
    ]
    if not values:
        return _empty(chart_id, title, columns, table)
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("n:O", axis=alt.Axis(title=_("Practice number"), labelAngle=0))
    )
    bars = base.mark_bar(color=BRAND, opacity=0.35, width={"band": 0.5}).encode(
        y=alt.Y("peak:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(title=_("Distress (0–100)"))),
        y2="after:Q",
        tooltip=[alt.Tooltip("date:N", title=_("Date")), "step:N", "peak:Q", "after:Q"],
    )
    ends = base.mark_tick(color=BRAND, thickness=3).encode(y="after:Q")
    drops = [v["peak"] - v["after"] for v in values]
    description = ngettext(
        "Average drop from peak to end: %(mean)s points over %(n)s practice.",
        "Average drop from peak to end: %(mean)s points over %(n)s practices.",
        len(values),
    ) % {
        "mean": _number(sum(drops) / len(drops)),
        "n": len(values),
    }
    return Chart(chart_id, title, description, _spec(alt.layer(bars, ends), description), columns, table)
