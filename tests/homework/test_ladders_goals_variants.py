"""Fear ladders, practice goals and rewards, template variants and clinic copies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.homework import goals, ladders, services
from emotipal.homework.models import Assignment, Entry, LadderStep
from emotipal.library.access import latest_versions
from emotipal.library.models import TemplateVersion
from emotipal.library.services import CustomTemplateError, clone_template, save_custom_version
from tests.factories import World, complete_thought_record, plan_for

EXPOSURE = {
    "situation": "Touch the door handle",
    "suds_before": 40,
    "suds_peak": 80,
    "suds_after": 30,
    "actual_minutes": 45,
}


def test_ladder_is_built_together_and_split(world: World) -> None:
    ladder = ladders.create_ladder(world.client_a.user, world.client_a, "Contamination")
    big = ladders.add_step(world.therapist, ladder.pk, "Use a public toilet", 90)
    ladders.add_step(world.client_a.user, ladder.pk, "Touch the bin lid", 60)
    with pytest.raises(services.HomeworkError) as caught:
        ladders.add_step(world.therapist, ladder.pk, "Too much", 140)
    assert "expected_distress" in caught.value.errors
    with pytest.raises(services.HomeworkError):
        ladders.split_step(world.therapist, big.pk, [("Walk into the toilet", 95)])  # not smaller
    small = ladders.split_step(
        world.client_a.user, big.pk, [("Walk into the toilet", 70), ("Wash hands there", 75)]
    )
    assert [s.parent_id for s in small] == [big.pk, big.pk]
    order = [s.description for s in ladder.steps.order_by("position")]
    assert order == ["Touch the bin lid", "Walk into the toilet", "Wash hands there", "Use a public toilet"]
    for outsider in (world.client_b.user, world.colleague, world.foreign_therapist):
        with pytest.raises(Http404):
            ladders.add_step(outsider, ladder.pk, "x", 10)


def test_exposure_practice_links_to_own_ladder_step_only(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    ladder = ladders.create_ladder(world.therapist, world.client_a, "Lifts")
    step = ladders.add_step(world.therapist, ladder.pk, "Ride one floor", 50)
    other_ladder = ladders.create_ladder(world.therapist, world.client_b, "B's ladder")
    other_step = ladders.add_step(world.therapist, other_ladder.pk, "B's step", 30)
    with pytest.raises(services.HomeworkError) as caught:
        services.submit_entry(
            world.client_a.user,
            assignment.pk,
            services.Submission(EXPOSURE, 2, 2, 2, ladder_step_id=other_step.pk),
        )
    assert "ladder_step" in caught.value.errors and not Entry.objects.filter(status="submitted").exists()
    entry, _ = services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(EXPOSURE, 2, 2, 2, ladder_step_id=step.pk)
    )
    assert entry.ladder_step == step
    step.refresh_from_db()
    assert step.status == LadderStep.Status.PRACTISING


def test_goal_minutes_count_the_timed_duration_and_earn_the_reward(world: World) -> None:
    today = timezone.localdate()
    plan = plan_for(
        world.exposure,
        times_per_week=2,
        minutes_per_practice=45,
        practice_days=[0, 1],
        start_date=today - dt.timedelta(days=today.weekday()),
    )
    assignment = services.assign_homework(world.therapist, world.client_a, plan)
    reward = goals.set_reward(world.client_a.user, assignment.pk, "Cinema on Saturday")
    yesterday = max(today - dt.timedelta(days=1), today - dt.timedelta(days=today.weekday()))
    services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(EXPOSURE, 1, 1, 1, practice_date=today)
    )
    progress = goals.progress_for([assignment], today)[assignment.pk]
    assert (progress.minutes_today, progress.goal_minutes_week, progress.days_week) == (45, 90, 1)
    reward.refresh_from_db()
    assert reward.earned_at is None
    if yesterday != today:
        services.submit_entry(
            world.client_a.user,
            assignment.pk,
            services.Submission(EXPOSURE, 1, 1, 1, practice_date=yesterday, idempotency_key="y"),
        )
        reward.refresh_from_db()
        assert reward.earned_at is not None
    with pytest.raises(services.HomeworkError):
        goals.set_reward(world.client_a.user, assignment.pk, "  ")
    with pytest.raises(Http404):
        goals.set_reward(world.client_b.user, assignment.pk, "not mine")


def test_variant_is_chosen_by_language_and_recorded_on_entries(world: World) -> None:
    version = world.thought_record
    keys = {v["key"] for v in version.variants}
    world.client_a.user.language = "es"
    world.client_a.user.save()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(version))
    expected = "es" if "es" in keys else "base"
    assert assignment.variant_key == expected
    entry, _ = services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(complete_thought_record(), 1, 1, 1)
    )
    assert entry.variant_key == expected
    with pytest.raises(services.HomeworkError):
        services.assign_homework(world.therapist, world.client_a, plan_for(version, variant_key="klingon"))


def test_clinic_copy_versions_and_never_changes_old_work(world: World, assignment_a) -> None:  # type: ignore[no-untyped-def]
    copy = clone_template(world.therapist, world.thought_record, world.clinic)
    assert copy.template.clinic == world.clinic and copy.number == 1
    assert copy.pk in [v.pk for v in latest_versions(world.clinic, world.colleague)]
    assert copy.pk not in [v.pk for v in latest_versions(world.other_clinic, world.foreign_therapist)]
    data = {
        "title": "Thought record (short)",
        "rationale": "Why",
        "instructions": "How",
        "fields": copy.fields[:3],
    }
    v2 = save_custom_version(world.therapist, copy.template, data)
    assert v2.number == 2 and len(v2.fields) == 3
    assert (
        TemplateVersion.objects.get(pk=copy.pk).fields == world.thought_record.fields
    )  # version 1 untouched
    with pytest.raises(CustomTemplateError):
        save_custom_version(
            world.therapist,
            copy.template,
            {**data, "fields": [{"id": "x", "type": "nonsense", "label": "X"}]},
        )
    assert assignment_a.template_version == world.thought_record


def test_goal_minutes_read_answers_only_of_timed_exercises(world: World) -> None:
    """A thought record counts its active time and its answers stay encrypted in the database (not read);
    an exposure counts the minutes the client wrote. Both in one call, with or without the version loaded."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    timed = services.assign_homework(
        world.therapist, world.client_a, plan_for(world.exposure, start_date=monday)
    )
    plain = services.assign_homework(
        world.therapist, world.client_a, plan_for(world.thought_record, start_date=monday)
    )
    submit = services.Submission
    services.submit_entry(
        world.client_a.user, timed.pk, submit(EXPOSURE, 1, 1, 1, active_seconds=120, practice_date=today)
    )
    services.submit_entry(
        world.client_a.user, plain.pk, submit(complete_thought_record(), 1, 1, 1, active_seconds=300)
    )
    for loaded in (True, False):
        found = Assignment.objects.filter(pk__in=[timed.pk, plain.pk])
        assignments = list(found.select_related("template_version") if loaded else found)
        with CaptureQueriesContext(connection) as ctx:
            progress = goals.progress_for(assignments, today)
        assert progress[timed.pk].minutes_today == 45  # the written duration, not the 2 active minutes
        assert progress[plain.pk].minutes_today == 5  # 300 active seconds
        entry_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "homework_entry"' in q["sql"]]
        assert len(entry_reads) == 2
        assert sum('"answers"' in sql for sql in entry_reads) == 1
        assert len(ctx.captured_queries) == (3 if loaded else 4)
