"""The therapist pauses one homework on the client's page; it leaves the client's Today (375 px); resumed, it is
back. Real Chromium against the live server."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from emotipal.homework import services
from emotipal.homework.models import Assignment
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for


def test_pause_and_resume_one_homework(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    kept = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    paused = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url

    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    client.goto(f"{base}/today/")
    expect(client.get_by_role("heading", name="Thought record")).to_be_visible()
    expect(client.get_by_role("heading", name="Exposure practice")).to_be_visible()

    therapist = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(therapist, base, world.therapist.email)
    therapist.goto(f"{base}/clients/{world.client_a.pk}/")
    card = therapist.locator(".card", has=therapist.get_by_role("link", name="Change")).filter(
        has_text="Thought record"
    )
    card.get_by_role("button", name="Pause").click()
    expect(therapist.get_by_text("Thought record is paused")).to_be_visible()
    expect(card.get_by_text("paused since")).to_be_visible()
    assert Assignment.objects.get(pk=paused.pk).paused_at is not None

    client.reload()
    expect(client.get_by_role("heading", name="Thought record")).to_have_count(0)
    expect(client.get_by_role("heading", name="Exposure practice")).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    card.get_by_role("button", name="Resume").click()
    expect(therapist.get_by_text("Thought record is running again.")).to_be_visible()
    client.reload()
    expect(client.get_by_role("heading", name="Thought record")).to_be_visible()
    assert Assignment.objects.get(pk=kept.pk).paused_at is None
