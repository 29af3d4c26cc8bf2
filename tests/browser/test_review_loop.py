"""Self-review, an obstacle with a strategy, and the therapist's review in the session, in Chromium."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from emotipal.homework import reviews, services
from emotipal.homework.models import Barrier, SelfReview, TherapistReview
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for


def test_self_review_barrier_and_therapist_review(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    reviews.record_session(world.therapist, world.client_a, today)
    homework = services.assign_homework(
        world.therapist,
        world.client_a,
        plan_for(
            world.thought_record, session=first, start_date=first.date, end_date=today + dt.timedelta(days=14)
        ),
    )
    # Set in the first session, a week ago: only homework set before a session is reviewed at it.
    type(homework).objects.filter(pk=homework.pk).update(created_at=timezone.now() - dt.timedelta(days=7))
    base = live_server.url

    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    client.get_by_role("link", name="Review this homework").click()
    client.fill("textarea[name=what_i_did]", "Two records, both on work evenings")
    client.fill("textarea[name=what_i_learned]", "The thought comes before the sinking feeling")
    client.locator("label:has(input[name=helpfulness][value='3'])").click()
    client.locator("label:has(input[name='r.quantity'][value='2'])").click()
    client.get_by_role("button", name="Send my review").click()
    expect(client.get_by_text("Please answer this one.")).to_be_visible()  # quality is needed too
    expect(client.locator("textarea[name=what_i_did]")).to_have_value("Two records, both on work evenings")
    client.locator("label:has(input[name='r.quality'][value='3'])").click()
    client.get_by_role("button", name="Send my review").click()
    expect(client.get_by_text("Your therapist will see this")).to_be_visible()

    client.get_by_role("link", name="I couldn't do it today").click()
    client.get_by_label("I didn't have time").check()
    client.get_by_role("button", name="Next: what could help").click()
    expect(client.get_by_text("suggested").first).to_be_visible()
    client.locator("label:has(input[value=smaller_step])").click()
    client.get_by_role("button", name="I'll try this").click()
    expect(client.get_by_text("Saved.")).to_be_visible()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    barrier = Barrier.objects.get()
    assert (barrier.barrier, barrier.strategy) == ("no_time", "smaller_step")
    assert SelfReview.objects.get().ratings == {"quantity": 2, "quality": 3}

    therapist = browser.new_page(viewport={"width": 1200, "height": 900})
    log_in(therapist, base, world.therapist.email)
    row = therapist.locator("table tr", has_text="Ana Client")
    attention = row.locator("td").nth(4)  # "Needs attention"
    expect(attention).to_contain_text("1 obstacle to talk through")
    expect(attention).to_contain_text("1 homework to review")
    row.get_by_role("link", name="Ana Client").click()
    therapist.get_by_role("link", name="Thought record").first.click()
    expect(therapist.get_by_text("The thought comes before the sinking feeling")).to_be_visible()
    expect(therapist.get_by_text("I didn't have time")).to_be_visible()
    therapist.locator("label:has(input[name='r.quantity'][value='1'])").click()
    therapist.locator("label:has(input[name='r.quality'][value='3'])").click()
    therapist.locator("label:has(input[name='r.mastery'][value='2'])").click()
    therapist.get_by_text("More ratings").click()  # the optional ones fold away
    therapist.locator("label:has(input[name='r.collaboration'][value='4'])").click()
    therapist.fill("textarea[name=note]", "Agreed: five minutes after dinner counts.")
    therapist.get_by_role("button", name="Save review").click()
    expect(therapist.get_by_text("All homework for session 2 reviewed.")).to_be_visible()
    assert TherapistReview.objects.get().ratings == {
        "quantity": 1,
        "quality": 3,
        "mastery": 2,
        "collaboration": 4,
    }

    therapist.goto(f"{base}/clients/")
    row = therapist.locator("table tr", has_text="Ana Client")
    attention = row.locator("td").nth(4)
    expect(attention).not_to_contain_text("obstacle")  # talked through in the session
    expect(attention).not_to_contain_text("homework to review")
