"""Funnel plot: each study's effect against its standard error, the y axis inverted (precise studies on
top), a vertical line at the pooled estimate and the pseudo-confidence region estimate ± z·SE (metafor's
``funnel`` default), inside which about 95% of studies should fall without bias or heterogeneity."""

from __future__ import annotations

from typing import Any

from .data import FunnelData
from .forest import VEGA_LITE_SCHEMA
from .scale import LinearScale, nice_ticks, tick_label
from .svg import SvgCanvas


def _se_axis_max(data: FunnelData) -> float:
    return nice_ticks(0.0, data.se_max, 5)[-1]


def funnel_spec(data: FunnelData) -> dict[str, Any]:
    """Vega-Lite specification of the funnel plot (y = standard error, reversed scale)."""
    se_top = _se_axis_max(data)
    est, crit = data.estimate, data.crit
    points = [
        {"label": lab, "yi": y, "sei": s} for lab, y, s in zip(data.labels, data.yi, data.sei, strict=True)
    ]
    region = [
        {"x": est - crit * se_top, "se": se_top, "side": "lower"},
        {"x": est, "se": 0.0, "side": "lower"},
        {"x": est, "se": 0.0, "side": "upper"},
        {"x": est + crit * se_top, "se": se_top, "side": "upper"},
    ]
    y_scale = {"reverse": True, "domain": [0, se_top]}
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": data.title,
        "width": 360,
        "height": 300,
        "layer": [
            {
                "data": {"values": region},
                "mark": {"type": "line", "strokeDash": [4, 3], "color": "#666"},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", "title": data.xlabel},
                    "y": {"field": "se", "type": "quantitative", "title": "Standard error", "scale": y_scale},
                    "detail": {"field": "side"},
                },
            },
            {
                "data": {"values": [{"estimate": est}]},
                "mark": {"type": "rule", "color": "#1f4e79"},
                "encoding": {"x": {"field": "estimate", "type": "quantitative"}},
            },
            {
                "data": {"values": points},
                "mark": {"type": "circle", "size": 50, "color": "#222", "opacity": 0.85},
                "encoding": {
                    "x": {"field": "yi", "type": "quantitative"},
                    "y": {"field": "sei", "type": "quantitative", "scale": y_scale},
                    "tooltip": [
                        {"field": "label"},
                        {"field": "yi", "format": ".3f"},
                        {"field": "sei", "format": ".3f"},
                    ],
                },
            },
        ],
    }


def funnel_svg(data: FunnelData) -> str:
    """Draw the funnel plot as a standalone SVG document."""
    width, height = 500.0, 420.0
    left, right, top, bottom = 70.0, 20.0, 40.0, 60.0
    se_top = _se_axis_max(data)
    est, crit = data.estimate, data.crit
    xs = [*data.yi, est - crit * se_top, est + crit * se_top]
    x_ticks = nice_ticks(min(xs), max(xs))
    y_ticks = nice_ticks(0.0, se_top, 5)
    sx = LinearScale(x_ticks[0], x_ticks[-1], left, width - right)
    sy = LinearScale(0.0, y_ticks[-1], top, height - bottom)  # inverted: SE 0 at the top
    canvas = SvgCanvas(width, height, data.title)
    canvas.text(width / 2, 22, data.title, text_anchor="middle", font_weight="bold", font_size=14)

    # Pseudo-confidence region first, so the points are drawn on top of it.
    apex, low_end, high_end = (
        (sx(est), sy(0.0)),
        (sx(est - crit * se_top), sy(se_top)),
        (sx(est + crit * se_top), sy(se_top)),
    )
    canvas.polygon([low_end, apex, high_end], fill="#eef2f7", stroke="none")
    canvas.line(*apex, *low_end, stroke="#666", stroke_dasharray="4 3")
    canvas.line(*apex, *high_end, stroke="#666", stroke_dasharray="4 3")
    canvas.line(sx(est), sy(0.0), sx(est), sy(y_ticks[-1]), stroke="#1f4e79")
    for y, s in zip(data.yi, data.sei, strict=True):
        canvas.circle(sx(y), sy(s), 4.0, fill="#222", fill_opacity=0.85)

    base = height - bottom
    canvas.line(left, base, width - right, base)
    for t in x_ticks:
        canvas.line(sx(t), base, sx(t), base + 5)
        canvas.text(sx(t), base + 18, tick_label(t, x_ticks), text_anchor="middle", font_size=11)
    canvas.text((left + width - right) / 2, base + 40, data.xlabel, text_anchor="middle")
    canvas.line(left, top, left, base)
    for t in y_ticks:
        canvas.line(left - 5, sy(t), left, sy(t))
        canvas.text(left - 8, sy(t) + 4, tick_label(t, y_ticks), text_anchor="end", font_size=11)
    mid = (top + base) / 2
    canvas.text(18, mid, "Standard error", text_anchor="middle", transform=f"rotate(-90 18 {mid:.1f})")
    return canvas.render()
