"""On a phone, in Spanish: a client opens their study invitation from settings, ticks scopes, types their name,
signs and sees the signed copy; then withdraws in settings and sees the withdrawn state."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from emotipal.research.models import ConsentRecord, Participant, ParticipantState
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world
from tests.research.study_factory import make_study


def test_consent_and_withdrawal_on_a_phone_in_spanish(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    from emotipal.research.actions.enrollment import invite

    world = build_world()
    user = world.client_a.user
    user.language = "es"
    user.save()
    study = make_study(world)
    participant = invite(world.therapist, study, world.client_a)
    base = live_server.url

    page = browser.new_page(viewport=PHONE, locale="es")
    log_in(page, base, user.email)
    page.goto(f"{base}/settings/")
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.locator("#settings-links .badge")).to_have_text("1")
    page.locator("#settings-links a").first.click()
    page.locator(f"a[href='/research/my/{participant.pk}/']").first.click()
    expect(page.locator(".consent-text")).to_contain_text("qué partes de las tareas")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("input[name=scopes]:checked").count() == 0
    page.check("input[name=scopes][value=data]")
    page.check("input[name=scopes][value=recontact]")
    page.fill("#typed_name", "Ana Cliente")
    page.locator("#sign").click()
    page.wait_for_url("**/signed/*/")
    expect(page.locator("#signed-name")).to_have_text("Ana Cliente")
    record = ConsentRecord.objects.get(participant=participant)
    expect(page.locator("#signed-copy")).to_contain_text(record.text_hash)
    assert record.scopes == ["data", "recontact"] and record.document.language == "es"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"{base}/settings/")
    page.locator("#settings-links a").first.click()
    page.locator(f"a[href='/research/my/{participant.pk}/']").first.click()
    page.fill("#reason", "Demasiadas cosas ahora")
    page.locator("#withdraw").click()
    expect(page.locator("#withdrawn")).to_be_visible()
    expect(page.locator("#withdraw")).to_have_count(0)
    participant.refresh_from_db()
    assert participant.state == ParticipantState.WITHDRAWN
    assert Participant.objects.get(pk=participant.pk).withdrawal_policy == study.withdrawal_policy
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
