"""Charts in Arabic at phone width (375 px): right-to-left labels that read, axis numbers in full, legends that
do not overlap the plot or each other. Checked on the drawn SVG's text boxes, with a screenshot to look at."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from emotipal.accounts.models import User
from emotipal.homework import services
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, complete_thought_record, plan_for

SCREENSHOTS = Path(os.environ.get("EMOTIPAL_SCREENSHOTS", "/tmp"))

# Every text element of every drawn chart with its box on the page, the box of its SVG and the text itself.
TEXT_BOXES = """() => Array.from(document.querySelectorAll('.chart-plot svg')).map(svg => {
  const s = svg.getBoundingClientRect();
  return {
    chart: svg.closest('figure').id,
    svg: {left: s.left, right: s.right, top: s.top, bottom: s.bottom},
    texts: Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim()).map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
              legend: !!t.closest('.role-legend')};
    }),
  };
})"""


def months_of_practice(world: Any) -> None:
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=6)
    plan = plan_for(world.thought_record, start_date=start, end_date=today + dt.timedelta(days=7))
    assignment = services.assign_homework(world.therapist, world.client_a, plan)
    for days in range(0, 42, 3):
        services.submit_entry(
            world.client_a.user,
            assignment.pk,
            services.Submission(
                complete_thought_record(),
                days % 5,
                2,
                3,
                idempotency_key=f"d{days}",
                practice_date=start + dt.timedelta(days=days),
            ),
        )


def overlapping(texts: list[dict[str, Any]], slack: float = 1.0) -> list[tuple[str, str]]:
    pairs = []
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if (
                min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
                and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack
            ):
                pairs.append((a["text"], b["text"]))
    return pairs


def check_charts(page: Page, name: str) -> list[dict[str, Any]]:
    expect(page.locator(".chart-plot svg").first).to_be_visible()
    page.wait_for_timeout(500)  # vega-embed draws each chart in turn, and again once it has its width
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    figures = page.locator("figure.chart:has(.chart-plot svg)")
    for i in range(figures.count()):  # one picture per chart, large enough to read
        figures.nth(i).screenshot(path=str(SCREENSHOTS / f"{name}-{i}.png"))
    drawn = page.evaluate(TEXT_BOXES)
    assert drawn, "no chart drawn"
    for chart in drawn:
        texts, box = chart["texts"], chart["svg"]
        assert texts, chart["chart"]
        assert not overlapping(texts), (chart["chart"], overlapping(texts))
        outside = [t["text"] for t in texts if t["left"] < box["left"] - 1 or t["right"] > box["right"] + 1]
        assert not outside, (chart["chart"], "cut off at the sides", outside)
        assert not [t["text"] for t in texts if "…" in t["text"]], (chart["chart"], "truncated")
        legend = [t for t in texts if t["legend"]]
        if legend:  # legends start on the right, where a right-to-left reader begins
            assert box["right"] - max(t["right"] for t in legend) < 40, (
                chart["chart"],
                "legend not on the right",
            )
            plot_bottom = max(t["bottom"] for t in texts if not t["legend"])
            assert all(t["top"] >= plot_bottom - 1 for t in legend if t["top"] > box["top"] + 40), chart[
                "chart"
            ]
    return drawn


def test_arabic_charts_at_phone_width(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    months_of_practice(world)
    User.objects.filter(pk=world.therapist.pk).update(language="ar")
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, world.therapist.email)
    page.goto(f"{live_server.url}/clients/{world.client_a.pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#research-detail > summary").click()  # the charts sit in the folded research detail
    drawn = check_charts(page, "arabic-charts-client-detail")
    assert len(drawn) >= 3
    assert any(t["legend"] for chart in drawn for t in chart["texts"]), "no legend found to check"
