"""Supervision's charts (Vega-Lite via Altair, with the numbers as a table), in the style of platform.charts."""

from __future__ import annotations

from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from emotipal.platform import formatting
from emotipal.platform.charts import CONFIG, HEIGHT, NO_VALUE, Chart, spec_dict
from emotipal.supervision.queries import PeriodCompetence, PeriodEngagement

PHASE_COLOURS = {"review": "#0072B2", "design": "#E69F00", "plan": "#009E73", "engagement": "#CC79A7"}


def phase_label(phase: str) -> str:
    return {"review": _("Review"), "design": _("Design"), "plan": _("Plan")}[phase]


def _pct(value: float | None) -> str:
    return NO_VALUE if value is None else f"{round(100 * value)}%"


def month_label(day: Any) -> str:
    """Short enough for five side by side at 375 px ("Aug 26"), in the page's language."""
    return formatting.local(day, "CHART_MONTH")


_month = month_label


def _spec(chart: alt.TopLevelMixin, description: str) -> dict[str, Any]:
    chart = chart.properties(width="container", height=HEIGHT, description=description).configure(**CONFIG)
    return spec_dict(chart)


def _line(
    values: list[dict[str, Any]], months: list[str], domain: list[str], colours: list[str], title: str
) -> Any:
    return (
        alt.Chart(alt.Data(values=values))
        .mark_line(point={"size": 45, "filled": True}, strokeWidth=2)
        .encode(
            x=alt.X("month:O", scale=alt.Scale(domain=months), axis=alt.Axis(title=None, labelAngle=0)),
            y=alt.Y(
                "value:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(title=title, values=[0, 50, 100])
            ),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=colours),
                legend=alt.Legend(title=None, orient="bottom", direction="horizontal"),
            ),
            shape=alt.Shape("series:N", scale=alt.Scale(domain=domain), legend=None),
            tooltip=[alt.Tooltip("month:N"), alt.Tooltip("series:N"), alt.Tooltip("value:Q", format=".0f")],
        )
    )


def competence_chart(periods: list[PeriodCompetence], chart_id: str = "chart-competence") -> Chart:
    """Per month, the share of applicable guideline steps done in each phase (0-100)."""
    title = _("Guideline steps done, by phase")
    phases = ["review", "design", "plan"]
    columns = [_("Month"), _("Homework set"), *(phase_label(p) for p in phases)]
    rows = [[_month(p.month), str(p.assignments), *(_pct(p.shares[ph]) for ph in phases)] for p in periods]
    values = [
        {"month": _month(p.month), "series": phase_label(ph), "value": round(100 * p.shares[ph], 1)}  # type: ignore[operator]
        for p in periods
        for ph in phases
        if p.shares[ph] is not None
    ]
    if not values:
        return Chart(chart_id, title, _("No homework set yet."), {}, columns, rows, has_data=False)
    latest = periods[-1]
    description = _("%(n)s months; latest month %(month)s: %(parts)s.") % {
        "n": len(periods),
        "month": _month(latest.month),
        "parts": ", ".join(f"{phase_label(ph)} {_pct(latest.shares[ph])}" for ph in phases),
    }
    chart = _line(
        values,
        [_month(p.month) for p in periods],
        [phase_label(p) for p in phases],
        [PHASE_COLOURS[p] for p in phases],
        # xgettext:no-python-format
        _("% of applicable steps"),
    )
    return Chart(chart_id, title, description, _spec(chart, description), columns, rows)


def engagement_chart(periods: list[PeriodEngagement], chart_id: str = "chart-practice") -> Chart:
    """Per month, the share of planned practices the clients did (all clients together)."""
    title = _("Planned practices done by the clients")
    columns = [_("Month"), _("Planned"), _("Done"), _("Share")]
    rows = [[_month(p.month), str(p.planned), str(p.done), _pct(p.share)] for p in periods]
    series = _("Practices done")
    values = [
        {"month": _month(p.month), "series": series, "value": round(100 * p.share, 1)}
        for p in periods
        if p.share is not None
    ]
    if not values:
        return Chart(chart_id, title, _("No practice planned yet."), {}, columns, rows, has_data=False)
    latest = periods[-1]
    description = _(
        "%(n)s months; latest month %(month)s: %(done)s of %(planned)s planned practices done."
    ) % {
        "n": len(periods),
        "month": _month(latest.month),
        "done": latest.done,
        "planned": latest.planned,
    }
    chart = _line(values, [_month(p.month) for p in periods], [series], [PHASE_COLOURS["engagement"]], "%")
    return Chart(chart_id, title, description, _spec(chart, description), columns, rows)
