"""Right after sending, every client gets a short encouraging confirmation with the week's count for that
exercise; opening the entry later (or an old link) shows the entry without it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from emotipal.homework import services
from emotipal.homework.models import Entry
from tests.factories import World, plan_for
from tests.homework.test_offline_send_form import form_post


def test_each_send_says_where_the_week_stands(world: World) -> None:
    today = timezone.localdate()
    assignment = services.assign_homework(
        world.therapist,
        world.client_a,
        plan_for(world.thought_record, times_per_week=2, start_date=today - dt.timedelta(days=14)),
    )
    http = world.login(world.client_a.user)
    url = f"/homework/{assignment.pk}/"
    expected = [
        ("on_way", "That is 1 of the 2 practices planned this week: 1 to go."),
        ("complete", "That completes this week's plan: 2 practices."),
        ("beyond", "That is 3 practices this week, more than the 2 planned."),
    ]
    for n, (state, text) in enumerate(expected):
        sent = http.post(url, form_post(f"key-{n}"))
        assert sent.status_code == 302 and sent["Location"].endswith("?sent=1")
        page = http.get(sent["Location"]).content.decode()
        assert f'data-sent-state="{state}"' in page and text in page, page[page.find("<main") :][:1500]
        assert "Well done for making the time for it." in page
    # Opened again from "Recently done" (no ?sent=1): just the entry.
    entry = Entry.objects.filter(assignment=assignment, status=Entry.Status.SUBMITTED).first()
    assert entry is not None
    later = http.get(f"/my/entries/{entry.pk}/").content.decode()
    assert "sent-note" not in later and "Your therapist will look at it with you." in later


def test_an_old_link_with_sent_does_not_greet_again(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    http = world.login(world.client_a.user)
    location = http.post(f"/homework/{assignment.pk}/", form_post("old-key"))["Location"]
    Entry.objects.filter(assignment=assignment).update(submitted_at=timezone.now() - dt.timedelta(hours=2))
    assert "sent-note" not in http.get(location).content.decode()


def test_another_client_cannot_open_the_confirmation(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    location = world.login(world.client_a.user).post(f"/homework/{assignment.pk}/", form_post("k"))[
        "Location"
    ]
    assert world.login(world.client_b.user).get(location).status_code == 404
