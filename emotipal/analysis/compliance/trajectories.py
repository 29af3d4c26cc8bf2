"""PHQ-9 trajectories as SVG: each client's weekly scores as a thin line, and the weekly mean of the clients
in the lowest, middle and highest third of engagement (planned practices done) as thick lines."""

from __future__ import annotations

import itertools
import statistics

import numpy as np

from emotipal.analysis.meta.plots.scale import LinearScale, nice_ticks, tick_label
from emotipal.analysis.meta.plots.svg import SvgCanvas

from .dataset import Dataset

MAX_LINES = 150  # individual trajectories drawn; more would turn the plot grey
THIRDS = (("lowest third", "#c0392b"), ("middle third", "#7f8c8d"), ("highest third", "#1f4e79"))


def engagement_thirds(engagement: dict[str, float]) -> dict[str, int]:
    """Client -> 0, 1 or 2: their third of the engagement distribution (ties broken by client key)."""
    ordered = sorted(engagement, key=lambda k: (engagement[k], k))
    n = len(ordered)
    return {k: min(2, 3 * i // n) for i, k in enumerate(ordered)} if n else {}


def trajectories_svg(data: Dataset, engagement: dict[str, float], title: str = "PHQ-9 trajectories") -> str:
    weeks = max(2, data.weeks)
    width, height = 720.0, 380.0
    left, right, top, bottom = 56.0, 220.0, 30.0, 50.0
    x_ticks = nice_ticks(0, weeks - 1, target_ticks=min(weeks, 9))
    y_ticks = nice_ticks(0, 27)
    sx = LinearScale(x_ticks[0], x_ticks[-1], left, width - right)
    sy = LinearScale(y_ticks[0], y_ticks[-1], height - bottom, top)
    canvas = SvgCanvas(width, height, title)

    for t in y_ticks:  # grid and y axis
        canvas.line(left, sy(t), width - right, sy(t), stroke="#eee")
        canvas.text(left - 8, sy(t) + 4, tick_label(t, y_ticks), text_anchor="end", font_size=11)
    axis_y = height - bottom
    canvas.line(left, axis_y, width - right, axis_y)
    for t in x_ticks:
        canvas.line(sx(t), axis_y, sx(t), axis_y + 5)
        canvas.text(sx(t), axis_y + 18, tick_label(t, x_ticks), text_anchor="middle", font_size=11)
    canvas.text((left + width - right) / 2, height - 12, "Week", text_anchor="middle")
    canvas.text(14, top - 12, "PHQ-9 (higher = more depressed)", font_size=11)

    clients = [c for c in data.clients if len(c.scores) >= 2]
    step = max(1, len(clients) // MAX_LINES)
    for c in clients[::step][:MAX_LINES]:
        weeks_c = sorted(c.scores)
        for w0, w1 in itertools.pairwise(weeks_c):
            canvas.line(sx(w0), sy(c.scores[w0]), sx(w1), sy(c.scores[w1]), stroke="#bbb", stroke_width=0.6)

    legend_x = width - right + 16
    canvas.text(legend_x, top + 4, "Weekly mean of the clients in", font_size=11)
    canvas.text(legend_x, top + 18, "each third of practices done:", font_size=11)
    thirds = engagement_thirds({k: v for k, v in engagement.items() if any(c.key == k for c in clients)})
    by_key = {c.key: c for c in clients}
    for g, (label, colour) in enumerate(THIRDS):
        members = [by_key[k] for k, third in thirds.items() if third == g]
        means = []
        for w in range(weeks):
            vals = [c.scores[w] for c in members if w in c.scores]
            means.append(statistics.fmean(vals) if vals else np.nan)
        points = [(w, m) for w, m in enumerate(means) if np.isfinite(m)]
        for (w0, m0), (w1, m1) in itertools.pairwise(points):
            canvas.line(sx(w0), sy(m0), sx(w1), sy(m1), stroke=colour, stroke_width=3)
        ly = top + 42 + 22 * g
        lx = legend_x
        canvas.line(lx, ly - 4, lx + 24, ly - 4, stroke=colour, stroke_width=3)
        canvas.text(lx + 30, ly, f"{label} (n = {len(members)})", font_size=11)
    shown = min(len(clients[::step]), MAX_LINES)
    note = f"grey: {shown} of {len(clients)} clients" if shown < len(clients) else "grey: each client"
    canvas.text(legend_x, top + 42 + 22 * 3, note, font_size=11, fill="#666")
    return canvas.render()
