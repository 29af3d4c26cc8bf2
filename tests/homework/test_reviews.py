"""Sessions, self-reviews, therapist reviews, barriers and retroactive ratings: rules and bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from emotipal.homework import reviews
from emotipal.homework.barriers import MATCHES, STRATEGIES, strategies_for
from emotipal.homework.models import Assignment, Barrier, SelfReview, TherapistReview, TherapySession
from emotipal.homework.services import HomeworkError, assign_homework
from tests.factories import World, plan_for

GOOD = {"quantity": 3, "quality": 2, "mastery": 2, "understanding": 4}


@pytest.fixture
def sessions(world: World) -> tuple[TherapySession, TherapySession]:
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    return first, second


@pytest.fixture
def set_in_first(world: World, sessions: Any) -> Assignment:
    first, _ = sessions
    return assign_homework(
        world.therapist,
        world.client_a,
        plan_for(
            world.thought_record,
            session=first,
            start_date=first.date,
            end_date=first.date + dt.timedelta(days=30),
        ),
    )


def test_sessions_number_themselves_and_refuse_a_taken_number(world: World, sessions: Any) -> None:
    assert [s.number for s in sessions] == [1, 2]
    with pytest.raises(HomeworkError):
        reviews.record_session(world.therapist, world.client_a, timezone.localdate(), number=2)
    with pytest.raises(Http404):
        reviews.record_session(world.foreign_therapist, world.client_a, timezone.localdate())


def test_homework_set_in_session_n_is_due_in_session_n_plus_1(
    world: World, sessions: Any, set_in_first: Assignment
) -> None:
    first, second = sessions
    assert reviews.review_session_for(set_in_first, list(sessions)) == second
    assert reviews.due_for_review(world.client_a, second) == [set_in_first]
    assert reviews.due_for_review(world.client_a, first) == []


def test_self_review_once_per_session(world: World, sessions: Any, set_in_first: Assignment) -> None:
    _, second = sessions
    data = reviews.SelfReviewInput(
        ratings=GOOD, helpfulness=3, what_i_did="Two records", what_i_learned="Pause first"
    )
    review = reviews.submit_self_review(world.client_a.user, set_in_first.pk, second.pk, data)
    assert review.ratings == GOOD and review.created_at is not None
    with pytest.raises(HomeworkError, match="already reviewed"):
        reviews.submit_self_review(world.client_a.user, set_in_first.pk, second.pk, data)
    assert SelfReview.objects.count() == 1


@pytest.mark.parametrize(
    ("ratings", "key"),
    [
        ({"quantity": 5, "quality": 1}, "quantity"),
        ({"quality": 1}, "quantity"),
        ({"quantity": 1, "quality": 1, "mood": 2}, "mood"),
    ],
)
def test_bad_ratings_change_nothing(
    world: World, sessions: Any, set_in_first: Assignment, ratings: dict, key: str
) -> None:
    with pytest.raises(HomeworkError) as caught:
        reviews.submit_therapist_review(world.therapist, set_in_first.pk, sessions[1].pk, ratings)
    assert key in caught.value.errors
    assert not TherapistReview.objects.exists()


def test_reviews_of_someone_elses_homework_are_not_found(
    world: World, sessions: Any, set_in_first: Assignment
) -> None:
    with pytest.raises(Http404):
        reviews.submit_self_review(
            world.client_b.user, set_in_first.pk, sessions[1].pk, reviews.SelfReviewInput(GOOD, 1)
        )
    with pytest.raises(Http404):
        reviews.submit_therapist_review(world.colleague, set_in_first.pk, sessions[1].pk, GOOD)
    assert not SelfReview.objects.exists() and not TherapistReview.objects.exists()


def test_wrong_session_and_not_yet_started_are_refused(
    world: World, sessions: Any, set_in_first: Assignment
) -> None:
    with pytest.raises(HomeworkError, match="not due for review"):
        reviews.submit_therapist_review(world.therapist, set_in_first.pk, sessions[0].pk, GOOD)
    future = assign_homework(
        world.therapist,
        world.client_a,
        plan_for(
            world.exposure,
            start_date=timezone.localdate() + dt.timedelta(days=5),
            end_date=timezone.localdate() + dt.timedelta(days=20),
        ),
    )
    later = reviews.record_session(
        world.therapist, world.client_a, timezone.localdate() + dt.timedelta(days=7)
    )
    with pytest.raises(HomeworkError, match="not started"):
        reviews.submit_therapist_review(world.therapist, future.pk, later.pk, GOOD)


def test_therapist_review_resolves_open_barriers(
    world: World, sessions: Any, set_in_first: Assignment
) -> None:
    barrier = reviews.report_barrier(
        world.client_a.user, set_in_first.pk, sessions[0].date, "too_hard", "panicked"
    )
    reviews.choose_strategy(world.client_a.user, barrier.pk, "smaller_step")
    reviews.submit_therapist_review(
        world.therapist, set_in_first.pk, sessions[1].pk, GOOD, "Agreed a smaller step"
    )
    barrier.refresh_from_db()
    assert (
        barrier.strategy == "smaller_step"
        and barrier.resolved_at is not None
        and barrier.detail == "panicked"
    )


def test_barrier_rules(world: World, assignment_a: Assignment) -> None:
    today = timezone.localdate()
    with pytest.raises(HomeworkError) as caught:
        reviews.report_barrier(world.client_a.user, assignment_a.pk, today + dt.timedelta(days=1), "nonsense")
    assert set(caught.value.errors) == {"barrier", "day"}
    with pytest.raises(Http404):
        reviews.report_barrier(world.client_b.user, assignment_a.pk, today, "forgot")
    first = reviews.report_barrier(world.client_a.user, assignment_a.pk, today, "forgot")
    again = reviews.report_barrier(world.client_a.user, assignment_a.pk, today, "no_time")
    assert first.pk == again.pk and Barrier.objects.get().barrier == "no_time"
    with pytest.raises(HomeworkError):
        reviews.choose_strategy(world.client_a.user, first.pk, "magic")
    with pytest.raises(Http404):
        reviews.choose_strategy(world.client_b.user, first.pk, "smaller_step")


def test_every_barrier_has_matching_strategies_first() -> None:
    for barrier, matched in MATCHES.items():
        offered = strategies_for(barrier)
        assert [code for code, *_ in offered[: len(matched)]] == list(matched)
        assert {code for code, *_ in offered} == set(STRATEGIES)


def test_missed_practices_are_offered_until_explained(world: World, assignment_a: Assignment) -> None:
    today = timezone.localdate()
    missed = reviews.missed_practices(world.client_a, today)
    assert [day for _, day in missed] == [today - dt.timedelta(days=d) for d in (3, 2, 1)]
    reviews.report_barrier(world.client_a.user, assignment_a.pk, today - dt.timedelta(days=2), "low_mood")
    assert len(reviews.missed_practices(world.client_a, today)) == 2


def test_retroactive_ratings_after_treatment_ends(world: World, assignment_a: Assignment) -> None:
    with pytest.raises(HomeworkError, match="once treatment has ended"):
        reviews.rate_retroactively(world.therapist, world.client_a, 3, 3)
    reviews.end_treatment(world.therapist, world.client_a, timezone.localdate(), confirmed=True)
    world.client_a.refresh_from_db()
    assert reviews.rate_retroactively(world.therapist, world.client_a, 3, 2).rater_role == "therapist"
    assert reviews.rate_retroactively(world.client_a.user, world.client_a, 4, 3).rater_role == "client"
    with pytest.raises(HomeworkError, match="already been rated"):
        reviews.rate_retroactively(world.client_a.user, world.client_a, 1, 1)
    with pytest.raises(Http404):
        reviews.rate_retroactively(world.client_b.user, world.client_a, 1, 1)


def test_opening_and_reminder_delays_are_recorded(world: World, assignment_a: Assignment) -> None:
    sent = timezone.now() - dt.timedelta(minutes=30)
    reviews.note_reminders_sent([assignment_a], sent)
    reviews.record_opening(assignment_a)
    assignment_a.refresh_from_db()
    event = assignment_a.reminder_events.get()
    assert assignment_a.first_opened_at is not None and event.opened_at is not None
    first = assignment_a.first_opened_at
    reviews.record_opening(assignment_a)
    assignment_a.refresh_from_db()
    assert assignment_a.first_opened_at == first  # the first opening stays the first


def test_the_caseloads_count_of_homework_to_review_is_the_client_pages_list(world: World) -> None:
    """The caseload counts homework due for review from light rows of a whole clinic; the client page lists
    it from the client's record (model instances). Set in a session (due in the next), set outside one (due
    in the first after it started), reviewed, and due in a session still to come: the same answer."""
    from emotipal.homework import compliance

    today = timezone.localdate()
    client = world.client_a
    first = reviews.record_session(world.therapist, client, today - dt.timedelta(days=14))
    second = reviews.record_session(world.therapist, client, today - dt.timedelta(days=7))
    reviews.record_session(world.therapist, client, today + dt.timedelta(days=7))

    def homework(session: Any, start: dt.date) -> Assignment:
        plan = plan_for(world.thought_record, session=session, start_date=start, end_date=today)
        return assign_homework(world.therapist, client, plan)

    due = homework(first, first.date)  # due in the second session, passed: to review
    reviewed = homework(first, first.date)  # the same, reviewed in it
    reviews.submit_therapist_review(world.therapist, reviewed.pk, second.pk, GOOD)
    outside = homework(None, first.date - dt.timedelta(days=3))  # due in the first session, passed
    homework(second, second.date)  # due in the third session, still to come
    record = compliance.gather([client], until=today)[client.pk]
    sessions = compliance.sessions_by_client([client.pk])[client.pk]
    listed = compliance.unreviewed_homework(record, sessions, today)
    assert sorted((a.pk, s.number) for a, s in listed) == sorted([(due.pk, 2), (outside.pk, 1)])
    assert compliance.homework_to_review_counts({client.pk: today, world.client_b.pk: today}) == {
        client.pk: 2,
        world.client_b.pk: 0,
    }
