"""Today's page as the client sees it: one next step on top and not again below, "noted" after "I couldn't
do it today", and before-session reviews only for homework set before that session."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from django.utils import timezone

from emotipal.homework import reviews, services
from emotipal.homework.models import Assignment
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument
from emotipal.platform import clock
from tests.factories import World, plan_for


def text_of(response: Any) -> str:
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def next_step_blocks(page: str) -> list[str]:
    return re.findall(r'<section class="next-step".*?</section>', page, flags=re.S)


def test_one_next_step_the_due_exercise_and_it_is_not_repeated(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    measures.ask_now(world.therapist, world.client_a, Instrument.objects.get(key="phq9", clinic=None))
    page = world.login(world.client_a.user).get("/today/").content.decode()
    [block] = next_step_blocks(page)
    assert 'data-next-step="exercise"' in block and f"/homework/{assignment.pk}/" in block
    assert page.count(f'href="/homework/{assignment.pk}/"') == 1  # on top only
    assert "Your next step" in block and "PHQ-9" not in block
    assert "PHQ-9" in page  # the questionnaire is still there, below


def test_after_i_couldnt_do_it_today_the_card_says_it_was_noted(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    http = world.login(world.client_a.user)
    assert "I couldn't do it today" in text_of(http.get("/today/"))
    reviews.report_barrier(world.client_a.user, assignment.pk, clock.client_today(world.client_a), "no_time")
    page = text_of(http.get("/today/"))
    assert "Noted: you couldn't do it today." in page and "I couldn't do it today" not in page
    # Told it will not happen today, Today does not put that exercise first any more.
    assert "Your next step" not in page


def test_before_your_session_only_for_homework_set_before_it(world: World) -> None:
    today = clock.client_today(world.client_a)
    reviews.record_session(world.therapist, world.client_a, today)
    set_earlier = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    Assignment.objects.filter(pk=set_earlier.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    set_today = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    page = world.login(world.client_a.user).get("/today/").content.decode()
    assert f"/homework/{set_earlier.pk}/review/" in page
    assert f"/homework/{set_today.pk}/review/" not in page
