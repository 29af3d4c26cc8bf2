"""Charts for the therapist's client page (emotipal/platform/charts.py, platform/templates/charts/): valid Vega-Lite with
the data inline, a table with the same numbers, a template that always shows that table, and the vendored
vega scripts served from static/."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from django.template.loader import render_to_string
from django.utils import translation

from emotipal.platform import charts
from emotipal.platform.charts import Chart

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"
VENDORED = ["vega-6.4.0.min.js", "vega-lite-6.4.3.min.js", "vega-embed-7.3.0.min.js"]
MONDAY = date(2025, 1, 6)
WEEKS = [MONDAY + timedelta(weeks=i) for i in range(6)]


def engagement_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, week in enumerate(WEEKS):
        rows.append({"week": week, "source": "objective", "value": 40.0 + i * 10})
        rows.append({"week": week, "source": "client", "value": None if i == 2 else 50.0 + i})
        rows.append({"week": week, "source": "therapist", "value": 75.0})
        rows.append({"week": week, "source": "combined", "value": 55.5})
    return rows


def calendar_days() -> list[dict[str, Any]]:
    days = []
    for i in range(21):  # three whole weeks, Monday to Sunday
        day = MONDAY + timedelta(days=i)
        planned = day.weekday() in (0, 2, 4)
        done = 0 if i in (2, 7) else (2 if planned else 0)
        days.append({"date": day, "done": done, "planned": planned})
    return days


def quality_points() -> list[dict[str, Any]]:
    return [
        {"label": "Thought record", "quantity_pct": 80.0, "quality": 3.0, "source": "client"},
        {"label": "Exposure", "quantity_pct": 40.0, "quality": 2.5, "source": "therapist"},
        {"label": "Diary", "quantity_pct": None, "quality": 2.0, "source": "client"},
        {"label": "Breathing", "quantity_pct": 100.0, "quality": None, "source": "client"},
        {"label": "Walk", "quantity_pct": 10.0, "quality": 1.0, "source": "peer_rater"},
    ]


def index_rows() -> list[dict[str, Any]]:
    return [{"week": w, "value": None if i == 3 else 20.0 + i * 12} for i, w in enumerate(WEEKS)]


BUILDERS = {
    "engagement": (charts.engagement_over_time, engagement_rows),
    "calendar": (charts.practice_calendar, calendar_days),
    "quality": (charts.quality_vs_quantity, quality_points),
    "index": (charts.index_bars, index_rows),
}


def assert_valid_vega_lite(spec: dict[str, Any]) -> None:
    validate_jsonschema(spec, load_schema())
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    # Phone-ready: fills its container, short, no remote data.
    assert spec["width"] == "container"
    assert 150 <= spec["height"] <= 260
    assert "url" not in spec["data"]
    assert '"url"' not in json.dumps(spec)


def inline_values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = spec["data"]["values"]
    return values


@pytest.mark.parametrize("kind", BUILDERS)
def test_each_chart_is_valid_vega_lite_with_inline_data(kind: str) -> None:
    build, data = BUILDERS[kind]
    chart = build(data())
    assert isinstance(chart, Chart)
    assert chart.has_data
    assert_valid_vega_lite(chart.spec)
    assert inline_values(chart.spec)
    assert chart.spec["description"] == chart.description
    assert chart.title and chart.description and chart.id
    assert all(len(row) == len(chart.columns) for row in chart.rows)


@pytest.mark.parametrize("kind", BUILDERS)
def test_each_chart_is_valid_vega_lite_right_to_left_too(kind: str) -> None:
    # The charts module skips Altair's validation at request time (a third of the client page's time), so the
    # schema is checked here, in a right-to-left language as well: its titles and legend layout are rewritten.
    build, data = BUILDERS[kind]
    with translation.override("ar"):
        chart = build(data())
    legend = chart.spec["config"]["legend"]
    assert legend["titleAnchor"] == "end"
    # Vega's own legend layout, which Vega-Lite passes through but its schema types only as an expression: the
    # one key left out of the check.
    assert legend.pop("layout") == {"bottom": {"anchor": "end"}, "top": {"anchor": "end"}}
    assert_valid_vega_lite(chart.spec)
    assert all(
        t.startswith(charts.RLI)
        for t in re.findall(r'"title": "([^"]*)"', json.dumps(chart.spec, ensure_ascii=False))
        if t
    )


@pytest.mark.parametrize("kind", BUILDERS)
def test_empty_input_says_so_and_never_crashes(kind: str) -> None:
    build, _ = BUILDERS[kind]
    chart = build([])
    assert not chart.has_data
    assert "no data yet" in chart.description.lower()
    assert chart.rows == []
    assert chart.columns
    assert_valid_vega_lite(chart.spec)
    html = render_to_string("charts/_chart.html", {"chart": chart})
    assert "No data yet." in html
    assert "data-chart" not in html  # nothing to draw
    assert "<table" not in html


def test_engagement_lines_skip_none_and_table_has_a_row_per_week() -> None:
    rows = engagement_rows()
    chart = charts.engagement_over_time(rows)
    values = inline_values(chart.spec)
    assert len(values) == sum(1 for r in rows if r["value"] is not None)
    assert {v["source"] for v in values} == {"Objective", "Client", "Therapist", "Combined"}
    assert chart.columns == ["Week", "Objective", "Client", "Therapist", "Combined"]
    assert len(chart.rows) == len(WEEKS)
    assert chart.rows[0] == ["6 Jan", "40", "50", "75", "56"]
    assert chart.rows[2][2] == "—"  # the client's missing rating
    assert chart.spec["encoding"]["y"]["scale"]["domain"] == [0, 100]
    assert "4 = 100" in chart.spec["encoding"]["y"]["axis"]["title"]


def test_engagement_with_only_missing_values_keeps_the_table() -> None:
    chart = charts.engagement_over_time([{"week": MONDAY, "source": "client", "value": None}])
    assert not chart.has_data
    assert "no data yet" in chart.description.lower()
    assert chart.rows == [["6 Jan", "—"]]
    assert_valid_vega_lite(chart.spec)


def test_week_axis_is_readable_on_a_phone() -> None:
    weeks = [MONDAY + timedelta(weeks=i) for i in range(26)]
    chart = charts.index_bars([{"week": w, "value": 50.0} for w in weeks])
    axis = chart.spec["encoding"]["x"]["axis"]
    assert len(axis["values"]) <= charts.MAX_DATE_LABELS
    assert '"2025-01-06": "6 Jan"' in axis["labelExpr"]  # dates as "d MMM"
    assert axis["labelAngle"] == 0
    # every week keeps its place on the axis, even without data
    assert len(chart.spec["encoding"]["x"]["scale"]["domain"]) == 26


def test_calendar_grid_marks_planned_days_not_done() -> None:
    days = calendar_days()
    chart = charts.practice_calendar(days)
    values = inline_values(chart.spec)
    assert len(values) == len(days)
    assert {v["weekday"] for v in values} == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert {v["week"] for v in values} == {"2025-01-06", "2025-01-13", "2025-01-20"}
    missed = [v for v in values if v["missed"]]
    assert len(missed) == 2  # 8 Jan (Wed) and 13 Jan (Mon): planned, nothing done
    outline_layer = chart.spec["layer"][1]
    assert outline_layer["transform"][0] == {"filter": "datum.missed"}
    assert outline_layer["mark"]["filled"] is False
    assert chart.columns == ["Week", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert chart.rows[0] == ["6 Jan", "2", "0", "·", "0", "2", "0", "0"]
    assert chart.rows[1][:2] == ["13 Jan", "·"]
    assert len(chart.rows) == 3
    assert "2 planned days not done" in chart.description


def test_calendar_fills_missing_days_and_weeks_in_the_table() -> None:
    days = [
        {"date": date(2025, 1, 8), "done": 1, "planned": True},
        {"date": date(2025, 1, 22), "done": 5, "planned": False},
    ]
    chart = charts.practice_calendar(days)
    assert [r[0] for r in chart.rows] == ["6 Jan", "13 Jan", "20 Jan"]
    assert chart.rows[0] == ["6 Jan", "—", "—", "1", "—", "—", "—", "—"]
    assert chart.rows[1][1:] == ["—"] * 7
    assert [v["level"] for v in inline_values(chart.spec)] == ["1", "4+"]


def test_quality_scatter_skips_points_without_both_numbers() -> None:
    points = quality_points()
    chart = charts.quality_vs_quantity(points)
    values = inline_values(chart.spec)
    assert [v["label"] for v in values] == ["Thought record", "Exposure", "Walk"]
    assert len(chart.rows) == len(points)
    assert chart.rows[2] == ["Diary", "Client", "—", "2.0"]
    assert chart.rows[3] == ["Breathing", "Client", "100", "—"]
    enc = chart.spec["encoding"]
    assert enc["x"]["scale"]["domain"] == [0, 100]
    assert enc["y"]["scale"]["domain"] == [0, 4]
    # an unknown source still gets its own colour, after the known ones
    assert enc["color"]["scale"]["domain"] == ["Client", "Therapist", "Peer rater"]
    assert len(set(enc["color"]["scale"]["range"])) == 3


def test_index_bars_table_matches_input() -> None:
    rows = index_rows()
    chart = charts.index_bars(rows)
    assert len(inline_values(chart.spec)) == len(rows) - 1
    assert len(chart.rows) == len(rows)
    assert chart.rows[3] == ["27 Jan", "—"]
    assert chart.rows[0] == ["6 Jan", "20"]
    assert "latest index 80 of 100" in chart.description


def test_source_colours_are_colour_blind_safe_and_stable() -> None:
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(charts.SOURCE_COLOURS.values()) <= okabe_ito
    assert set(charts.EXTRA_COLOURS) <= okabe_ito
    a = charts.engagement_over_time(engagement_rows()).spec["encoding"]["color"]["scale"]
    b = charts.quality_vs_quantity(quality_points()).spec["encoding"]["color"]["scale"]
    assert (
        dict(zip(a["domain"], a["range"], strict=True))["Client"]
        == dict(zip(b["domain"], b["range"], strict=True))["Client"]
    )


@pytest.mark.parametrize("kind", BUILDERS)
def test_template_renders_figure_spec_and_table(kind: str) -> None:
    build, data = BUILDERS[kind]
    chart = build(data())
    html = render_to_string("charts/_chart.html", {"chart": chart})
    assert "<figure" in html and "<figcaption" in html and chart.title in html
    assert f'data-chart="{chart.id}-spec"' in html
    match = re.search(rf'<script id="{chart.id}-spec" type="application/json">(.*?)</script>', html, re.S)
    assert match, html
    assert json.loads(match.group(1)) == chart.spec
    assert "Show the numbers" in html
    assert "<table" in html and 'class="table-wrap"' in html
    assert html.count("<tr>") == len(chart.rows) + 1
    for column in chart.columns:
        assert f'<th scope="col">{column}</th>' in html
    assert chart.description in html


def test_template_escapes_labels() -> None:
    points = [{"label": "<b>x</b></script>", "quantity_pct": 50.0, "quality": 2.0, "source": "client"}]
    html = render_to_string("charts/_chart.html", {"chart": charts.quality_vs_quantity(points)})
    assert "<b>x</b>" not in html
    assert "</script>" not in html.split('type="application/json">', 1)[1].split("</script>", 1)[0]


def test_vendored_vega_files_exist_and_are_included() -> None:
    for name in VENDORED:
        path = VENDOR / name
        assert path.is_file(), name
        head = path.read_text(encoding="utf-8")[:400]
        assert "globalThis" in head  # the UMD browser build, which defines a global
        # no dangling source map: manifest static storage would fail at collectstatic
        assert "sourceMappingURL" not in path.read_text(encoding="utf-8")
    licenses = (VENDOR / "LICENSES.txt").read_text(encoding="utf-8")
    for name in [*VENDORED, "htmx-2.0.11.min.js"]:
        assert name in licenses
    assert "BSD-3-Clause" in licenses and "0BSD" in licenses

    html = render_to_string("charts/_scripts.html")
    srcs = re.findall(r'<script nonce="[^"]*" src="([^"]+)" defer></script>', html)
    assert srcs == [f"/static/vendor/{n}" for n in VENDORED] + ["/static/js/charts.js"]
    assert (ROOT / "static" / "js" / "charts.js").is_file()
    assert "http" not in html  # no CDN


def test_charts_js_draws_with_vega_embed() -> None:
    js = (ROOT / "static" / "js" / "charts.js").read_text(encoding="utf-8")
    assert "[data-chart]" in js
    assert "htmx:afterSwap" in js and "DOMContentLoaded" in js
    assert 'actions: false, renderer: "svg"' in js


def test_specs_are_checked_against_the_schema_where_the_setting_asks(settings: Any) -> None:
    import altair as alt
    from altair.utils.schemapi import SchemaValidationError

    # Built without complaint (Altair's check as each object is made is off), refused by the whole-spec check.
    broken = (
        alt.Chart(alt.Data(values=[{"x": 1}]))
        .mark_point()
        .encode(x=alt.X("x:Q", axis=alt.Axis(labelAngle="up")))
    )
    settings.EMOTIPAL_VALIDATE_CHARTS = True
    with pytest.raises(SchemaValidationError):
        charts.spec_dict(broken)
    settings.EMOTIPAL_VALIDATE_CHARTS = False  # production: no check per request
    assert charts.spec_dict(broken)["encoding"]["x"]["axis"]["labelAngle"] == "up"
