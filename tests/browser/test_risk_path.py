"""The risk path in Chromium: item 9 answered with 1 shows crisis resources at once; the therapist sees the
alert and acknowledges it; an alert nobody acknowledges escalates through the task worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from emotipal.measures.models import Instrument, RiskAlert
from emotipal.measures.services import ask_now
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world


def test_item_9_alert_crisis_page_acknowledge_and_escalation(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    ask_now(world.therapist, world.client_a, phq9)
    base = live_server.url

    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    client.get_by_role("link", name="Answer").click()
    expect(client.get_by_text("Over the last 2 weeks")).to_be_visible()
    client.locator("#item-phq9_1").get_by_label("Several days").check()
    client.locator("#item-phq9_9").get_by_label("Several days").check()
    client.get_by_role("button", name="Save and finish later").click()
    # Straight to help, before anything else.
    expect(client.get_by_role("heading", name="Help, right now")).to_be_visible()
    expect(client.get_by_text("Your therapist has been sent a message")).to_be_visible()
    expect(client.get_by_text("call your local emergency number").first).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    alert = RiskAlert.objects.get()
    assert alert.items == {"phq9_9": 1}

    call_command("db_worker", "--batch", "--no-reload")  # the e-mail to the therapist goes through the worker
    assert any(world.therapist.email in m.to for m in mail.outbox)

    therapist = browser.new_page(viewport={"width": 1200, "height": 900})
    log_in(therapist, base, world.therapist.email)
    expect(therapist.locator("table tr", has_text="Ana Client").get_by_text("risk alert")).to_be_visible()
    therapist.get_by_role("link", name="Alerts").first.click()
    therapist.fill(f"#note-{alert.pk}", "Phoned Ana; safety plan reviewed, no immediate danger.")
    therapist.get_by_role("button", name="Acknowledge").click()
    expect(therapist.get_by_text("Alert acknowledged.")).to_be_visible()
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.therapist

    # A second client's alert is left alone: once its time is up, the worker escalates it to the admin.
    ask = ask_now(world.therapist, world.client_b, phq9)
    from emotipal.measures.services import save_answers

    late = save_answers(world.client_b.user, ask.pk, {"phq9_9": 2}).alert
    assert late is not None
    RiskAlert.objects.filter(pk=late.pk).update(created_at=late.created_at - dt.timedelta(hours=25))
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    # Time passes: the escalation task queued for 24 hours after the alert is due now.
    DBTaskResult.objects.filter(task_path__endswith="escalate_risk_alert").update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-reload")
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert any(world.admin.email in m.to for m in mail.outbox)
