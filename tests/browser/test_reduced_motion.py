"""prefers-reduced-motion, in Chromium: with it, nothing on the exercise page moves (no transition, animation
or smooth scrolling) and the breathing pacer's circle stays still; without it, the pacer does move, so the
check can fail."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from emotipal.homework import services
from emotipal.library.models import TemplateVersion
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for

# Every element's longest transition and animation, and the root's scroll behaviour.
MOTION = """() => {
  const seconds = v => Math.max(...v.split(',').map(s => parseFloat(s) * (s.trim().endsWith('ms') ? 0.001 : 1)));
  let longest = 0, moving = [];
  for (const e of [document.documentElement, ...document.querySelectorAll('*')]) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(e, pseudo);
      const t = Math.max(seconds(s.transitionDuration), s.animationName !== 'none' ? seconds(s.animationDuration) : 0);
      if (t > 0) { moving.push(e.className || e.tagName); }
      longest = Math.max(longest, t);
    }
  }
  return {longest, moving: moving.slice(0, 5), scroll: getComputedStyle(document.documentElement).scrollBehavior};
}"""


def start_pacer(page: Page, base: str, assignment_pk: int) -> None:
    page.goto(f"{base}/homework/{assignment_pk}/")
    page.locator(".pacer-toggle").click()
    expect(page.locator(".pacer-word")).to_have_text("Breathe in")


def test_reduced_motion_stops_transitions_animations_and_the_pacer(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    relaxation = TemplateVersion.objects.get(template__slug="relaxation")
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(relaxation))
    base = live_server.url

    moving = browser.new_page(viewport=PHONE)
    log_in(moving, base, world.client_a.user.email)
    start_pacer(moving, base, assignment.pk)
    assert moving.evaluate(MOTION)["longest"] >= 4  # the circle grows over the four seconds of breathing in
    expect(moving.locator(".pacer-circle")).to_have_class("pacer-circle grow")
    moving.close()

    still = browser.new_page(viewport=PHONE)
    still.emulate_media(reduced_motion="reduce")
    log_in(still, base, world.client_a.user.email)
    start_pacer(still, base, assignment.pk)
    motion = still.evaluate(MOTION)
    assert motion["longest"] == 0, motion["moving"]
    assert motion["scroll"] == "auto"
    circle = still.locator(".pacer-circle")
    assert circle.evaluate("e => getComputedStyle(e).transform") == "none"  # the words pace the breath alone
    assert still.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    still.close()
