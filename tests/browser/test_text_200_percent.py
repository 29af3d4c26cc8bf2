"""Text at 200% (WCAG 1.4.4), in Chromium at 375 px and 1280 px: on Today, an exercise, the caseload and the
client page, the page does not scroll sideways and no button or field is cut off or lies over another one.

The root font size is doubled as a browser's text-size setting does; the site's sizes are in rem, so all text
grows with it. A data table may scroll inside its own box (WCAG 1.4.10 allows it); what is inside such a box is
not held to the screen's width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from emotipal.homework import services
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for

WIDTHS = {"phone": PHONE, "desktop": {"width": 1280, "height": 900}}
LAYOUT = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') { return true; } } return false; };
  const name = e => e.outerHTML.slice(0, 90);
  const controls = [...document.querySelectorAll('button, input, select, textarea, a.btn')].filter(e => {
    // checkVisibility: what is shown, not what sits folded in a closed <details> or is see-through.
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && e.checkVisibility({opacityProperty: true, visibilityProperty: true})
      && !inScroller(e);
  });
  const boxes = controls.map(e => [e, e.getBoundingClientRect()]);
  const outside = boxes.filter(([, r]) => r.left < -1 || r.right > width + 1).map(([e, r]) => name(e) + ' ' + r.left + '..' + r.right);
  const overlapping = [];
  for (let i = 0; i < boxes.length; i++) { for (let j = i + 1; j < boxes.length; j++) {
    const [a, r] = boxes[i], [b, q] = boxes[j];
    if (a.contains(b) || b.contains(a)) { continue; }
    const x = Math.min(r.right, q.right) - Math.max(r.left, q.left), y = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
    if (x > 2 && y > 2) { overlapping.push(name(a) + ' / ' + name(b)); }
  } }
  return {scrollWidth: document.documentElement.scrollWidth, width, outside, overlapping, controls: controls.length};
}"""


def check_at_200(page: Page, url: str) -> list[str]:
    page.goto(url)
    page.add_style_tag(content="html { font-size: 200% !important; }")
    page.wait_for_timeout(100)  # one layout pass
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 32
    found = page.evaluate(LAYOUT)
    problems = []
    if found["scrollWidth"] > found["width"]:
        problems.append(f"{url}: scrolls sideways ({found['scrollWidth']} px in {found['width']} px)")
    problems += [f"{url}: cut off: {o}" for o in found["outside"]]
    problems += [f"{url}: overlapping: {o}" for o in found["overlapping"]]
    assert found["controls"] > 0, url
    return problems


@pytest.mark.parametrize("width", list(WIDTHS))
def test_pages_work_with_text_at_200_percent(
    transactional_db: Any, live_server: Any, browser: Any, width: str
) -> None:
    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    base = live_server.url
    problems: list[str] = []

    # bypass_csp: the test adds a stylesheet, as a reader's own text-size setting would (the page's policy
    # governs the page's content, not the reader's browser settings).
    client = browser.new_page(viewport=WIDTHS[width], bypass_csp=True)
    log_in(client, base, world.client_a.user.email)
    for path in ("/today/", f"/homework/{assignment.pk}/"):
        problems += check_at_200(client, base + path)
    client.close()

    therapist = browser.new_page(viewport=WIDTHS[width], bypass_csp=True)
    log_in(therapist, base, world.therapist.email)
    for path in ("/clients/", f"/clients/{world.client_a.pk}/"):
        problems += check_at_200(therapist, base + path)
    therapist.close()
    assert not problems, "\n".join(problems)


def test_the_layout_check_finds_what_it_should(browser: Any) -> None:
    # Without this, a check that never sees a control (or measures the wrong box) would let every page pass.
    page = browser.new_page(viewport=PHONE)
    page.set_content(
        '<html lang="en"><body><button style="width: 500px">wide</button>'
        '<input style="position: absolute; top: 0; left: 0"><button style="position: absolute; top: 0; left: 0">'
        "on top</button><details><summary>s</summary><button>folded</button></details></body></html>"
    )
    found = page.evaluate(LAYOUT)
    assert found["scrollWidth"] > found["width"]
    assert len(found["outside"]) == 1 and "wide" in found["outside"][0]
    assert len(found["overlapping"]) >= 1 and "folded" not in " ".join(found["overlapping"])
    page.close()
