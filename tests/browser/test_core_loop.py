"""The whole loop in Chromium: assign, do on a phone with a reload mid-way, submit, review."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from emotipal.homework.models import Entry, EntryReview
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world


def test_assign_do_with_reload_submit_and_review(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    base = live_server.url

    # The therapist assigns a thought record.
    therapist = browser.new_page(viewport={"width": 1200, "height": 900})
    log_in(therapist, base, world.therapist.email)
    expect(therapist.get_by_role("heading", name="Clients")).to_be_visible()
    therapist.get_by_role("link", name="Ana Client").last.click()
    therapist.get_by_role("link", name="Assign homework").click()
    therapist.select_option("select[name=template_version]", label="Thought record")
    therapist.fill("textarea[name=rationale]", "To catch the thoughts that come with the Sunday dread.")
    therapist.fill("input[name=times_per_week]", "7")
    therapist.fill("input[name=minutes_per_practice]", "15")
    therapist.fill("input[name=confidence]", "8")
    therapist.get_by_role("button", name="Save the homework").click()
    expect(therapist.get_by_text("Assigned Thought record")).to_be_visible()

    # The client, on a phone, starts it, types, and reloads mid-way.
    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    expect(client.get_by_role("heading", name="Due today")).to_be_visible()
    client.get_by_role("link", name="Start").click()
    client.fill("textarea[name='a.situation']", "Sunday evening, thinking about the week")
    client.fill("input[name='a.emotions.0.emotion']", "Dread")
    client.fill("input[name='a.emotions.0.intensity']", "85")
    expect(client.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    client.reload()
    expect(client.locator("textarea[name='a.situation']")).to_have_value(
        "Sunday evening, thinking about the week"
    )
    expect(client.locator("input[name='a.emotions.0.intensity']")).to_have_value("85")

    # A second thought row, then an out-of-range value: the server says what is wrong and keeps everything.
    client.fill("[name='a.thoughts.0.thought']", "The week will go badly")
    client.fill("[name='a.thoughts.0.belief']", "190")
    client.get_by_role("button", name="Add another").nth(1).click()
    client.fill("[name='a.thoughts.1.thought']", "I can't cope")
    client.fill("[name='a.thoughts.1.belief']", "60")
    client.locator("label:has(input[name=effort][value='3'])").click()
    client.get_by_role("button", name="I've done it — send").click()
    expect(client.get_by_text("Choose a value from 0 to 100.")).to_be_visible()
    expect(client.locator("[name='a.thoughts.1.thought']")).to_have_value("I can't cope")
    client.fill("[name='a.thoughts.0.belief']", "90")
    client.get_by_role("button", name="I've done it — send").click()
    expect(client.get_by_text("Sent.")).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    entry = Entry.objects.get(status=Entry.Status.SUBMITTED)
    assert entry.answers["thoughts"][1] == {"thought": "I can't cope", "belief": 60}
    assert entry.effort == 3 and entry.active_seconds > 0

    # The therapist sees it and marks it reviewed.
    therapist.goto(f"{base}/clients/{world.client_a.pk}/")
    expect(therapist.get_by_text("Not reviewed", exact=True)).to_be_visible()
    expect(therapist.locator("#clinical-summary")).to_contain_text("1 entry not reviewed")
    therapist.get_by_role("link", name="Thought record").last.click()
    expect(therapist.get_by_text("I can't cope")).to_be_visible()
    therapist.fill("textarea[name=note]", "Let's look at the 'can't cope' thought together.")
    therapist.get_by_role("button", name="Mark reviewed").click()
    expect(therapist.locator("#review-done")).to_contain_text("can't cope")
    assert EntryReview.objects.get(entry=entry).reviewer == world.therapist
