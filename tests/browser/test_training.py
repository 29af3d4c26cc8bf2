"""Training mode in Chromium at 375 px: a trainee opens a case, misses the backup plan, is told so, tries again
with every step, and sees their progress go up."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from emotipal.training.models import TrainingAttempt
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world
from tests.training.factory import full_answers, make_vignette, trainee_at

TEXT_FIELDS = (
    "learned",
    "change_next",
    "goal",
    "rationale",
    "task",
    "practice_place",
    "times_per_week",
    "minutes_per_practice",
    "obstacles",
    "backup_plan",
    "confidence",
    "summary",
)


def attempt(page: Page, answers: dict[str, str]) -> None:
    page.get_by_role("link", name="Start the session from the client's review").click()
    expect(page.locator("#self-review")).to_be_visible()
    for name in ("client_review_first", "rehearsed"):
        if name in answers:
            page.locator(f"[name={name}]").check()
    for name in ("quantity", "quality"):
        page.locator(f"label[for=id_{name}_{answers[name]}]").click()
    for name in TEXT_FIELDS:
        page.locator(f"[name={name}]").fill(answers.get(name, ""))
    page.locator("[name=practice_time]").fill(answers["practice_time"])
    page.get_by_role("button", name="Finish and see feedback").click()
    expect(page.get_by_role("heading", name="Missed")).to_be_visible()


def test_two_attempts_and_progress(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    trainee = trainee_at(world.clinic)
    vignette = make_vignette("worry-no-time")
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, trainee.email)
    expect(page).to_have_url(f"{live_server.url}/training/")
    page.get_by_role("link", name="Worry with no time").click()
    expect(page.get_by_role("heading", name="Barriers reported for missed practice")).to_be_visible()
    expect(page.locator("#self-review")).to_contain_text("What got in the way")

    attempt(page, full_answers(backup_plan=""))
    missed = page.locator("#missed-steps")
    expect(missed).to_contain_text("Backup plan")
    expect(missed).to_contain_text("A plan B was agreed for when the first plan does not work out.")
    expect(missed.locator("li")).to_have_count(1)

    page.goto(f"{live_server.url}/training/vignettes/{vignette.pk}/")
    attempt(page, full_answers())
    expect(page.get_by_text("Nothing: every step that applied was done.")).to_be_visible()
    assert TrainingAttempt.objects.filter(trainee=trainee).count() == 2

    page.get_by_role("link", name="My progress").click()
    rows = page.locator("#progress-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").last).to_have_text("92%")  # 12 of 13 steps
    expect(rows.nth(1).locator("td").last).to_have_text("100%")
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
