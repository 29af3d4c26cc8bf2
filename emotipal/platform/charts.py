"""Charts for the therapist's client page: Vega-Lite specs built with Altair, plus the same numbers as a table.

Each function takes plain rows (dicts) and returns a `Chart`; templates/charts/_chart.html renders it and
static/js/charts.js draws it with the vendored vega-embed. The table is always rendered, so the numbers stay
readable without JavaScript, to screen readers, and if drawing fails.

Phone first: the charts fill their container (`width="container"`), are short, show at most a handful of
date labels, and keep legends below the plot. Colours are Okabe-Ito (safe for colour-blind readers), and each
series also has its own point shape, so colour is never the only cue.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import altair as alt
from altair.utils.schemapi import disable_debug_mode
from django.conf import settings
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from emotipal.platform import formatting

# Altair checks every object it builds (an axis, an encoding) against the Vega-Lite schema as it is made, and
# the whole spec again in to_dict(): 0.2 s of a client page's 0.36 s under a profiler. The whole-spec check in
# to_dict() finds whatever the piecemeal one does, so that is the one kept, where
# settings.EMOTIPAL_VALIDATE_CHARTS asks for it (spec_dict). Process-wide: a module-level switch in Altair.
disable_debug_mode()

HEIGHT = 220
RLI, PDI = "\u2067", "\u2069"  # Unicode right-to-left isolate: the text inside reads right to left
MAX_DATE_LABELS = 5  # about what fits side by side at 375 px as "12 Mar"
DATE_LABEL_CHARS = 35  # the characters (with a space between labels) that fit along an axis at 375 px
NO_VALUE = "—"
PLANNED_NOT_DONE = "·"

# Okabe-Ito; fixed per source so a source has the same colour in every chart on the page.
SOURCE_COLOURS = {"objective": "#0072B2", "client": "#E69F00", "therapist": "#009E73", "combined": "#000000"}
EXTRA_COLOURS = ["#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
SOURCE_SHAPES = {"objective": "circle", "client": "square", "therapist": "triangle-up", "combined": "diamond"}
BRAND = "#2f6f5e"  # --brand in emotipal.css
# Practices done per day: 0 is a visible grey cell, clearly not "some"; then four greens (ColorBrewer Greens).
LEVEL_COLOURS = ["#e6ebe8", "#c7e9c0", "#74c476", "#31a354", "#006d2c"]
MISSED_STROKE = "#D55E00"  # Okabe-Ito vermilion, outlines planned-but-not-done days

# Small shared config: readable type on a phone, no chart border; nothing else, to keep the spec small.
CONFIG: dict[str, Any] = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "titleColor": "#5b6b70"},
    "legend": {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "titleColor": "#5b6b70",
        "orient": "bottom",
        "direction": "horizontal",
    },
}


@dataclass
class Chart:
    id: str  # DOM id, unique on the page
    title: str
    description: str  # one-sentence plain-language alt text / summary
    spec: dict[str, Any]  # Vega-Lite spec (from altair .to_dict())
    columns: list[str]  # table header
    rows: list[list[str]]  # table body, formatted for display
    has_data: bool = True  # False: the template shows the description only, no empty plot


def source_label(source: str) -> str:
    labels = {
        "objective": _("Objective"),
        "client": _("Client"),
        "therapist": _("Therapist"),
        "combined": _("Combined"),
    }
    return labels.get(source, source.replace("_", " ").capitalize())


def day_label(day: date) -> str:
    """'3 Mar': short enough for a phone axis; month names come from Django's translations. In a right-to-left
    language isolated so, so the day stays on the right of its month on an axis and in the table."""
    label = formatting.local(day, "SHORT_DAY")
    return rtl_isolated(label) if translation.get_language_bidi() else label


def _number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return NO_VALUE
    # Half up, as people round (55.5 -> 56); number_format alone would round half to even.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=decimals)


def _ordered_sources(sources: Iterable[str]) -> list[str]:
    """Known sources in a fixed order (stable colours and columns), unknown ones after them."""
    seen = set(sources)
    known = [s for s in SOURCE_COLOURS if s in seen]
    return known + sorted(seen - set(known))


def _source_scales(sources: list[str]) -> tuple[alt.Scale, alt.Scale]:
    """Colour and shape scales keyed by display label, so the legend reads 'Client', not 'client'."""
    extra = iter(EXTRA_COLOURS * 3)
    colours = [SOURCE_COLOURS.get(s) or next(extra) for s in sources]
    shapes = [SOURCE_SHAPES.get(s, "cross") for s in sources]
    domain = [source_label(s) for s in sources]
    return (
        alt.Scale(domain=domain, range=colours),
        alt.Scale(domain=domain, range=shapes),
    )


def _all_weeks(weeks: Iterable[date]) -> list[date]:
    """Every week from the first to the last, so a week without data still takes its place on the axis."""
    given = set(weeks)
    if not given:
        return []
    first, last = min(given), max(given)
    stepped = {first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)}
    return sorted(given | stepped)


def _week_axis(weeks: list[date]) -> alt.Axis:
    """A discrete week axis on ISO dates (unique, sorts chronologically) labelled 'd MMM'.

    Labels come from Python rather than Vega's time format: no time-zone shift of a date-only value in the
    browser, and the month names are Django's. Only a few are shown so they never overlap on a phone.
    """
    every = {w.isoformat(): day_label(w) for w in weeks}
    # Longer labels (Arabic month names are never abbreviated: "19 أكتوبر") mean fewer of them in a row.
    longest = max((len(label.strip(RLI + PDI)) for label in every.values()), default=1)
    fit = max(2, min(MAX_DATE_LABELS, DATE_LABEL_CHARS // (longest + 1)))
    step = max(1, math.ceil(len(weeks) / fit))
    labels = {w.isoformat(): every[w.isoformat()] for w in weeks[::step]}
    return alt.Axis(
        title=None,
        values=list(labels),
        # a JSON object is also a Vega expression object literal; JSON quoting keeps any month name safe
        labelExpr=f"{json.dumps(labels, ensure_ascii=False)}[datum.value]",
        labelAngle=0,
        labelOverlap="greedy",  # drop only a label that would touch another, not every other one
        ticks=False,
        domain=False,
        # The first week sits near the y axis (on a point scale and on a narrow band of a phone's bar chart):
        # a centred label would run into the "0" there, so it starts at its week instead.
        labelAlign={
            "condition": {"test": f"datum.value === '{weeks[0].isoformat()}'", "value": "left"},
            "value": "center",
        },
    )


def _spec(chart: alt.TopLevelMixin, description: str) -> dict[str, Any]:
    # The description becomes the SVG's aria-label.
    chart = chart.properties(width="container", height=HEIGHT, description=description).configure(**CONFIG)
    spec = spec_dict(chart)
    if not translation.get_language_bidi():
        return spec
    spec = _right_to_left(spec)
    # Legends below the plot start on the right, where a right-to-left reader looks first (Vega's legend layout,
    # passed through as it is: Vega-Lite's schema only types it as an expression).
    legend = spec.setdefault("config", {}).setdefault("legend", {})
    legend.update({"layout": {"bottom": {"anchor": "end"}, "top": {"anchor": "end"}}, "titleAnchor": "end"})
    return spec


def spec_dict(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec; checked against the schema where settings.EMOTIPAL_VALIDATE_CHARTS says so
    (development and tests: an invalid spec then raises altair's SchemaValidationError)."""
    return chart.to_dict(validate=settings.EMOTIPAL_VALIDATE_CHARTS)


