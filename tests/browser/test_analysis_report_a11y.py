"""The study analysis report is served as a sandboxed document (CSP `sandbox`: no scripts run in it), so the
page walk (a11y_walk.py) cannot run axe there. Its markup is checked here instead: a real report of a simulated
clinic, made by the same code the analysis task calls, is loaded into a plain page and axe runs on it."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from emotipal.analysis.analyse_cli import main
from tests.analysis.compliance_sim import dataset_dir
from tests.browser.axe import axe_violations, describe


def test_the_analysis_report_has_no_serious_accessibility_violation(tmp_path: Path, browser: Any) -> None:
    data = dataset_dir(tmp_path / "data", seed=3)
    target = tmp_path / "report.html"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([str(data), "--format", "json", "--html", str(target), "--resamples", "50"]) == 0
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_content(target.read_text(encoding="utf-8"))
    assert page.locator("svg").count() == 2  # the report with its figures, not an error page
    found = axe_violations(page)
    page.close()
    assert not found, describe(found)
