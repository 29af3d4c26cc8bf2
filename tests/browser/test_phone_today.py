"""Today at phone width in English, Spanish and Arabic: a topbar on one line whose menu folds behind a
button (keyboard too), Help now one tap away, one next step, no sideways scrolling, an opaque save bar."""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.accounts.models import User
from emotipal.homework import services
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for

LANGUAGES = ["en", "es", "ar"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_today_fits_a_phone_in_each_language(
    transactional_db: Any, live_server: Any, browser: Any, language: str
) -> None:
    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    User.objects.filter(pk=world.client_a.user_id).update(language=language)
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    log_in(page, live_server.url, world.client_a.user.email)
    page.goto(f"{live_server.url}/today/")

    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # One line: the brand, Help now and the Menu button share a row, and the list itself is folded away.
    bar = page.locator(".topbar").bounding_box()
    assert bar is not None and bar["height"] < 70
    toggle = page.locator(".menu-toggle")
    assert toggle.is_visible() and page.locator(".quick-help").is_visible()
    assert not page.locator("#main-nav").is_visible()
    assert page.locator(".next-step").count() == 1

    # Keyboard only: focus the button, open with Enter, the links are there; Escape closes and keeps focus.
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#main-nav").is_visible()
    assert page.locator("#main-nav a[href='/settings/']").is_visible()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#main-nav").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")

    # Help now from the quick link: a heading, tappable numbers and a way back.
    page.locator(".quick-help").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").count() == 1
    assert page.locator("a[href^='tel:']").count() >= 1

    # The exercise: the sticky save bar hides what scrolls under it, and nothing scrolls sideways.
    page.goto(f"{live_server.url}/homework/{assignment.pk}/")
    background = page.evaluate("getComputedStyle(document.querySelector('.savebar')).backgroundColor")
    assert background.startswith("rgb("), background  # rgba(...) would let the text show through
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_wide_screen_shows_the_whole_menu(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    log_in(page, live_server.url, world.client_a.user.email)
    page.goto(f"{live_server.url}/today/")
    assert page.locator("#main-nav").is_visible()
    assert not page.locator(".menu-toggle").is_visible()
    context.close()


def test_schedule_it_with_a_reminder_asks_for_time_and_place(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    from emotipal.homework import reviews
    from emotipal.platform import clock

    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    barrier = reviews.report_barrier(
        world.client_a.user, assignment.pk, clock.client_today(world.client_a), "forgot"
    )
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, live_server.url, world.client_a.user.email)
    page.goto(f"{live_server.url}/obstacles/{barrier.pk}/")
    assert not page.locator("#schedule-fields").is_visible()  # asked only for that strategy
    page.locator("input[value=schedule_reminder]").check()
    assert page.locator("#schedule-fields").is_visible()
    page.fill("#practice_time", "18:30")
    page.fill("#practice_place", "Kitchen table")
    page.click(".strategy-form button[type=submit]")
    page.wait_for_url("**/today/")
    assert "The reminder will come then." in page.locator(".messages").inner_text()
    assignment.refresh_from_db()
    assert assignment.practice_place == "Kitchen table"
    context.close()
