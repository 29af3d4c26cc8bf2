"""The compliance-outcome HTML report opens in Chromium and shows its plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emotipal.analysis.analyse_cli import main as analyse
from emotipal.analysis.simulate import main as simulate


def simulated_report(tmp_path: Path) -> Path:
    """The HTML report of 40 simulated clients over 6 weeks."""
    data = tmp_path / "data"
    argv = ["--clients", "40", "--weeks", "6", "--seed", "5", "--truth-clients", "500", "--out", str(data)]
    assert simulate(argv) == 0
    report = tmp_path / "report.html"
    assert analyse([str(data), "--html", str(report), "--resamples", "200"]) == 0
    return report


def test_report_opens_and_shows_plots(browser: Any, tmp_path: Path) -> None:
    report = simulated_report(tmp_path)
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(report.as_uri())
    svgs = page.locator("svg")
    assert svgs.count() >= 2  # the forest plot and the trajectories
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    assert page.locator("table").count() >= 3
    assert "Methods" in page.content()
    assert "known truth" in page.content()


def test_report_fits_a_phone_its_wide_tables_scroll_inside_their_box(browser: Any, tmp_path: Path) -> None:
    """On a 390 px screen the page itself does not scroll sideways: a table wider than the screen scrolls in
    its own box, so the text beside it stays readable."""
    report = simulated_report(tmp_path)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(report.as_uri())
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, screen: window.innerWidth,"
        " widest: Math.max(...[...document.querySelectorAll('table')].map(t => t.scrollWidth))})"
    )
    assert widths["widest"] > widths["screen"]  # the case this is about: a table wider than the phone
    assert widths["page"] <= widths["screen"], widths
    page.close()