def rtl_isolated(text: str) -> str:
    """Text that reads right to left inside a left-to-right chart (see .chart-plot in emotipal.css): "19 أكتوبر"
    keeps its number on the right, "(… 4 = 100)" its brackets. Invisible and zero width where it is drawn."""
    return f"{RLI}{text}{PDI}" if text and not text.startswith(RLI) else text


def _right_to_left(spec: Any) -> Any:
    """The spec with every title (axes, legends, tooltips) isolated right to left. Legend labels are data
    values that must match their scale's domain, so they are left as they are: plain words read well."""
    if isinstance(spec, dict):
        return {
            k: rtl_isolated(v) if k == "title" and isinstance(v, str) else _right_to_left(v)
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [_right_to_left(v) for v in spec]
    return spec


def _empty(chart_id: str, title: str, columns: list[str], rows: list[list[str]] | None = None) -> Chart:
    """No data: a valid, tiny spec (never drawn) and the reason as the description, so pages never break."""
    description = _("No data yet.")
    spec = _spec(alt.Chart(alt.Data(values=[])).mark_point(), description)
    return Chart(chart_id, title, description, spec, columns, rows or [], has_data=False)


def engagement_over_time(rows: list[dict[str, Any]], chart_id: str = "chart-engagement") -> Chart:
    """One line per source (objective, client, therapist, combined), 0–100 by week; None values skipped."""
    title = _("Engagement over time")
    sources = _ordered_sources(r["source"] for r in rows)
    columns = [_("Week"), *(source_label(s) for s in sources)]
    by_week: dict[date, dict[str, float | None]] = {}
    for r in rows:
        by_week.setdefault(r["week"], {})[r["source"]] = r["value"]
    table = [[day_label(w), *(_number(by_week[w].get(s)) for s in sources)] for w in sorted(by_week)]

    values = [
        {
            "week": r["week"].isoformat(),
            "week_label": day_label(r["week"]),
            "source": source_label(r["source"]),
            "value": round(float(r["value"]), 1),
        }
        for r in sorted(rows, key=lambda r: r["week"])
        if r["value"] is not None
    ]
    if not values:
        return _empty(chart_id, title, columns, table)

    weeks = _all_weeks(by_week)
    latest = max(by_week)
    latest_parts = [
        f"{source_label(s)} {_number(by_week[latest][s])}"
        for s in sources
        if by_week[latest].get(s) is not None
    ]
    description = ngettext(
        "%(n)s week from %(first)s to %(last)s; latest week: %(latest)s.",
        "%(n)s weeks from %(first)s to %(last)s; latest week: %(latest)s.",
        len(weeks),
    ) % {
        "n": len(weeks),
        "first": day_label(weeks[0]),
        "last": day_label(weeks[-1]),
        "latest": ", ".join(latest_parts) or NO_VALUE,
    }
    colour, shape = _source_scales(sources)
    legend = alt.Legend(title=None, symbolStrokeWidth=2, columns=2)
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point={"size": 45, "filled": True}, strokeWidth=2)
        .encode(
            x=alt.X(
                "week:O",
                scale=alt.Scale(domain=[w.isoformat() for w in weeks]),
                axis=_week_axis(weeks),
            ),
            y=alt.Y(
                "value:Q",
                scale=alt.Scale(domain=[0, 100]),
                # xgettext:no-python-format
                axis=alt.Axis(title=_("% (ratings rescaled: 4 = 100)"), values=[0, 25, 50, 75, 100]),
            ),
            color=alt.Color("source:N", scale=colour, legend=legend),
            shape=alt.Shape("source:N", scale=shape, legend=legend),
            tooltip=[
                alt.Tooltip("week_label:N", title=_("Week")),
                alt.Tooltip("source:N", title=_("Source")),
                alt.Tooltip("value:Q", title="%", format=".0f"),
            ],
        )
    )
    return Chart(chart_id, title, description, _spec(chart, description), columns, table)


