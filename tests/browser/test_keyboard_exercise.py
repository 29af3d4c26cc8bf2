"""An exposure practice done with the keyboard alone (Tab, Shift+Tab, Space, Enter, arrow keys), in Chromium:
the 0-100 distress scales move with the arrow keys and say their value, the timer starts, pauses, resumes and
stops with its state announced (not every second) and a visible focus ring, and the entry is sent."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from emotipal.homework import services
from emotipal.homework.models import Entry
from tests.browser_helpers import log_in
from tests.factories import build_world, plan_for

DESKTOP = {"width": 1280, "height": 900}


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused: it is reached by the keyboard in the page's own order."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with Tab")


def focus_ring(page: Page) -> tuple[bool, str]:
    """Whether the focused element shows the keyboard focus ring (:focus-visible), and its outline style."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return [e.matches(':focus-visible'), getComputedStyle(e).outlineStyle]; }"
    )


def test_an_exposure_practice_done_with_the_keyboard_alone(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    base = live_server.url
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, base, world.client_a.user.email)
    page.goto(f"{base}/homework/{assignment.pk}/")

    tab_to(page, "[name='a.situation']")
    page.keyboard.type("Taking the lift to the fifth floor")

    # The scale: typed, then moved by the arrow keys; what a screen reader hears comes with it.
    scale = page.locator("[name='a.suds_before']")
    tab_to(page, "[name='a.suds_before']")
    page.keyboard.type("60")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    expect(scale).to_have_value("61")
    expect(scale).to_have_attribute("aria-valuetext", "61 of 100")
    described = (scale.get_attribute("aria-describedby") or "").split()
    anchors = page.locator(f"#{described[-1]}")
    expect(anchors).to_contain_text("100 = The most distress I can imagine")  # the anchors are read with it
    for name, value in (("suds_peak", "85"), ("suds_after", "30")):
        tab_to(page, f"[name='a.{name}']")
        page.keyboard.type(value)

    # The timer, by keyboard: Enter starts it and the focus moves to Pause (Start is hidden now).
    timer = page.locator("[data-timer-for]").first
    status = timer.locator(".timer-status")
    expect(timer.locator(".timer-clock")).to_have_attribute("role", "timer")  # silent: not read every second
    tab_to(page, ".timer-start")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Timer running")
    assert page.evaluate("document.activeElement.classList.contains('timer-pause')")
    visible, outline = focus_ring(page)
    assert visible and outline != "none"
    page.wait_for_timeout(1300)
    page.keyboard.press("Space")  # pause
    expect(status).to_contain_text("Timer paused at 00:01")
    paused_at = timer.locator(".timer-clock").text_content()
    page.wait_for_timeout(1200)
    expect(timer.locator(".timer-clock")).to_have_text(paused_at or "")  # paused really stops the clock
    expect(timer.locator(".timer-pause")).to_have_text("Resume")
    page.keyboard.press("Enter")  # resume
    expect(status).to_have_text("Timer running")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('timer-stop')")
    page.keyboard.press("Enter")
    field = page.locator("#" + (timer.get_attribute("data-timer-for") or ""))
    expect(field).to_have_value("1")
    expect(status).to_have_text("Timer stopped: 1 minutes filled in.")
    assert page.evaluate("document.activeElement.classList.contains('timer-start')")  # focus is not lost

    # A rating: Tab into the radio group, the arrow keys choose; then Enter on the send button.
    tab_to(page, "[name=effort]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    checked = page.locator("[name=effort]:checked")
    expect(checked).to_have_count(1)
    effort = int(checked.get_attribute("value") or "-1")
    tab_to(page, "#submit-entry")
    visible, outline = focus_ring(page)
    assert visible and outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/entries/*/?sent=1")
    entry = Entry.objects.get(status=Entry.Status.SUBMITTED)
    assert entry.answers["suds_before"] == 61 and entry.answers["actual_minutes"] == 1
    assert entry.answers["situation"] == "Taking the lift to the fifth floor"
    assert entry.effort == effort
