"""Two clients of one running experiment, in two arms, each on a phone: each gets the app of their arm.

Arm "rich": streaks on Today, progress feedback after sending, the family framing of the exercise. Arm "plain":
all of them off (the app as it is outside an experiment). Set EMOTIPAL_SCREENSHOTS to a directory to keep a
screenshot of each arm's Today there.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from emotipal.homework import services
from emotipal.homework.models import Entry
from emotipal.platform import clock
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, complete_thought_record, plan_for
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study

RICH = {
    "rewards": {"streaks": True},
    "progress_feedback": {"enabled": True},
    "rationale_framing": {"framing": "family"},
}
PLAIN = {
    "rewards": {"streaks": False},
    "progress_feedback": {"enabled": False},
    "rationale_framing": {"framing": "self"},
}


def distinctive(text: str, other: str, words: int = 5) -> str:
    """A run of words of `text` that `other` does not contain."""
    tokens, rest = text.split(), " ".join(other.split())
    for i in range(len(tokens) - words):
        phrase = " ".join(tokens[i : i + words])
        if phrase not in rest and not any(c in phrase for c in "*_`#[]\"'"):
            return phrase
    raise AssertionError("no distinctive phrase")


def screenshot(page: Page, name: str) -> None:
    directory = os.environ.get("EMOTIPAL_SCREENSHOTS")
    if directory:
        page.screenshot(path=str(Path(directory) / name), full_page=True)


def do_and_send(page: Page) -> None:
    page.get_by_role("link", name="Start").first.click()
    page.get_by_text("More about this exercise").click()
    answers = complete_thought_record()
    page.fill("textarea[name='a.situation']", answers["situation"])
    page.fill("input[name='a.emotions.0.emotion']", "Anxious")
    page.fill("input[name='a.emotions.0.intensity']", "80")
    page.fill("[name='a.thoughts.0.thought']", "I will make a fool of myself")
    page.fill("[name='a.thoughts.0.belief']", "90")
    page.fill("input[name='a.emotions_after.0.emotion']", "Anxious")
    page.fill("input[name='a.emotions_after.0.intensity']", "50")


def midweek(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last Thursday noon (UTC): the two earlier practice days and today fall in one week (Monday to
    Sunday) whatever day the suite runs, so the week's count is 3. The live server's thread shares the
    patched clock."""
    now = clock.now()
    thursday = (now - dt.timedelta(days=(now.weekday() - 3) % 7)).replace(hour=12, minute=0, second=0)
    at = thursday if thursday <= now else thursday - dt.timedelta(days=7)
    monkeypatch.setattr(clock, "now", lambda: at)


def test_each_arm_gets_its_own_app(
    transactional_db: Any, live_server: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    midweek(monkeypatch)
    world = build_world()
    study = make_study(world)
    experiment = make_experiment(study, arms=[("rich", RICH), ("plain", PLAIN)], slug="homework-features")
    place_in_arm(experiment, make_participant(world, study, world.client_a), "rich")
    place_in_arm(experiment, make_participant(world, study, world.client_b), "plain")
    version = world.thought_record
    family = next(v for v in version.variants if v["key"] == "family-en")["rationale"]
    family_phrase, base_phrase = (
        distinctive(family, version.rationale),
        distinctive(version.rationale, family),
    )
    for client in (world.client_a, world.client_b):  # two earlier practice days for each
        plan = plan_for(version, start_date=clock.client_today(client) - dt.timedelta(days=3))
        assignment = services.assign_homework(world.therapist, client, plan)
        today = clock.client_today(client)
        for k in (1, 2):
            services.submit_entry(
                client.user,
                assignment.pk,
                services.Submission(
                    complete_thought_record(),
                    2,
                    2,
                    2,
                    idempotency_key=f"k{k}",
                    practice_date=today - dt.timedelta(days=k),
                ),
            )
    base = live_server.url

    # Arm "rich".
    rich = browser.new_page(viewport=PHONE)
    log_in(rich, base, world.client_a.user.email)
    expect(rich.get_by_role("heading", name="Due today")).to_be_visible()
    expect(rich.locator("#streak")).to_contain_text("2 days in a row with practice.")
    expect(rich.locator("#streak")).to_contain_text("Today is still open.")
    screenshot(rich, "today-arm-rich.png")
    assert rich.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    do_and_send(rich)
    expect(rich.get_by_text(family_phrase)).to_be_visible()
    expect(rich.get_by_text(base_phrase)).to_have_count(0)
    rich.get_by_role("button", name="I've done it — send").click()
    expect(rich.get_by_text("Sent.")).to_be_visible()
    feedback = rich.locator("#progress-feedback")
    expect(feedback).to_contain_text("How your practice is going")
    expect(feedback).to_contain_text("This exercise: 3 of 7 practices planned this week.")
    expect(feedback).to_contain_text("Anxious: 80 before, 50 after (-30)")
    screenshot(rich, "sent-arm-rich.png")
    assert rich.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rich.get_by_role("link", name="Today").first.click()
    expect(rich.locator("#streak")).to_contain_text("3 days in a row with practice.")
    expect(rich.locator("#streak")).to_contain_text("Milestones reached: 3 days")

    # Arm "plain": today's app.
    plain = browser.new_page(viewport=PHONE)
    log_in(plain, base, world.client_b.user.email)
    expect(plain.get_by_role("heading", name="Due today")).to_be_visible()
    expect(plain.locator("#streak")).to_have_count(0)
    screenshot(plain, "today-arm-plain.png")
    do_and_send(plain)
    expect(plain.get_by_text(base_phrase)).to_be_visible()
    expect(plain.get_by_text(family_phrase)).to_have_count(0)
    plain.get_by_role("button", name="I've done it — send").click()
    expect(plain.get_by_text("Sent.")).to_be_visible()
    expect(plain.locator("#progress-feedback")).to_have_count(0)
    screenshot(plain, "sent-arm-plain.png")

    sent = Entry.objects.filter(status=Entry.Status.SUBMITTED, idempotency_key__isnull=False).exclude(
        idempotency_key__in=["k1", "k2"]
    )
    assert {e.assignment.client_id: e.variant_key for e in sent} == {
        world.client_a.pk: "family-en",
        world.client_b.pk: "base",
    }