def practice_calendar(days: list[dict[str, Any]], chart_id: str = "chart-calendar") -> Chart:
    """A GitHub-style grid: a column per week (from Monday), a row per weekday, shade = practices done.

    Planned days with nothing done are outlined, and shown as "·" in the table.
    """
    title = _("Practice calendar")
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    columns = [_("Week"), *weekdays]
    if not days:
        return _empty(chart_id, title, columns)

    by_day = {d["date"]: d for d in days}
    weeks = _all_weeks(d - timedelta(days=d.weekday()) for d in by_day)

    def cell(day: date) -> str:
        d = by_day.get(day)
        if d is None:
            return NO_VALUE
        if d["planned"] and not d["done"]:
            return PLANNED_NOT_DONE
        return str(d["done"])

    table = [[day_label(w), *(cell(w + timedelta(days=i)) for i in range(7))] for w in weeks]
    values = [
        {
            "week": (day - timedelta(days=day.weekday())).isoformat(),
            "weekday": weekdays[day.weekday()],
            "date_label": formatting.local(day, "WEEKDAY_SHORT_DAY"),
            "done": int(d["done"]),
            "missed": bool(d["planned"] and not d["done"]),
        }
        for day, d in sorted(by_day.items())
    ]
    total = sum(v["done"] for v in values)
    active = sum(1 for v in values if v["done"])
    missed = sum(1 for v in values if v["missed"])
    description = _(
        "%(total)s practices on %(active)s of %(days)s days; %(missed)s planned days not done (outlined)."
    ) % {"total": total, "active": active, "days": len(values), "missed": missed}

    x = alt.X("week:O", scale=alt.Scale(domain=[w.isoformat() for w in weeks]), axis=_week_axis(weeks))
    y = alt.Y(
        "weekday:O",
        scale=alt.Scale(domain=weekdays),
        axis=alt.Axis(title=None, labelAngle=0, ticks=False, domain=False),
    )
    tooltip = [
        alt.Tooltip("date_label:N", title=_("Day")),
        alt.Tooltip("done:Q", title=_("Practices done")),
    ]
    # A few fixed shades, GitHub-like, rather than a gradient: the legend then shows exactly the cell colours,
    # and the same shade means the same count for every client.
    levels = [str(n) for n in range(len(LEVEL_COLOURS) - 1)] + [f"{len(LEVEL_COLOURS) - 1}+"]
    for v in values:
        v["level"] = levels[min(v["done"], len(levels) - 1)]
    fill = alt.Color(
        "level:O",
        scale=alt.Scale(domain=levels, range=LEVEL_COLOURS),
        legend=alt.Legend(
            title=_("Practices done"), symbolType="square", symbolSize=150, columns=len(levels)
        ),
    )
    cells = (
        alt.Chart()
        .mark_rect(cornerRadius=3, stroke="white", strokeWidth=2)
        .encode(color=fill, tooltip=tooltip)
    )
    # Planned but not done: an outline inside the cell, so it shows on the grey "0" shade too.
    outline = (
        alt.Chart()
        .transform_filter("datum.missed")
        # a constant field, only so the outline gets a legend entry of its own
        .transform_calculate(missed_label=json.dumps(_("planned, not done")))
        .mark_rect(cornerRadius=3, filled=False, strokeWidth=2, width={"band": 0.7}, height={"band": 0.7})
        .encode(
            stroke=alt.Stroke(
                "missed_label:N",
                scale=alt.Scale(range=[MISSED_STROKE]),
                # above the grid: below it the shades' legend takes the whole width of a phone
                legend=alt.Legend(
                    title=None, orient="top", symbolType="square", symbolSize=150, symbolStrokeWidth=2
                ),
            )
        )
    )
    # x and y on the layer, not on each part, so the spec carries them once.
    grid = alt.layer(cells, outline, data=alt.Data(values=values)).encode(x=x, y=y)
    return Chart(chart_id, title, description, _spec(grid, description), columns, table)


