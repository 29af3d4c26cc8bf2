"""The guided assign flow in Chromium: low confidence leads to a smaller task before saving; the client sees the
summary on Today (375 px) and confirms the reason; the therapist sees the confirmation in the next session."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from emotipal.homework import reviews
from emotipal.homework.models import Assignment
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world

LAPTOP = {"width": 1280, "height": 900}
SHOTS = os.environ.get("EMOTIPAL_SCREENSHOTS")  # a folder: screenshots of the pages are written there


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_low_confidence_leads_to_a_smaller_task_and_the_client_confirms_the_reason(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    # Last week's session; the next one is today (two sessions on one date are refused).
    reviews.record_session(world.therapist, world.client_a, timezone.localdate() - dt.timedelta(days=7))
    base = live_server.url

    therapist = browser.new_page(viewport=LAPTOP)
    log_in(therapist, base, world.therapist.email)
    therapist.goto(f"{base}/clients/{world.client_a.pk}/assign/")
    expect(therapist.get_by_text("No homework was due for review in this session")).to_be_visible()
    therapist.select_option("select[name=template_version]", label="Thought record")
    # htmx swaps in the exercise's preview and its own versions.
    expect(therapist.locator(".exercise-preview summary")).to_contain_text("Thought record")
    expect(therapist.locator("select[name=variant] option[value=family-es]")).to_have_count(1)
    therapist.fill("input[name=goal]", "Feel less dread on Sunday evenings")
    therapist.fill("textarea[name=rationale]", "To catch the thoughts that come with the Sunday dread.")
    therapist.fill("textarea[name=instructions]", "One thought record when the dread starts.")
    therapist.fill("input[name=practice_time]", "19:00")
    therapist.fill("input[name=practice_place]", "The sofa, phone in hand")
    therapist.fill("input[name=times_per_week]", "6")
    therapist.fill("input[name=minutes_per_practice]", "20")
    therapist.fill("textarea[name=obstacles]", "Too tired after dinner")
    therapist.fill("textarea[name=backup_plan]", "Do it on the bus home instead")
    therapist.fill("input[name=confidence]", "4")
    therapist.get_by_role("button", name="Save the homework").click()

    expect(therapist.get_by_text("4 out of 10: let's make it smaller first.")).to_be_visible()
    assert not Assignment.objects.exists()
    shot(therapist, "assign-gate-1280")
    therapist.get_by_role("button", name="A first small step").click()
    expect(therapist.get_by_text("Ask the client again how confident they are now.")).to_be_visible()
    expect(therapist.locator("input[name=minutes_per_practice]")).to_have_value("5")
    expect(therapist.locator("input[name=times_per_week]")).to_have_value("3")
    expect(therapist.locator("textarea[name=summary]")).to_contain_text("How long: 5 minutes")
    therapist.fill("input[name=confidence]", "6")
    therapist.get_by_role("button", name="Save the homework").click()
    expect(therapist.get_by_text("6 out of 10: let's make it smaller first.")).to_be_visible()
    therapist.get_by_label("We made it smaller together; the client's confidence stays at 6.").check()
    therapist.get_by_role("button", name="Save the homework").click()
    expect(therapist.get_by_text("Assigned Thought record")).to_be_visible()
    assignment = Assignment.objects.get()
    assert (assignment.confidence, assignment.made_smaller, assignment.minutes_per_practice) == (6, True, 5)
    assert "Where: The sofa, phone in hand" in assignment.summary

    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    client.goto(f"{base}/today/")
    expect(client.get_by_text("Where: The sofa, phone in hand").first).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    client.get_by_role("link", name="Your plan: check the reason and add it to your calendar").first.click()
    expect(client.get_by_role("link", name="Add the practice times to my calendar")).to_be_visible()
    shot(client, "plan-375")
    client.get_by_role("button", name="Yes, that is why I am doing it").click()
    expect(client.get_by_text("Thank you for confirming why you are doing this.")).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assignment.refresh_from_db()
    assert assignment.rationale_confirmed_at is not None

    # The next session: the therapist starts from this homework and sees that the client confirmed the reason.
    reviews.record_session(world.therapist, world.client_a, timezone.localdate())
    therapist.goto(f"{base}/clients/{world.client_a.pk}/assign/")
    expect(therapist.get_by_text("The client confirmed the reason as written.")).to_be_visible()
    expect(therapist.get_by_role("link", name="Review it now")).to_be_visible()
    shot(therapist, "assign-1280")
    if SHOTS:
        therapist.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
        shot(therapist, "assign-375")
        client.set_viewport_size(LAPTOP)
        shot(client, "plan-1280")
