"""Forest plot: one row per study (CI line, square with area proportional to its weight), diamonds for
pooled estimates, the prediction interval as a thin line through the overall diamond, a dashed line at
the null value and an x axis with nice ticks."""

from __future__ import annotations

import math
from typing import Any

from .data import ForestData, ForestRow
from .scale import LinearScale, nice_ticks, tick_label
from .svg import SvgCanvas

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
ROW_HEIGHT = 20.0
PLOT_WIDTH = 320.0
MAX_SQUARE = 14.0  # side (px) of the heaviest study's square
MIN_SQUARE = 3.0  # so that very light studies stay visible


def _ci_text(row: ForestRow) -> str:
    if row.estimate is None or row.ci_low is None or row.ci_high is None:
        return ""
    return f"{row.estimate:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}]"


def forest_spec(data: ForestData) -> dict[str, Any]:
    """Vega-Lite specification (a plain dict; altair's ``alt.LayerChart.from_dict`` accepts it)."""
    values = [
        {
            "order": i,
            "label": row.label,
            "kind": row.kind,
            "estimate": row.estimate,
            "ci_low": row.ci_low,
            "ci_high": row.ci_high,
            "pi_low": row.pi_low,
            "pi_high": row.pi_high,
            "weight": row.weight,
            "text": _ci_text(row),
        }
        for i, row in enumerate(data.rows)
    ]
    x_title = data.xlabel
    y = {"field": "label", "type": "nominal", "sort": [r.label for r in data.rows], "axis": {"title": None}}
    x = {"field": "estimate", "type": "quantitative", "title": x_title, "scale": {"zero": False}}
    studies = {"filter": "datum.kind === 'study'"}
    summaries = {"filter": "datum.kind === 'summary'"}
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": data.title,
        "data": {"values": values},
        "width": PLOT_WIDTH,
        "height": {"step": ROW_HEIGHT},
        "layer": [
            {
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#888"},
                "encoding": {"x": {"datum": data.null_value, "type": "quantitative"}},
            },
            {
                "transform": [studies],
                "mark": {"type": "rule", "color": "#222"},
                "encoding": {"x": {**x, "field": "ci_low"}, "x2": {"field": "ci_high"}, "y": y},
            },
            {
                "transform": [summaries, {"filter": "isValid(datum.pi_low)"}],
                "mark": {"type": "rule", "color": "#555", "strokeDash": [2, 2]},
                "encoding": {"x": {**x, "field": "pi_low"}, "x2": {"field": "pi_high"}, "y": y},
            },
            {
                "transform": [studies],
                "mark": {"type": "square", "filled": True, "color": "#222"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "size": {"field": "weight", "type": "quantitative", "legend": None},
                    "tooltip": [{"field": "label"}, {"field": "text"}, {"field": "weight", "format": ".1f"}],
                },
            },
            {
                "transform": [summaries],
                "mark": {"type": "rule", "color": "#1f4e79", "strokeWidth": 3},
                "encoding": {"x": {**x, "field": "ci_low"}, "x2": {"field": "ci_high"}, "y": y},
            },
            {
                "transform": [summaries],
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "filled": True,
                    "size": 250,
                    "color": "#1f4e79",
                },
                "encoding": {"x": x, "y": y, "tooltip": [{"field": "label"}, {"field": "text"}]},
            },
        ],
    }


def _text_width(text: str, size: float = 12.0) -> float:
    # Rough advance width of a proportional sans-serif font: enough to lay out columns without a font engine.
    return 0.58 * size * len(text)


def forest_svg(data: ForestData) -> str:
    """Draw the forest plot as a standalone SVG document."""
    label_w = min(320.0, max(110.0, max(_text_width(r.label) for r in data.rows) + 16.0))
    weight_w, ci_w = 64.0, 170.0
    left = 12.0
    x0 = left + label_w
    x1 = x0 + PLOT_WIDTH
    top = 36.0
    n = len(data.rows)
    rows_bottom = top + ROW_HEIGHT * n
    width = x1 + weight_w + ci_w + 12.0
    height = rows_bottom + 58.0

    lo, hi = data.x_extent
    ticks = nice_ticks(lo, hi)
    sx = LinearScale(ticks[0], ticks[-1], x0 + 8.0, x1 - 8.0)
    canvas = SvgCanvas(width, height, data.title)

    canvas.text(left, top - 14, "Study", font_weight="bold")
    canvas.text(x1 + weight_w - 8, top - 14, "Weight", font_weight="bold", text_anchor="end")
    canvas.text(width - 12, top - 14, "Estimate [95% CI]", font_weight="bold", text_anchor="end")
    canvas.line(left, top - 6, width - 12, top - 6, stroke="#999", stroke_width=0.8)

    null_x = sx(data.null_value)
    canvas.line(null_x, top - 2, null_x, rows_bottom, stroke="#888", stroke_dasharray="4 3")

    max_weight = max((r.weight for r in data.rows if r.kind == "study" and r.weight), default=1.0)
    for i, row in enumerate(data.rows):
        cy = top + ROW_HEIGHT * (i + 0.5)
        baseline = cy + 4
        if row.kind == "header":
            canvas.text(left, baseline, row.label, font_weight="bold")
            continue
        weight_attrs = {"font_weight": "bold"} if row.kind == "summary" else {}
        canvas.text(left + (0 if row.kind == "summary" else 8), baseline, row.label, **weight_attrs)
        if row.weight is not None and row.kind == "study":
            canvas.text(x1 + weight_w - 8, baseline, f"{row.weight:.1f}%", text_anchor="end")
        canvas.text(width - 12, baseline, _ci_text(row), text_anchor="end", **weight_attrs)
        if row.estimate is None or row.ci_low is None or row.ci_high is None:
            continue
        if row.kind == "study":
            canvas.line(sx(row.ci_low), cy, sx(row.ci_high), cy, stroke_width=1.2)
            side = max(MIN_SQUARE, MAX_SQUARE * math.sqrt((row.weight or 0.0) / max_weight))
            canvas.rect(sx(row.estimate) - side / 2, cy - side / 2, side, side, fill="#222")
        else:
            if row.pi_low is not None and row.pi_high is not None:
                canvas.line(sx(row.pi_low), cy, sx(row.pi_high), cy, stroke="#555", stroke_dasharray="2 2")
                for end in (row.pi_low, row.pi_high):
                    canvas.line(sx(end), cy - 4, sx(end), cy + 4, stroke="#555")
            half = 6.0
            points = [
                (sx(row.ci_low), cy),
                (sx(row.estimate), cy - half),
                (sx(row.ci_high), cy),
                (sx(row.estimate), cy + half),
            ]
            canvas.polygon(points, fill="#1f4e79", stroke="#1f4e79")

    axis_y = rows_bottom + 6
    canvas.line(sx(ticks[0]), axis_y, sx(ticks[-1]), axis_y)
    for t in ticks:
        canvas.line(sx(t), axis_y, sx(t), axis_y + 5)
        canvas.text(sx(t), axis_y + 18, tick_label(t, ticks), text_anchor="middle", font_size=11)
    canvas.text((sx(ticks[0]) + sx(ticks[-1])) / 2, axis_y + 38, data.xlabel, text_anchor="middle")
    return canvas.render()
