"""Forest and funnel plots: valid SVG with the expected marks, and Vega-Lite specs that validate."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import altair as alt
import numpy as np
import pytest
from meta_bcg_reference import load_bcg

from emotipal.analysis.meta import fisher_z, log_risk_ratio, meta_analysis, subgroup_analysis, z_to_r
from emotipal.analysis.meta.plots import (
    forest_data,
    forest_spec,
    forest_svg,
    funnel_data,
    funnel_spec,
    funnel_svg,
)
from emotipal.analysis.meta.plots.scale import nice_ticks, tick_label

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def bcg_fit():
    bcg = load_bcg()
    es = log_risk_ratio(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)
    labels = [f"{a} ({int(y)})" for a, y in zip(bcg.author, bcg.year, strict=True)]
    return bcg, es, meta_analysis(es.yi, es.vi), labels


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))  # noqa: S314 - our own output, not untrusted XML
    assert root.tag == f"{SVG}svg"
    return root


def test_forest_svg_has_a_row_per_study_and_a_diamond(bcg_fit):
    _, _, res, labels = bcg_fit
    root = _parse(forest_svg(forest_data(res, labels, xlabel="Log risk ratio")))
    squares = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#222"]
    assert len(squares) == 13
    assert len(list(root.iter(f"{SVG}polygon"))) == 1  # the pooled diamond
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Ferguson & Simes (1949)" in texts  # '&' escaped on output, intact after parsing
    assert "Log risk ratio" in texts
    assert any(t and t.startswith("-0.71 [-1.07, -0.36]") for t in texts)


def test_forest_square_area_is_proportional_to_weight(bcg_fit):
    _, _, res, labels = bcg_fit
    root = _parse(forest_svg(forest_data(res, labels)))
    sides = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("fill") == "#222"]
    w = res.weights_percent
    areas = np.array(sides) ** 2
    ratio = areas / w
    heavy = w > w.max() / 20  # tiny squares are held at a minimum size to stay visible
    assert np.allclose(ratio[heavy], ratio[heavy][0], rtol=1e-2)  # sizes are written with 2 decimals


def test_forest_with_subgroups_and_r_scale():
    bcg = load_bcg()
    es = log_risk_ratio(bcg.tpos, bcg.tneg, bcg.cpos, bcg.cneg)
    res = meta_analysis(es.yi, es.vi)
    sub = subgroup_analysis(es.yi, es.vi, bcg.alloc, name="alloc")
    data = forest_data(res, bcg.author, subgroups=sub, groups=bcg.alloc)
    kinds = [r.kind for r in data.rows]
    assert kinds.count("header") == 3 and kinds.count("summary") == 4 and kinds.count("study") == 13
    assert len({r.label for r in data.rows}) == len(data.rows)  # duplicate author names made unique
    root = _parse(forest_svg(data))
    assert len(list(root.iter(f"{SVG}polygon"))) == 4

    cor = fisher_z([0.2, 0.4, 0.1], [50, 30, 80])
    fz = meta_analysis(cor.yi, cor.vi)
    rows = forest_data(fz, transform=lambda z: float(z_to_r(z)), xlabel="r").rows
    assert rows[0].estimate == pytest.approx(0.2)
    assert rows[-1].estimate == pytest.approx(math.tanh(fz.estimate))


def test_funnel_svg_points_and_inverted_axis(bcg_fit):
    _, _, res, labels = bcg_fit
    data = funnel_data(res, labels, "Log risk ratio")
    root = _parse(funnel_svg(data))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 13
    # Larger standard error -> further down the page (SVG y grows downwards).
    order = np.argsort(data.sei)
    ys = np.array([float(c.get("cy")) for c in circles])
    assert np.all(np.diff(ys[order]) >= 0)
    assert any(t.text == "Standard error" for t in root.iter(f"{SVG}text"))


def test_vega_lite_specs_validate_with_altair(bcg_fit):
    bcg, es, res, labels = bcg_fit
    sub = subgroup_analysis(es.yi, es.vi, bcg.alloc, name="alloc")
    forest = forest_spec(forest_data(res, labels, subgroups=sub, groups=bcg.alloc))
    funnel = funnel_spec(funnel_data(res, labels))
    alt.LayerChart.from_dict(forest)  # raises if the spec violates the Vega-Lite schema
    alt.LayerChart.from_dict(funnel)
    assert len(forest["data"]["values"]) == 13 + 3 + 4
    assert funnel["layer"][2]["encoding"]["y"]["scale"]["reverse"] is True


def test_nice_ticks_cover_the_range():
    ticks = nice_ticks(-2.45, 1.88)
    assert ticks[0] <= -2.45 and ticks[-1] >= 1.88
    assert 4 <= len(ticks) <= 8
    assert np.allclose(np.diff(ticks), ticks[1] - ticks[0])
    assert tick_label(-0.5, [-1.0, -0.5, 0.0]) == "\u22120.5"
    assert tick_label(0.0, [-0.25, 0.0, 0.25]) == "0"
    assert nice_ticks(1.0, 1.0)[0] < 1.0 < nice_ticks(1.0, 1.0)[-1]
