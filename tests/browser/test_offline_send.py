"""Pressing send without a connection loses nothing: the answers stay on the phone, queued with their
idempotency key, and arrive exactly once when the connection is back (after a reload, or in two tabs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from emotipal.homework import services
from emotipal.homework.models import Entry
from tests.browser_helpers import PHONE, Outage, log_in, queued_entries, wait_for_worker
from tests.factories import build_world, plan_for

QUEUED = "Saved on this phone; it will be sent when you are back online."
SCREENSHOT = Path(__file__).resolve().parents[2] / ".local" / "screenshots" / "offline-send-queued.png"


def go_offline(context: BrowserContext, live_server: Any) -> None:
    """No connection, as on a phone. Chromium's offline emulation alone lets a page that is reloading or
    closing reach the server now and then, so every request is also refused while offline, and the server
    answers none (see Outage)."""
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))
    Outage.of(live_server).down = True


def go_online(context: BrowserContext, live_server: Any) -> None:
    Outage.of(live_server).down = False
    context.unroute("**/*")
    context.set_offline(False)


def fill_thought_record(page: Page) -> None:
    page.fill("[name='a.situation']", "Bus home, phone had no signal")
    page.fill("[name='a.emotions.0.emotion']", "Worry")
    page.fill("[name='a.emotions.0.intensity']", "70")
    page.fill("[name='a.thoughts.0.thought']", "Nobody will answer my message")
    page.fill("[name='a.thoughts.0.belief']", "65")
    page.locator("label:has(input[name=effort][value='3'])").click()


def fill_exposure(page: Page) -> None:
    page.fill("[name='a.situation']", "Lift at work, in the basement")
    page.fill("[name='a.suds_before']", "50")
    page.fill("[name='a.suds_peak']", "80")
    page.fill("[name='a.suds_after']", "30")


def submitted(assignment: Any) -> list[Entry]:
    return list(Entry.objects.filter(assignment=assignment, status=Entry.Status.SUBMITTED))


def test_offline_send_survives_reload_and_arrives_once(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, base, world.client_a.user.email)
    wait_for_worker(page)
    page.goto(f"{base}/homework/{assignment.pk}/")
    expect(page.locator("[name='a.situation']")).to_be_visible()

    go_offline(context, live_server)
    fill_thought_record(page)
    page.get_by_role("button", name="I've done it — send").click()
    # Still the exercise page (not the browser's offline page), saying plainly where the answers are.
    expect(page.locator("#draft-status")).to_have_text(QUEUED)
    expect(page.locator("[name='a.situation']")).to_have_value("Bus home, phone had no signal")
    expect(page.get_by_role("button", name="I've done it — send")).to_be_enabled()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert submitted(assignment) == []

    # A reload without a connection opens the service worker's copy of the page, with the queued answers.
    page.reload(timeout=5_000)
    expect(page.locator("#draft-status")).to_have_text(QUEUED)
    expect(page.locator("[name='a.situation']")).to_have_value("Bus home, phone had no signal")
    page.close()
    assert submitted(assignment) == []

    # Back online, any page of the app sends what was queued, once.
    go_online(context, live_server)
    today = context.new_page()
    today.goto(f"{base}/today/")
    expect(today.locator("#outbox-status")).to_have_text(
        f"Sent: {assignment.template_version.title}", timeout=10_000
    )
    entries = submitted(assignment)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.answers["situation"] == "Bus home, phone had no signal"
    assert entry.answers["emotions"] == [{"emotion": "Worry", "intensity": 70}]
    assert entry.answers["thoughts"] == [{"thought": "Nobody will answer my message", "belief": 65}]
    assert entry.effort == 3 and entry.idempotency_key

    # Nothing is left to send: the exercise page opens fresh, and opening pages sends nothing again.
    assert queued_entries(today) == []
    today.goto(f"{base}/homework/{assignment.pk}/")
    expect(today.locator("#draft-status")).not_to_have_text(QUEUED)
    today.goto(f"{base}/today/")
    today.wait_for_load_state("networkidle")
    assert len(submitted(assignment)) == 1
    # Opening the page without typing stores no draft, and no draft save of the sent answers came after the send.
    assert not Entry.objects.filter(assignment=assignment, status=Entry.Status.DRAFT).exists()
    context.close()


def test_two_offline_sends_in_two_tabs_each_arrive_once(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    exposure = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    first = context.new_page()
    log_in(first, base, world.client_a.user.email)
    wait_for_worker(first)
    first.goto(f"{base}/homework/{record.pk}/")
    second = context.new_page()
    second.goto(f"{base}/homework/{exposure.pk}/")
    expect(second.locator("[name='a.suds_peak']")).to_be_visible()

    go_offline(context, live_server)
    fill_thought_record(first)
    first.get_by_role("button", name="I've done it — send").click()
    expect(first.locator("#draft-status")).to_have_text(QUEUED)
    fill_exposure(second)
    second.get_by_role("button", name="I've done it — send").click()
    expect(second.locator("#draft-status")).to_have_text(QUEUED)
    # Pressing send again while offline keeps one queued send (same key), not two.
    second.get_by_role("button", name="I've done it — send").click()
    expect(second.locator("#draft-status")).to_have_text(QUEUED)
    queue = queued_entries(first)
    assert sorted(item["assignment"] for item in queue) == sorted([str(record.pk), str(exposure.pk)])

    # Back online, both tabs hear it and flush the same queue; each page lands on its sent page.
    go_online(context, live_server)
    expect(first.get_by_text("Sent.")).to_be_visible(timeout=10_000)
    expect(second.get_by_text("Sent.")).to_be_visible(timeout=10_000)
    first.wait_for_load_state("networkidle")
    second.wait_for_load_state("networkidle")
    assert len(submitted(record)) == 1 and len(submitted(exposure)) == 1
    assert submitted(record)[0].answers["situation"] == "Bus home, phone had no signal"
    exposure_entry = submitted(exposure)[0]
    assert exposure_entry.answers["situation"] == "Lift at work, in the basement"
    assert exposure_entry.answers["suds_peak"] == 80
    assert queued_entries(first) == []
    context.close()
