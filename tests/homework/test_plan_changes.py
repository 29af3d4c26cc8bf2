"""Issue 12, the daily workflow: edit, pause, resume and stop one homework; ending treatment; sessions; targets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.http import Http404
from django.test import TestCase
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.homework import compliance, goals, plan_changes, reviews, services
from emotipal.homework.errors import HomeworkError
from emotipal.homework.models import Assignment, Entry, TherapySession
from emotipal.homework.queries import today_items
from emotipal.notifications.models import ScheduledReminder
from emotipal.notifications.tasks import deliver_reminder
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, plan_for


def change(**overrides: Any) -> plan_changes.PlanChange:
    values: dict[str, Any] = {
        "rationale": "To catch the thoughts behind the low mood, a little more often.",
        "times_per_week": 3,
        "minutes_per_practice": 10,
        "end_date": timezone.localdate() + dt.timedelta(days=20),
        "instructions": "After dinner, at the kitchen table.",
        "practice_days": [0, 2, 4],
    }
    values.update(overrides)
    return plan_changes.PlanChange(**values)


def audit(action: str, assignment: Assignment) -> Any:
    return AuditEvent.objects.filter(action=action, target_id=str(assignment.pk))


def on_today(world: World, assignment: Assignment) -> bool:
    client = ClientProfile.objects.get(pk=world.client_a.pk)
    return assignment.pk in {i.assignment.pk for i in today_items(client, services.local_today(client))}


# --- edit -----------------------------------------------------------------------------------------------------


def test_edit_changes_the_plan_with_one_audit_row(world: World, assignment_a: Assignment) -> None:
    plan_changes.edit_plan(world.therapist, assignment_a.pk, change())
    assignment_a.refresh_from_db()
    assert (assignment_a.times_per_week, assignment_a.minutes_per_practice) == (3, 10)
    assert assignment_a.weekdays == [0, 2, 4] and assignment_a.instructions.startswith("After dinner")
    row = audit("assignment.edit", assignment_a).get()
    assert row.actor == world.therapist and row.subject_user_id == world.client_a.user_id
    assert "After dinner" not in str(row.detail)  # names the fields, never the clinical text


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"rationale": "  "}, "rationale"),
        ({"times_per_week": 0}, "times_per_week"),
        ({"minutes_per_practice": 500}, "minutes_per_practice"),
        ({"practice_days": [0, 1]}, "practice_days"),  # 2 days for 3 a week: check_plan's rule
        ({"end_date": timezone.localdate() - dt.timedelta(days=1)}, "end_date"),  # in the past
        ({"end_date": timezone.localdate() + dt.timedelta(days=400)}, "end_date"),
    ],
)
def test_bad_edits_change_nothing(world: World, assignment_a: Assignment, bad: Any, field: str) -> None:
    before = Assignment.objects.values().get(pk=assignment_a.pk)
    with pytest.raises(HomeworkError) as exc:
        plan_changes.edit_plan(world.therapist, assignment_a.pk, change(**bad))
    assert field in exc.value.errors
    assert Assignment.objects.values().get(pk=assignment_a.pk) == before
    assert not audit("assignment.edit", assignment_a).exists()


@pytest.mark.parametrize("who", ["foreign_therapist", "colleague"])
@pytest.mark.parametrize("action", ["edit", "pause", "resume", "stop"])
def test_only_the_clients_clinicians_may_change_it(
    world: World, assignment_a: Assignment, who: str, action: str
) -> None:
    actor = getattr(world, who)
    if action == "resume":  # paused, so only the access check can refuse it
        Assignment.objects.filter(pk=assignment_a.pk).update(paused_at=timezone.now())
    before = Assignment.objects.values().get(pk=assignment_a.pk)
    calls = {
        "edit": lambda: plan_changes.edit_plan(actor, assignment_a.pk, change()),
        "pause": lambda: plan_changes.pause(actor, assignment_a.pk),
        "resume": lambda: plan_changes.resume(actor, assignment_a.pk),
        "stop": lambda: plan_changes.stop(actor, assignment_a.pk),
    }
    with pytest.raises(Http404):
        calls[action]()
    assert Assignment.objects.values().get(pk=assignment_a.pk) == before
    changes = ("assignment.edit", "assignment.pause", "assignment.resume", "assignment.stop")
    assert not AuditEvent.objects.filter(action__in=changes).exists()


def test_the_edit_page_saves_and_refuses_with_the_rules_message(
    world: World, assignment_a: Assignment
) -> None:
    http = world.login(world.therapist)
    url = f"/assignments/{assignment_a.pk}/edit/"
    assert http.get(url).status_code == 200
    form = {
        "rationale": "Shorter, most days.",
        "times_per_week": "5",
        "minutes_per_practice": "5",
        "practice_days": ["0", "1"],
        "end_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
    }
    bad = http.post(url, form)
    assert bad.status_code == 400 and "Pick 5 days" in bad.content.decode()
    assert Assignment.objects.get(pk=assignment_a.pk).minutes_per_practice == 20
    good = http.post(url, form | {"practice_days": []})
    assert good.status_code == 302
    assert Assignment.objects.get(pk=assignment_a.pk).minutes_per_practice == 5
    assert world.login(world.foreign_therapist).get(url).status_code == 404


# --- pause, resume, stop ----------------------------------------------------------------------------------------


def test_paused_homework_leaves_today_and_resume_brings_it_back(
    world: World, assignment_a: Assignment
) -> None:
    assert on_today(world, assignment_a)
    plan_changes.pause(world.therapist, assignment_a.pk)
    assert not on_today(world, assignment_a)
    page = world.login(world.client_a.user).get("/today/").content.decode()
    assert "Thought record" not in page
    assert audit("assignment.pause", assignment_a).count() == 1
    with pytest.raises(HomeworkError):  # pausing twice is refused, not a second row
        plan_changes.pause(world.therapist, assignment_a.pk)
    assert audit("assignment.pause", assignment_a).count() == 1
    plan_changes.resume(world.therapist, assignment_a.pk)
    assert on_today(world, assignment_a)
    assert audit("assignment.resume", assignment_a).count() == 1
    with pytest.raises(HomeworkError):
        plan_changes.resume(world.therapist, assignment_a.pk)


def test_stop_ends_it_and_it_can_no_longer_be_changed(world: World, assignment_a: Assignment) -> None:
    plan_changes.stop(world.therapist, assignment_a.pk)
    assignment_a.refresh_from_db()
    assert assignment_a.ended_at is not None and not on_today(world, assignment_a)
    assert audit("assignment.stop", assignment_a).count() == 1
    for act in (plan_changes.pause, plan_changes.resume, plan_changes.stop):
        with pytest.raises(HomeworkError):
            act(world.therapist, assignment_a.pk)
    with pytest.raises(HomeworkError):
        plan_changes.edit_plan(world.therapist, assignment_a.pk, change())
    assert audit("assignment.stop", assignment_a).count() == 1


def test_a_paused_homework_gets_no_reminder(world: World, assignment_a: Assignment) -> None:
    now = timezone.now()
    world.client_a.reminder_time = (now - dt.timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    world.client_a.timezone = "UTC"
    world.client_a.save()
    plan_changes.pause(world.therapist, assignment_a.pk)
    reminder, _ = ScheduledReminder.objects.update_or_create(
        client=world.client_a,
        for_date=services.local_today(world.client_a),
        defaults={"run_at": now - dt.timedelta(minutes=5)},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = deliver_reminder(reminder.pk, now)
    assert outcome == "nothing due"
    assert not mail.outbox


def test_paused_days_are_not_missed_practice(world: World) -> None:
    today = timezone.localdate()
    assignment = services.assign_homework(
        world.therapist,
        world.client_a,
        plan_for(world.thought_record, start_date=today - dt.timedelta(days=6), end_date=today),
    )
    assert len(compliance.planned_days(assignment, today)) == 7
    Assignment.objects.filter(pk=assignment.pk).update(paused_at=timezone.now() - dt.timedelta(days=2))
    assignment.refresh_from_db()
    # Paused two days ago: the days from then on ask for nothing, and Today shows no "missed" prompt for them.
    assert compliance.planned_days(assignment, today)[-1] == today - dt.timedelta(days=3)
    assert reviews.missed_practices(world.client_a, today) == []


def test_same_exercise_twice_shows_two_cards_told_apart(world: World) -> None:
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    services.assign_homework(
        world.therapist,
        world.client_a,
        plan_for(world.thought_record, instructions="On the bus home, in the notes app."),
    )
    page = world.login(world.client_a.user).get("/today/").content.decode()
    assert page.count("Set on ") == 2 and "On the bus home" in page


# --- end of treatment -------------------------------------------------------------------------------------------


def test_end_treatment_without_confirmation_changes_nothing(world: World, assignment_a: Assignment) -> None:
    with pytest.raises(HomeworkError) as exc:
        reviews.end_treatment(world.therapist, world.client_a, timezone.localdate())
    assert "confirm" in exc.value.errors
    http = world.login(world.therapist)
    url = f"/clients/{world.client_a.pk}/end/"
    first = http.post(url, {"date": timezone.localdate().isoformat()})  # the client page's button
    assert first.status_code == 200 and "Yes, treatment has ended" in first.content.decode()
    unticked = http.post(url, {"confirm_step": "1", "date": timezone.localdate().isoformat()})
    assert unticked.status_code == 400
    future = http.post(
        url,
        {
            "confirm_step": "1",
            "confirm": "yes",
            "date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert future.status_code == 400
    assert ClientProfile.objects.get(pk=world.client_a.pk).discharged_on is None
    assert Assignment.objects.get(pk=assignment_a.pk).ended_at is None
    assert not AuditEvent.objects.filter(action="client.discharge").exists()
    assert on_today(world, assignment_a)


def test_confirmed_end_of_treatment_stops_homework_and_empties_today(
    world: World, assignment_a: Assignment
) -> None:
    other = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    response = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/end/",
        {"confirm_step": "1", "confirm": "yes", "date": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(client=world.client_a, ended_at__isnull=True).count() == 0
    row = AuditEvent.objects.get(action="client.discharge")
    assert sorted(row.sealed_detail["stopped_assignments"]) == sorted([assignment_a.pk, other.pk])
    assert not on_today(world, assignment_a) and not on_today(world, other)
    page = world.login(world.client_a.user).get("/today/").content.decode()
    assert "Thought record" not in page


def test_today_shows_nothing_once_discharged(world: World, assignment_a: Assignment) -> None:
    # Discharged by other means (e.g. imported), with homework whose own dates are still running.
    ClientProfile.objects.filter(pk=world.client_a.pk).update(discharged_on=timezone.localdate())
    assert not on_today(world, assignment_a)


# --- sessions ---------------------------------------------------------------------------------------------------


def test_a_second_session_on_the_same_date_is_refused(world: World) -> None:
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today)
    with pytest.raises(reviews.SessionTaken) as exc:
        reviews.record_session(world.therapist, world.client_a, today)
    assert exc.value.existing == first
    response = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/sessions/", {"date": today.isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{world.client_a.pk}/sessions/{first.pk}/"
    assert TherapySession.objects.filter(client=world.client_a).count() == 1
    # Another client may have a session that day.
    reviews.record_session(world.therapist, world.client_b, today)


def test_upcoming_sessions_are_listed_apart_from_past_ones(world: World) -> None:
    today = timezone.localdate()
    past = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    now = reviews.record_session(world.therapist, world.client_a, today)
    soon = reviews.record_session(world.therapist, world.client_a, today + dt.timedelta(days=7))
    later = reviews.record_session(world.therapist, world.client_a, today + dt.timedelta(days=14))
    upcoming, done = reviews.split_sessions([past, later, now, soon], today)
    assert upcoming == [soon, later] and done == [now, past]
    page = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").content.decode()
    upcoming_html = page[page.index("upcoming-sessions") : page.index("past-sessions")]
    past_html = page[page.index("past-sessions") :]
    assert f"/sessions/{soon.pk}/" in upcoming_html and f"/sessions/{past.pk}/" not in upcoming_html
    assert f"/sessions/{soon.pk}/" not in past_html and f"/sessions/{past.pk}/" in past_html


# --- weekly targets -------------------------------------------------------------------------------------------


def test_weekly_target_counts_only_days_from_the_start() -> None:
    # Hand-computed: Thursday 5 March 2026 start. Every day, 20 min: Thu-Sun = 4 of 7 days -> 4 days, 80 min.
    thursday = dt.date(2026, 3, 5)
    every_day = Assignment(
        times_per_week=7,
        minutes_per_practice=20,
        practice_days="0,1,2,3,4,5,6",
        start_date=thursday,
        end_date=thursday + dt.timedelta(days=30),
    )
    assert goals.week_share(every_day, thursday) == 4 / 7
    assert goals.week_target(every_day, dt.date(2026, 3, 7)) == 4
    # Mon/Wed/Fri, 3 a week, 15 min: only Friday is left in the first week -> 1 practice, 15 min.
    mwf = Assignment(
        times_per_week=3,
        minutes_per_practice=15,
        practice_days="0,2,4",
        start_date=thursday,
        end_date=thursday + dt.timedelta(days=30),
    )
    assert goals.week_target(mwf, thursday) == 1
    # The next full week asks for all three; a last week ending on Tuesday 31 March asks for Monday only.
    assert goals.week_target(mwf, dt.date(2026, 3, 11)) == 3
    mwf.end_date = dt.date(2026, 3, 31)
    assert goals.week_target(mwf, dt.date(2026, 3, 30)) == 1


def test_progress_goal_is_cut_to_the_first_week(world: World) -> None:
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    start = monday + dt.timedelta(days=3)  # this week's Thursday
    if today < start:  # keep the start in the past or today, as on a real Today
        monday -= dt.timedelta(days=7)
        start -= dt.timedelta(days=7)
        today = monday + dt.timedelta(days=6)
    assignment = services.assign_homework(
        world.therapist,
        world.client_a,
        plan_for(
            world.thought_record,
            times_per_week=7,
            minutes_per_practice=20,
            start_date=start,
            end_date=start + dt.timedelta(days=20),
        ),
    )
    progress = goals.progress_for([assignment], today)[assignment.pk]
    assert (progress.goal_days_week, progress.goal_minutes_week) == (4, 80)


def test_pause_and_resume_keep_the_clients_entries(world: World, entry_a: Entry) -> None:
    # Pausing keeps what the client did; resuming shows it again with the week's count.
    plan_changes.pause(world.therapist, entry_a.assignment_id)
    assert Entry.objects.filter(pk=entry_a.pk).exists()
    plan_changes.resume(world.therapist, entry_a.assignment_id)
    items = today_items(world.client_a, services.local_today(world.client_a))
    assert [i.done_this_week for i in items if i.assignment.pk == entry_a.assignment_id] == [1]


# --- API --------------------------------------------------------------------------------------------------------


def test_the_api_changes_pauses_resumes_and_stops(world: World, assignment_a: Assignment) -> None:
    http = world.login(world.therapist)
    base = f"/api/v1/assignments/{assignment_a.pk}"
    body = {
        "rationale": "Shorter, to make a start.",
        "times_per_week": 2,
        "minutes_per_practice": 5,
        "practice_days": [1, 3],
        "end_date": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
    }
    bad = http.patch(f"{base}/plan", body | {"practice_days": [1]}, content_type="application/json")
    assert bad.status_code == 422 and Assignment.objects.get(pk=assignment_a.pk).times_per_week == 7
    ok = http.patch(f"{base}/plan", body, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["practice_days"] == [1, 3]
    paused = http.post(f"{base}/pause", {}, content_type="application/json")
    assert paused.status_code == 200 and paused.json()["paused_at"] is not None
    assert http.post(f"{base}/pause", {}, content_type="application/json").status_code == 422
    assert http.post(f"{base}/resume", {}, content_type="application/json").json()["paused_at"] is None
    assert http.post(f"{base}/stop", {}, content_type="application/json").json()["ended_at"] is not None
    foreign = world.login(world.foreign_therapist)
    assert foreign.post(f"{base}/pause", {}, content_type="application/json").status_code == 404
