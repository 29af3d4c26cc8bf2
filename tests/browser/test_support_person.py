"""A support person end to end on phones (375 px): the client invites from Settings, the coach accepts from the
e-mailed link and sends encouragement, the client sees it on Today and dismisses it. axe finds no serious or
critical violation on the new pages, and none of them scrolls sideways."""

from __future__ import annotations

from typing import Any

from django.core import mail
from playwright.sync_api import Page, expect

from emotipal.homework import services
from tests.browser.axe import axe_violations, describe
from tests.browser_helpers import PHONE, log_in
from tests.factories import PASSWORD, build_world, complete_thought_record, plan_for

COACH = "cora.coach@example.org"


def _fits_and_passes_axe(page: Page, where: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{where} scrolls sideways by {overflow}px"
    found = axe_violations(page)
    assert not found, f"{where}\n{describe(found)}"


def test_client_invites_coach_accepts_and_encourages(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    services.submit_entry(
        world.client_a.user,
        assignment.pk,
        services.Submission(answers=complete_thought_record(), effort=3, difficulty=2, helpfulness=3),
    )
    base = live_server.url

    # The client finds the page in Settings and invites, sharing only the days practised.
    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    client.goto(f"{base}/settings/")
    client.get_by_role("link", name="Support person").click()
    expect(client.get_by_role("heading", name="Support person", exact=True)).to_be_visible()
    _fits_and_passes_axe(client, "/support/ (invite)")
    client.get_by_label("Their name").fill("Cora")
    client.get_by_label("Their e-mail address").fill(COACH)
    client.get_by_label("Which days I practised").check()
    client.get_by_role("button", name="Send the invitation").click()
    expect(client.get_by_text(f"Invitation sent to {COACH}.")).to_be_visible()
    expect(client.get_by_label("My weekly goal and progress")).not_to_be_checked()
    _fits_and_passes_axe(client, "/support/ (invitation sent)")

    # The coach opens the e-mailed link, chooses a password and lands on their page.
    assert len(mail.outbox) == 1
    url = next(word for word in mail.outbox[0].body.split() if "/support/accept/" in word)
    coach = browser.new_context(viewport=PHONE).new_page()
    coach.goto(url.replace("http://127.0.0.1:8000", base))
    _fits_and_passes_axe(coach, "/support/accept/")
    coach.get_by_label("Choose a password").fill(PASSWORD)
    coach.get_by_label("The same password again").fill(PASSWORD)
    coach.get_by_role("button", name="Create my account").click()
    expect(coach.get_by_role("heading", name="People I support")).to_be_visible()
    expect(coach.get_by_role("heading", name="Ana Client")).to_be_visible()
    expect(coach.locator(".support-days li.done")).to_have_count(1)  # today's practice, nothing else
    expect(coach.get_by_text("Thought record")).to_have_count(0)
    _fits_and_passes_axe(coach, "/support/coach/")

    # A message that is too long is refused with the reason; a short one is sent.
    box = coach.get_by_label("A short message of encouragement")
    box.evaluate("(el) => el.removeAttribute('maxlength')")
    box.fill("x" * 281)
    coach.get_by_role("button", name="Send").click()
    expect(coach.get_by_text("Keep the message to 280 characters (it has 281).")).to_be_visible()
    _fits_and_passes_axe(coach, "/support/coach/ (refused message)")
    coach.get_by_label("A short message of encouragement").fill("So proud of you for practising today!")
    coach.get_by_role("button", name="Send").click()
    expect(coach.get_by_text("Your message was sent.")).to_be_visible()

    # The client sees it on Today and dismisses it.
    client.goto(f"{base}/today/")
    card = client.locator("#encouragement")
    expect(card).to_contain_text("So proud of you for practising today!")
    expect(card).to_contain_text("Cora")
    _fits_and_passes_axe(client, "/today/ (encouragement)")
    card.get_by_role("button", name="Dismiss").click()
    expect(client.locator("#encouragement")).to_have_count(0)

    # Removing the coach is one button; the coach's page then shows nothing of the client.
    client.goto(f"{base}/support/")
    client.get_by_role("button", name="Remove Cora now").click()
    expect(client.get_by_text("Cora is no longer your support person.")).to_be_visible()
    coach.reload()
    expect(coach.get_by_text("Nobody shares anything with you at the moment.")).to_be_visible()
    expect(coach.get_by_role("heading", name="Ana Client")).to_have_count(0)