def quality_vs_quantity(points: list[dict[str, Any]], chart_id: str = "chart-quality") -> Chart:
    """Scatter of how much of the plan was done (x, %) against rated quality (y, 0–4), by source."""
    title = _("Quality and quantity")
    # xgettext:no-python-format
    columns = [_("Homework"), _("Source"), _("% of plan done"), _("Quality (0–4)")]
    table = [
        [str(p["label"]), source_label(p["source"]), _number(p["quantity_pct"]), _number(p["quality"], 1)]
        for p in points
    ]
    values = [
        {
            "label": str(p["label"]),
            "source": source_label(p["source"]),
            "quantity_pct": round(float(p["quantity_pct"]), 1),
            "quality": round(float(p["quality"]), 2),
        }
        for p in points
        if p["quantity_pct"] is not None and p["quality"] is not None
    ]
    if not values:
        return _empty(chart_id, title, columns, table)

    description = _("%(n)s homework items with both a completion figure and a quality rating.") % {
        "n": len(values)
    }
    sources = _ordered_sources(
        p["source"] for p in points if p["quantity_pct"] is not None and p["quality"] is not None
    )
    colour, shape = _source_scales(sources)
    legend = alt.Legend(title=None, columns=2)
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_point(size=80, filled=True, opacity=0.85)
        .encode(
            x=alt.X(
                "quantity_pct:Q",
                # padding (px) keeps points at 0 % or 100 % off the axis line
                scale=alt.Scale(domain=[0, 100], padding=8),
                # xgettext:no-python-format
                axis=alt.Axis(title=_("% of plan done"), values=[0, 25, 50, 75, 100]),
            ),
            y=alt.Y(
                "quality:Q",
                scale=alt.Scale(domain=[0, 4], padding=8),
                axis=alt.Axis(title=_("Rated quality (0–4)"), values=[0, 1, 2, 3, 4]),
            ),
            color=alt.Color("source:N", scale=colour, legend=legend),
            shape=alt.Shape("source:N", scale=shape, legend=legend),
            tooltip=[
                alt.Tooltip("label:N", title=_("Homework")),
                alt.Tooltip("source:N", title=_("Source")),
                # xgettext:no-python-format
                alt.Tooltip("quantity_pct:Q", title=_("% of plan done"), format=".0f"),
                alt.Tooltip("quality:Q", title=_("Quality"), format=".1f"),
            ],
        )
    )
    return Chart(chart_id, title, description, _spec(chart, description), columns, table)


