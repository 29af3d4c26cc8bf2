"""Review in session, in Chromium: the client's self-review on a phone, then the therapist's short review that
starts from it and moves on to the next homework still to review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from emotipal.homework import reviews, services
from emotipal.homework.models import SelfReview, TherapistReview
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world, plan_for


def test_the_next_session_starts_from_the_clients_self_review(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    homework = [
        services.assign_homework(
            world.therapist,
            world.client_a,
            plan_for(version, session=first, start_date=first.date, end_date=today + dt.timedelta(days=14)),
        )
        for version in (world.thought_record, world.exposure)
    ]
    base = live_server.url

    client = browser.new_page(viewport=PHONE)
    log_in(client, base, world.client_a.user.email)
    client.goto(f"{base}/homework/{homework[0].pk}/review/{second.pk}/")
    client.fill("textarea[name=what_i_did]", "Three records, after work")
    client.fill("textarea[name=what_i_learned]", "Naming the thought made it smaller")
    client.fill("textarea[name=what_got_in_way]", "A late meeting on Tuesday")
    client.locator("label:has(input[name=helpfulness][value='3'])").click()
    expect(client.get_by_text("0 = I did none of it")).to_be_visible()  # the client's own words
    expect(client.locator("input[name='r.pleasure']").first).to_be_hidden()  # folded under More ratings
    client.locator("label:has(input[name='r.quantity'][value='3'])").click()
    client.locator("label:has(input[name='r.quality'][value='2'])").click()
    assert client.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    client.get_by_role("button", name="Send my review").click()
    expect(client.get_by_text("Your therapist will see this")).to_be_visible()
    assert SelfReview.objects.get().ratings == {"quantity": 3, "quality": 2}

    therapist = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(therapist, base, world.therapist.email)
    therapist.goto(f"{base}/clients/{world.client_a.pk}/sessions/{second.pk}/")
    card = therapist.locator(f"#review-{homework[0].pk}")
    # The card opens with the client's own review, above the therapist's form.
    heading = card.get_by_role("heading", name="Client's self-review")
    form_heading = card.get_by_role("heading", name="Your review")
    expect(card.get_by_text("Naming the thought made it smaller")).to_be_visible()
    expect(card.get_by_text("A late meeting on Tuesday")).to_be_visible()
    assert heading.bounding_box()["y"] < form_heading.bounding_box()["y"]  # type: ignore[index]
    expect(card.get_by_text("0 = Not done at all")).to_be_visible()  # the therapist's own anchors
    card.locator("label:has(input[name='r.quantity'][value='3'])").click()
    card.get_by_role("button", name="Save review").click()
    expect(card.get_by_text("Please answer this one.").first).to_be_visible()  # quality and mastery needed
    assert not TherapistReview.objects.exists()
    card.locator("label:has(input[name='r.quality'][value='2'])").click()
    card.locator("label:has(input[name='r.mastery'][value='2'])").click()
    card.get_by_label("What was learned").fill("Naming the thought takes its edge off")
    card.get_by_label("What to change next time").fill("Write it on the train home, not at night")
    card.get_by_role("button", name="Save review").click()

    expect(therapist.get_by_text("Review saved. Next: Exposure")).to_be_visible()
    assert therapist.url.endswith(f"#review-{homework[1].pk}")
    expect(therapist.locator(f"#review-{homework[1].pk}").get_by_text("Next to review")).to_be_visible()
    review = TherapistReview.objects.get()
    assert review.ratings == {"quantity": 3, "quality": 2, "mastery": 2}
    assert review.client_review_first is True
    assert (review.learned, review.change_next) == (
        "Naming the thought takes its edge off",
        "Write it on the train home, not at night",
    )
    expect(
        therapist.locator(f"#review-{homework[0].pk}").get_by_text("Write it on the train home")
    ).to_be_visible()
