"""A micro-randomised trial's results on a phone: every table sits in a box of its own that scrolls sideways
(a table of effects with its confidence intervals can be wider than a phone, whatever this trial's numbers),
and the page itself does not scroll sideways."""

from __future__ import annotations

from typing import Any

from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world
from tests.research.test_mrt_analysis import recorded_trial

LAYOUT = """() => {
  const scrolls = t => { for (let p = t.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) { return true; } } return false; };
  const tables = [...document.querySelectorAll('table')];
  return {page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth,
          tables: tables.length, unboxed: tables.filter(t => !scrolls(t)).map(t => t.outerHTML.slice(0, 80))};
}"""


def test_the_results_of_a_trial_fit_a_phone(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    experiment, _frame, _truth = recorded_trial(world, 12, 20)
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, world.researcher.email)
    page.goto(f"{live_server.url}/research/studies/{experiment.study.slug}/experiments/{experiment.pk}/")
    assert "Effect of a reminder, averaged over decision points" in page.content()
    found = page.evaluate(LAYOUT)
    assert found["tables"] >= 1
    assert found["unboxed"] == [], found
    assert found["page"] <= found["screen"], found
    page.close()
