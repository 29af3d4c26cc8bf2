"""The core loop through the service layer: assign, draft, submit (idempotent), review; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.utils import timezone

from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry, EntryReview
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, complete_thought_record, plan_for


def test_assignment_pins_the_version_and_is_audited(world: World, assignment_a: Assignment) -> None:
    assert assignment_a.template_version == world.thought_record
    assert assignment_a.weekdays == list(range(7))
    event = AuditEvent.objects.get(action="assignment.create")
    assert event.actor_id == world.therapist.pk
    assert event.subject_user_id == world.client_a.user_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rationale": "   "}, "rationale"),
        ({"times_per_week": 0}, "times_per_week"),
        ({"minutes_per_practice": 500}, "minutes_per_practice"),
        ({"end_date": timezone.localdate() - dt.timedelta(days=30)}, "end_date"),
        ({"practice_days": [1, 1, 9]}, "practice_days"),
    ],
)
def test_bad_plan_is_refused_and_creates_nothing(world: World, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(services.HomeworkError) as caught:
        services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record, **overrides))
    assert field in caught.value.errors
    assert not Assignment.objects.exists()


def test_only_the_clients_clinicians_may_assign(world: World) -> None:
    for outsider in (world.colleague, world.foreign_therapist, world.researcher, world.client_b.user):
        with pytest.raises(Http404):
            services.assign_homework(outsider, world.client_a, plan_for(world.thought_record))
    assert services.assign_homework(world.admin, world.client_a, plan_for(world.thought_record))


def test_default_practice_days_spread_over_the_week() -> None:
    assert services.default_practice_days(5) == [0, 1, 2, 4, 5]
    assert services.default_practice_days(3) == [0, 2, 4]
    assert services.default_practice_days(7) == list(range(7))
    assert services.default_practice_days(10) == list(range(7))
    assert len(services.default_practice_days(1)) == 1


def test_drafts_keep_exactly_what_was_typed(world: World, assignment_a: Assignment) -> None:
    typed = {"situation": "half a sentence", "emotions": [{"emotion": "sad", "intensity": "not a number"}]}
    draft = services.save_draft(world.client_a.user, assignment_a.pk, typed, active_seconds=30)
    again = services.save_draft(world.client_a.user, assignment_a.pk, typed | {"situation": "more"}, 45)
    assert again.pk == draft.pk
    stored = Entry.objects.get(pk=draft.pk)
    assert stored.answers["emotions"][0]["intensity"] == "not a number"
    assert stored.answers["situation"] == "more"
    assert stored.active_seconds == 75 and stored.draft_saves == 2


def test_active_time_per_save_is_capped(world: World, assignment_a: Assignment) -> None:
    draft = services.save_draft(
        world.client_a.user, assignment_a.pk, {"situation": "x"}, active_seconds=10**9
    )
    assert draft is not None and draft.active_seconds == services.MAX_ACTIVE_SECONDS_PER_SAVE


def test_submit_validates_and_keeps_answers_on_error(world: World, assignment_a: Assignment) -> None:
    answers = complete_thought_record() | {"situation": ""}
    answers["emotions"][0]["intensity"] = "150"
    with pytest.raises(services.HomeworkError) as caught:
        services.submit_entry(
            world.client_a.user,
            assignment_a.pk,
            services.Submission(answers, effort=9, difficulty=1, helpfulness=1),
        )
    assert caught.value.errors == {
        "situation": "This is required.",
        "emotions.0.intensity": "Choose a value from 0 to 100.",
        "effort": "Choose a rating from 0 to 4.",
    }
    draft = Entry.objects.get(assignment=assignment_a)
    assert draft.status == Entry.Status.DRAFT
    assert draft.answers["emotions"][0]["intensity"] == "150"  # nothing typed is lost


def test_submit_stores_typed_values_and_same_key_makes_one_entry(
    world: World, assignment_a: Assignment
) -> None:
    submission = services.Submission(
        complete_thought_record(),
        effort=3,
        difficulty=1,
        helpfulness=4,
        active_seconds=600,
        idempotency_key="k-1",
    )
    first, created = services.submit_entry(world.client_a.user, assignment_a.pk, submission)
    second, created_again = services.submit_entry(world.client_a.user, assignment_a.pk, submission)
    assert created and not created_again and first.pk == second.pk
    assert Entry.objects.filter(assignment=assignment_a).count() == 1
    stored = Entry.objects.get(pk=first.pk)
    assert stored.answers["emotions"][0]["intensity"] == 80
    assert stored.submitted_at is not None and stored.active_seconds == 600
    # A new key is a new practice.
    other, created_third = services.submit_entry(
        world.client_a.user,
        assignment_a.pk,
        services.Submission(complete_thought_record(), 2, 2, 2, idempotency_key="k-2"),
    )
    assert created_third and other.pk != first.pk


def test_another_clients_assignment_is_not_found(world: World, assignment_a: Assignment) -> None:
    with pytest.raises(Http404):
        services.save_draft(world.client_b.user, assignment_a.pk, {"situation": "x"})
    with pytest.raises(Http404):
        services.submit_entry(
            world.client_b.user, assignment_a.pk, services.Submission(complete_thought_record(), 1, 1, 1)
        )
    assert not Entry.objects.exists()


def test_future_practice_date_is_refused(world: World, assignment_a: Assignment) -> None:
    with pytest.raises(services.HomeworkError) as caught:
        services.submit_entry(
            world.client_a.user,
            assignment_a.pk,
            services.Submission(
                complete_thought_record(), 1, 1, 1, practice_date=timezone.localdate() + dt.timedelta(days=3)
            ),
        )
    assert "practice_date" in caught.value.errors


def test_review_and_audited_reads(world: World, entry_a: Entry) -> None:
    list(services.entries_for_staff(world.therapist, world.client_a))
    assert AuditEvent.objects.filter(action="entries.view", actor=world.therapist).count() == 1
    review = services.review_entry(world.therapist, entry_a.pk, "  Good work  ")
    assert review.note == "Good work"
    assert services.review_entry(world.therapist, entry_a.pk, "").pk == review.pk  # marking twice is harmless
    assert EntryReview.objects.count() == 1
    with pytest.raises(Http404):
        services.review_entry(world.colleague, entry_a.pk, "not mine")
    with pytest.raises(Http404):
        services.entries_for_staff(world.foreign_therapist, world.client_a)


def test_sensitive_text_is_encrypted_in_the_database(world: World, entry_a: Entry) -> None:
    services.review_entry(world.therapist, entry_a.pk, "private note about the session")
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM homework_entry WHERE id = %s", [entry_a.pk])
        (raw_answers,) = cursor.fetchone()
        cursor.execute("SELECT note FROM homework_entryreview")
        (raw_note,) = cursor.fetchone()
        cursor.execute("SELECT rationale FROM homework_assignment")
        (raw_rationale,) = cursor.fetchone()
    for raw in (raw_answers, raw_note, raw_rationale):
        assert raw.startswith("gAAAA")
    assert "Monday" not in raw_answers and "private" not in raw_note
    assert Entry.objects.get(pk=entry_a.pk).answers["situation"].startswith("Sunday evening")