def index_bars(rows: list[dict[str, Any]], chart_id: str = "chart-index") -> Chart:
    """Weekly engagement index, 0–100, one bar per week; weeks without a value have no bar."""
    title = _("Weekly engagement index")
    columns = [_("Week"), _("Index (0–100)")]
    ordered = sorted(rows, key=lambda r: r["week"])
    table = [[day_label(r["week"]), _number(r["value"])] for r in ordered]
    values = [
        {
            "week": r["week"].isoformat(),
            "week_label": day_label(r["week"]),
            "value": round(float(r["value"]), 1),
        }
        for r in ordered
        if r["value"] is not None
    ]
    if not values:
        return _empty(chart_id, title, columns, table)

    weeks = _all_weeks(r["week"] for r in rows)
    description = ngettext(
        "%(n)s week from %(first)s to %(last)s; latest index %(latest)s of 100.",
        "%(n)s weeks from %(first)s to %(last)s; latest index %(latest)s of 100.",
        len(weeks),
    ) % {
        "n": len(weeks),
        "first": day_label(weeks[0]),
        "last": day_label(weeks[-1]),
        "latest": _number(values[-1]["value"]),
    }
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar(color=BRAND, cornerRadiusEnd=2)
        .encode(
            x=alt.X("week:O", scale=alt.Scale(domain=[w.isoformat() for w in weeks]), axis=_week_axis(weeks)),
            y=alt.Y(
                "value:Q",
                scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(title=_("Index (0–100)"), values=[0, 25, 50, 75, 100]),
            ),
            tooltip=[
                alt.Tooltip("week_label:N", title=_("Week")),
                alt.Tooltip("value:Q", title=_("Index"), format=".0f"),
            ],
        )
    )
    return Chart(chart_id, title, description, _spec(chart, description), columns, table)
