"""A fear ladder in Chromium: built, a step split into smaller ones, two practices logged against steps, and
the exposure charts show them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from emotipal.homework import services
from emotipal.homework.models import Entry, LadderStep
from tests.browser_helpers import PHONE, log_in, open_menu
from tests.factories import build_world, plan_for


def practise(page: Page, base: str, assignment_id: int, step_label: str, peak: str, after: str) -> None:
    page.goto(f"{base}/homework/{assignment_id}/")
    page.select_option("#ladder-step", label=step_label)
    page.fill("[name='a.situation']", "Lift at work")
    page.fill("[name='a.suds_before']", "50")
    page.fill("[name='a.suds_peak']", peak)
    page.fill("[name='a.suds_after']", after)
    page.get_by_role("button", name="I've done it — send").click()
    expect(page.get_by_text("Sent.")).to_be_visible()


def test_build_split_practise_and_chart(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    base = live_server.url

    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    open_menu(client)
    client.get_by_role("link", name="Ladders").click()
    client.fill("#title", "Lifts")
    client.get_by_role("button", name="Start a ladder").click()
    for text, distress in (
        ("Ride the lift one floor with a friend", "40"),
        ("Ride the lift to the top alone", "85"),
    ):
        client.fill("#description", text)
        client.fill("#expected_distress", distress)
        client.get_by_role("button", name="Add step").click()
        expect(client.get_by_text("Step added.")).to_be_visible()
    # Expected distress is encrypted at rest: found in Python, not by a database filter.
    [top] = [s for s in LadderStep.objects.all() if s.expected_distress == 85]
    step_card = client.locator(f"#step-{top.pk}")
    step_card.get_by_text("Too big? Split it into smaller steps").click()
    step_card.locator("[name=part_0]").fill("Ride two floors alone")
    step_card.locator("[name=distress_0]").fill("60")
    step_card.get_by_role("button", name="Add smaller steps").click()
    expect(client.get_by_text("There is always a smaller step.")).to_be_visible()
    assert (
        next(s for s in LadderStep.objects.all() if s.expected_distress == 60).parent == top
    )  # descriptions are encrypted: no lookups

    practise(client, base, assignment.pk, "Lifts · 1. Ride the lift one floor with a friend (40)", "70", "30")
    practise(client, base, assignment.pk, "Lifts · 2. Ride two floors alone (60)", "65", "35")
    assert Entry.objects.filter(ladder_step__isnull=False).count() == 2

    therapist = browser.new_page(viewport={"width": 1200, "height": 900})
    log_in(therapist, base, world.therapist.email)
    therapist.goto(f"{base}/ladders/?client={world.client_a.pk}")
    therapist.get_by_role("link", name="Lifts").click()
    figure = therapist.locator("figure", has_text="Peak distress per practice")
    expect(figure.locator("svg").first).to_be_visible()
    figure.get_by_text("Show the numbers").click()
    expect(figure.locator("tbody tr")).to_have_count(2)
    drop = therapist.locator("figure", has_text="coming down within each practice")
    expect(drop).to_contain_text("Average drop from peak to end: 35 points over 2 practices.")
