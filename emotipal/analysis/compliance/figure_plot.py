"""A forest plot of the figures' within-therapist correlations: one row per figure with its 95% CI, the
overall mean as a diamond, and - for simulated data - each figure's truth as a hollow circle."""

from __future__ import annotations

from typing import Any

from emotipal.analysis.meta.plots.scale import LinearScale, nice_ticks, tick_label
from emotipal.analysis.meta.plots.svg import SvgCanvas

ROW = 24.0
TRUTH_COLOUR = "#c0392b"


def figure_forest_svg(r: dict[str, Any], title: str = "Forest plot") -> str:
    rows: list[tuple[str, dict[str, Any], bool]] = [(f["label"], f, False) for f in r["figures"]]
    rows.append(("Overall (mean over figures)", r["overall"], True))
    values = [0.0]
    for _label, item, _summary in rows:
        values += [v for v in (item.get("ci_low"), item.get("ci_high")) if v is not None]
        truth = _truth(item)
        if truth is not None:
            values.append(truth)
    ticks = nice_ticks(min(values), max(values))
    label_w, plot_w, text_w = 420.0, 300.0, 150.0
    top, left = 40.0, 12.0
    x0, x1 = left + label_w, left + label_w + plot_w
    height = top + ROW * len(rows) + 70.0
    canvas = SvgCanvas(x1 + text_w + 12.0, height, title)
    sx = LinearScale(ticks[0], ticks[-1], x0 + 8.0, x1 - 8.0)
    canvas.text(left, top - 16, "Compliance figure", font_weight="bold")
    canvas.text(x1 + text_w, top - 16, "r [95% CI]", font_weight="bold", text_anchor="end")
    bottom = top + ROW * len(rows)
    canvas.line(sx(0.0), top - 4, sx(0.0), bottom, stroke="#888", stroke_dasharray="4 3")
    for i, (label, item, summary) in enumerate(rows):
        cy = top + ROW * (i + 0.5)
        weight = {"font_weight": "bold"} if summary else {}
        canvas.text(left, cy + 4, label, **weight)
        estimate, lo, hi = item.get("r"), item.get("ci_low"), item.get("ci_high")
        text = "not estimated" if estimate is None else f"{estimate:.2f}"
        if lo is not None and hi is not None:
            text += f" [{lo:.2f}, {hi:.2f}]"
        canvas.text(x1 + text_w, cy + 4, text, text_anchor="end", **weight)
        if estimate is not None and lo is not None and hi is not None:
            if summary:
                points = [(sx(lo), cy), (sx(estimate), cy - 6), (sx(hi), cy), (sx(estimate), cy + 6)]
                canvas.polygon(points, fill="#1f4e79", stroke="#1f4e79")
            else:
                canvas.line(sx(lo), cy, sx(hi), cy, stroke_width=1.2)
                canvas.rect(sx(estimate) - 4, cy - 4, 8, 8, fill="#222")
        truth = _truth(item)
        if truth is not None:
            canvas.circle(sx(truth), cy, 5, fill="none", stroke=TRUTH_COLOUR, stroke_width=1.5)
    axis_y = bottom + 6
    canvas.line(sx(ticks[0]), axis_y, sx(ticks[-1]), axis_y)
    for t in ticks:
        canvas.line(sx(t), axis_y, sx(t), axis_y + 5)
        canvas.text(sx(t), axis_y + 18, tick_label(t, ticks), text_anchor="middle", font_size=11)
    canvas.text(
        (sx(ticks[0]) + sx(ticks[-1])) / 2,
        axis_y + 38,
        "Within-therapist correlation with improvement (r)",
        text_anchor="middle",
    )
    if any(_truth(item) is not None for _label, item, _summary in rows):
        canvas.circle(left + 6, axis_y + 34, 5, fill="none", stroke=TRUTH_COLOUR, stroke_width=1.5)
        canvas.text(left + 16, axis_y + 38, "truth (simulated data)", font_size=11)
    return canvas.render()


def _truth(item: dict[str, Any]) -> float | None:
    truth = item.get("truth")
    if isinstance(truth, dict):
        truth = truth.get("within")
    return float(truth) if isinstance(truth, int | float) else None
