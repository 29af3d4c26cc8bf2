"""The compliance-outcome HTML report opens in Chromium and shows its plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emotipal.analysis.analyse_cli import main as analyse
from emotipal.analysis.simulate import main as simulate


def test_report_opens_and_shows_plots(browser: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    argv = ["--clients", "40", "--weeks", "6", "--seed", "5", "--truth-clients", "500", "--out", str(data)]
    assert simulate(argv) == 0
    report = tmp_path / "report.html"
    assert analyse([str(data), "--html", str(report), "--resamples", "200"]) == 0
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
