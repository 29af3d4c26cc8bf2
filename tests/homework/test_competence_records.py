"""Competence read from what the therapist entered: plan steps, and the session's review of the homework due."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from emotipal.homework import reviews
from emotipal.homework.competence import (
    GuidedPlan,
    GuidedReview,
    plan_steps,
    records_for_clients,
    review_steps,
)
from emotipal.homework.models import TherapistReview
from emotipal.homework.services import assign_homework
from tests.factories import World, plan_for


def test_a_bare_plan_shows_only_the_reason() -> None:
    assert plan_steps(GuidedPlan(rationale="So the worry has less hold", times_per_week=3)) == {
        "rationale_given"
    }


def test_a_full_plan_shows_every_design_and_plan_step() -> None:
    plan = GuidedPlan(
        goal="Back to work",
        rationale="To see the worry pass",
        practice_time=dt.time(8, 0),
        practice_place="Kitchen table",
        times_per_week=3,
        minutes_per_practice=10,
        obstacles="Busy mornings",
        backup_plan="Evening instead",
        confidence=5,
        made_smaller=True,
        rehearsed=True,
        summary="Three mornings, ten minutes",
    )
    assert len(plan_steps(plan)) == 9


def test_low_confidence_not_made_smaller_misses_the_sizing_step() -> None:
    steps = plan_steps(GuidedPlan(confidence=4))
    assert "confidence_checked" in steps and "sized_to_confidence" not in steps
    assert "sized_to_confidence" in plan_steps(GuidedPlan(confidence=7))


def test_review_steps_nothing_due_means_nothing_applies() -> None:
    done, not_applicable = review_steps([])
    assert done == set() and len(not_applicable) == 4


def test_review_steps_an_unreviewed_homework_with_a_client_review_misses_both() -> None:
    done, not_applicable = review_steps(
        [GuidedReview(learned="x", client_review_first=True, had_client_review=False),
         GuidedReview(made=False, had_client_review=True)]
    )  # fmt: skip
    assert done == {"learning_noted"}
    assert not_applicable == set()


def test_records_read_the_session_review_of_the_homework_due(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    earlier = assign_homework(
        world.therapist,
        world.client_a,
        plan_for(world.thought_record, session=first, start_date=first.date, end_date=today),
    )
    later = assign_homework(
        world.therapist,
        world.client_a,
        plan_for(
            world.thought_record, session=second, start_date=today, end_date=today + dt.timedelta(days=7)
        ),
    )
    TherapistReview.objects.create(
        assignment=earlier, session=second, reviewer=world.therapist, ratings={}, learned="Thoughts pass"
    )
    with django_assert_max_num_queries(4):
        records = {r.assignment_id: r for r in records_for_clients([world.client_a.pk, world.client_b.pk])}
    assert records[earlier.pk].not_applicable >= {"review_done", "learning_noted"}  # nothing due in session 1
    assert {"review_done", "learning_noted", "rationale_given"} <= records[later.pk].done
    assert "change_noted" not in records[later.pk].done
    assert records[later.pk].scores["review"].applicable == 3  # no client review: that step does not apply
    assert records[later.pk].therapist_id == world.therapist.pk


def test_a_session_that_only_reviews_has_a_review_record_of_its_own(world: World) -> None:
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    earlier = assign_homework(
        world.therapist,
        world.client_a,
        plan_for(world.thought_record, session=first, start_date=first.date, end_date=today),
    )
    TherapistReview.objects.create(
        assignment=earlier, session=second, reviewer=world.therapist, ratings={}, change_next="Shorter"
    )
    records = records_for_clients([world.client_a.pk])
    review_only = [r for r in records if r.assignment_id is None]
    assert len(records) == 2 and len(review_only) == 1
    record = review_only[0]
    assert record.day == second.date and record.therapist_id == world.therapist.pk
    assert record.done == {"review_done", "change_noted"}
    scores = record.scores
    assert (scores["review"].done, scores["review"].applicable) == (2, 3)
    assert scores["design"].applicable == 0 and scores["plan"].applicable == 0
