"""Progress bars and sparklines drawn as SVG whose sizes are attributes, not style="" (the
Content-Security-Policy allows no inline styles: emotipal/platform/settings.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

SPARK_HEIGHT = 24  # px, as .spark in emotipal.css
SPARK_STEP = 10  # a bar of 8 px and a gap of 2 px
EMPTY_BAR = 2  # a week without a value: a grey line at the bottom


def clamped_percent(done: Any, planned: Any) -> int:
    """done of planned as a whole percentage in 0..100 (more than planned is a full bar; nothing planned an
    empty one)."""
    try:
        share = float(done) / float(planned) * 100
    except (TypeError, ValueError, ZeroDivisionError):
        return 0
    return max(0, min(100, round(share)))


@register.inclusion_tag("platform/_progress_bar.html")
def progress_bar(done: Any = None, planned: Any = None, percent: Any = None) -> dict[str, int]:
    """A bar filled done/planned, or `percent` (0-100) when the page already has the share."""
    return {
        "percent": clamped_percent(percent, 100) if percent is not None else clamped_percent(done, planned)
    }


@register.inclusion_tag("platform/_spark.html")
def spark(values: list[float | None], title: str) -> dict[str, Any]:
    """One bar per value (0-100) from the bottom up; None as a low grey line. Screen readers hear the title
    and the values ("–" for a week without one)."""
    spoken = ", ".join("–" if v is None else str(floatformat(v, 0)) for v in values)
    label = f"{title}: {spoken}"
    bars = []
    for i, value in enumerate(values):
        height = (
            EMPTY_BAR
            if value is None
            else max(EMPTY_BAR, round(clamped_percent(value, 100) * SPARK_HEIGHT / 100))
        )
        bars.append(
            {"x": i * SPARK_STEP, "y": SPARK_HEIGHT - height, "height": height, "none": value is None}
        )
    width = max(len(values) * SPARK_STEP - 2, 0)
    return {"bars": bars, "width": width, "height": SPARK_HEIGHT, "label": label}
