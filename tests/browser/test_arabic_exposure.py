"""In Arabic: the page runs right to left, and an exposure practice is completed with the on-page timer."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from emotipal.homework import services
from emotipal.homework.models import Entry
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for


def test_exposure_in_arabic_with_the_timer(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    user = world.client_a.user
    user.language = "ar"
    user.save()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    base = live_server.url

    page = browser.new_page(viewport=PHONE)
    log_in(page, base, user.email)
    page.goto(f"{base}/homework/{assignment.pk}/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expected_variant = "ar" if any(v["key"] == "ar" for v in world.exposure.variants) else "base"
    assert assignment.variant_key == expected_variant
    page.fill("[name='a.situation']", "ركوب المصعد")
    for name, value in (("suds_before", "60"), ("suds_peak", "85"), ("suds_after", "35")):
        page.fill(f"[name='a.{name}']", value)
    timer = page.locator("[data-timer-for]").first
    timer.locator(".timer-start").click()
    page.wait_for_timeout(1200)
    expect(timer.locator(".timer-clock")).not_to_have_text("00:00")
    timer.locator(".timer-stop").click()
    field = page.locator("#" + timer.get_attribute("data-timer-for"))
    expect(field).to_have_value("1")  # rounded up to a whole minute
    page.locator("#submit-entry").click()
    # The send is a fetch (kept on the phone until the server answers), then the page moves to the entry.
    page.wait_for_url("**/my/entries/*/?sent=1")
    entry = Entry.objects.get(status=Entry.Status.SUBMITTED)
    assert entry.answers["actual_minutes"] == 1 and entry.answers["suds_peak"] == 85
    assert entry.variant_key == expected_variant
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
