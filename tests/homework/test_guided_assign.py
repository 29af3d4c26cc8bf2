"""The guided assign flow (issue 12, item 1): rules, the confidence gate, the last homework's review, the audit
row's steps, the client's side (rationale, calendar) and the assign form's per-exercise variants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar

from emotipal.homework import reviews, services
from emotipal.homework.calendar import practice_calendar
from emotipal.homework.models import Assignment
from emotipal.library.models import TemplateVersion
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, plan_for

LOW_MESSAGE = (
    "At 4 out of 10 the task may be too big. Make it smaller together (a first step, shorter, less often) and "
    "ask again, or record that you made it smaller."
)


def detail(event: Any) -> dict[str, Any]:
    """The audit row's detail, plain and sealed (anything about a client is sealed)."""
    return {**event.detail, **(event.sealed_detail or {})}


def relaxation() -> TemplateVersion:
    return TemplateVersion.objects.filter(template__slug="relaxation").order_by("-number").first()  # type: ignore[return-value]


def guided(version: TemplateVersion, **overrides: Any) -> services.AssignmentPlan:
    values: dict[str, Any] = {
        "goal": "Get back to Sunday football",
        "practice_time": dt.time(18, 30),
        "practice_place": "Kitchen table",
        "obstacles": "Tired after work",
        "backup_plan": "Do it at lunch instead",
        "confidence": 8,
        "rehearsed": True,
        "summary": "What: thought record. When: 18:30.",
    }
    values.update(overrides)
    return plan_for(version, **values)


def sessions_with_due_homework(world: World) -> tuple[Assignment, Any]:
    """Homework set in session 1 (three days ago), due for review in session 2 (today)."""
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=3))
    second = reviews.record_session(world.therapist, world.client_a, today)
    old = services.assign_homework(
        world.therapist, world.client_a, plan_for(world.thought_record, session=first)
    )
    return old, second


# --- services ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"confidence": 11}, "confidence", "Confidence is a whole number from 0 to 10."),
        ({"confidence": -1}, "confidence", "Confidence is a whole number from 0 to 10."),
        ({"confidence": True}, "confidence", "Confidence is a whole number from 0 to 10."),
        ({"goal": "g" * 1001}, "goal", "Keep the goal to 1000 characters or fewer."),
        ({"practice_place": "p" * 301}, "practice_place", "Keep the place to 300 characters or fewer."),
        ({"obstacles": "o" * 2001}, "obstacles", "Keep the obstacles to 2000 characters or fewer."),
        ({"backup_plan": "b" * 2001}, "backup_plan", "Keep the backup plan to 2000 characters or fewer."),
        ({"summary": "s" * 4001}, "summary", "Keep the summary to 4000 characters or fewer."),
        (
            {"practice_time": dt.time(18, 30, tzinfo=dt.UTC)},
            "practice_time",
            "Give the time of day as hours and minutes, e.g. 18:30.",
        ),
        ({"confidence": 4}, "confidence", LOW_MESSAGE),
    ],
)
def test_bad_plans_are_refused_and_change_nothing(
    world: World, changes: dict, field: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(services.HomeworkError) as exc:
        services.assign_homework(world.therapist, world.client_a, guided(world.thought_record, **changes))
    assert exc.value.errors == {field: message}
    assert not Assignment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_page_requires_confidence_and_the_api_may_leave_it_out(world: World) -> None:
    plan = guided(world.thought_record, confidence=None)
    assert services.check_plan(plan, require_confidence=True) == {
        "confidence": "Ask the client how confident they are that they will do it (0-10)."
    }
    assert services.check_plan(plan) == {}


def test_low_confidence_is_saved_once_the_task_was_made_smaller(world: World) -> None:
    plan = guided(world.thought_record, confidence=4, made_smaller=True, minutes_per_practice=5)
    assignment = services.assign_homework(world.therapist, world.client_a, plan, require_confidence=True)
    assert (assignment.confidence, assignment.made_smaller, assignment.minutes_per_practice) == (4, True, 5)
    event = AuditEvent.objects.get(action="assignment.create")
    assert "sized_to_confidence" in detail(event)["steps"] and detail(event)["made_smaller"] is True


def test_made_smaller_means_nothing_at_enough_confidence(world: World) -> None:
    plan = guided(world.thought_record, confidence=8, made_smaller=True)
    assert services.assign_homework(world.therapist, world.client_a, plan).made_smaller is False


def test_everything_agreed_is_stored_and_the_audit_row_names_the_steps(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, guided(world.thought_record))
    assignment.refresh_from_db()
    assert assignment.goal == "Get back to Sunday football"
    assert assignment.practice_time == dt.time(18, 30)
    assert (assignment.practice_place, assignment.obstacles) == ("Kitchen table", "Tired after work")
    assert (assignment.backup_plan, assignment.confidence, assignment.rehearsed) == (
        "Do it at lunch instead",
        8,
        True,
    )
    assert assignment.summary == "What: thought record. When: 18:30."
    event = AuditEvent.objects.get(action="assignment.create")
    assert detail(event)["steps"] == sorted(
        [
            "goal_linked",
            "rationale_given",
            "designed_together",
            "obstacles_anticipated",
            "backup_plan",
            "confidence_checked",
            "sized_to_confidence",
            "rehearsed",
            "summary_written",
        ]
    )
    bare = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    bare_event = AuditEvent.objects.filter(action="assignment.create").order_by("-pk").first()
    assert bare_event is not None and detail(bare_event)["steps"] == ["rationale_given"]
    assert bare.previous_reviewed is None


def test_previous_reviewed_records_whether_the_last_homework_was_reviewed(world: World) -> None:
    old, second = sessions_with_due_homework(world)
    skipped = services.assign_homework(
        world.therapist, world.client_a, guided(world.thought_record, session=second)
    )
    assert skipped.previous_reviewed is False
    reviews.submit_therapist_review(
        world.therapist, old.pk, second.pk, {"quantity": 3, "quality": 2, "mastery": 2}
    )
    done = services.assign_homework(
        world.therapist, world.client_a, guided(world.thought_record, session=second)
    )
    assert done.previous_reviewed is True
    event = AuditEvent.objects.filter(action="assignment.create").order_by("-pk").first()
    assert event is not None and detail(event)["previous_reviewed"] is True


def test_a_variant_the_exercise_lacks_is_refused_by_name(world: World) -> None:
    version = relaxation()
    assert "family-es" not in {v["key"] for v in version.variants}
    with pytest.raises(services.HomeworkError) as exc:
        services.assign_homework(world.therapist, world.client_a, guided(version, variant_key="family-es"))
    assert exc.value.errors == {
        "variant": f"{version.title} has no version called \u201cfamily-es\u201d: choose one of the versions it has."
    }
    assert not Assignment.objects.exists()
    ok = services.assign_homework(
        world.therapist, world.client_a, guided(world.thought_record, variant_key="family-es")
    )
    assert ok.variant_key == "family-es"


def test_the_client_confirms_or_rewords_the_reason(world: World) -> None:
    assignment = services.assign_homework(world.therapist, world.client_a, guided(world.thought_record))
    user = world.client_a.user
    confirmed = services.confirm_rationale(user, assignment.pk)
    assert confirmed.rationale_confirmed_at is not None and confirmed.client_rationale == ""
    reworded = services.confirm_rationale(user, assignment.pk, "  So Sundays feel lighter.  ")
    assert reworded.client_rationale == "So Sundays feel lighter."
    events = AuditEvent.objects.filter(action="assignment.rationale_confirm").order_by("pk")
    assert [detail(e)["reworded"] for e in events] == [False, True]
    assert {e.subject_user_id for e in events} == {user.pk}

    with pytest.raises(services.HomeworkError) as exc:
        services.confirm_rationale(user, assignment.pk, "x" * 2001)
    assert exc.value.errors == {"client_rationale": "Keep it to 2000 characters or fewer."}
    assignment.refresh_from_db()
    assert assignment.client_rationale == "So Sundays feel lighter."

    from django.http import Http404

    with pytest.raises(Http404):
        services.confirm_rationale(world.client_b.user, assignment.pk, "not mine")


# --- the calendar --------------------------------------------------------------------------------------------


def test_the_calendar_repeats_weekly_on_the_practice_days_in_the_clients_zone(world: World) -> None:
    world.client_a.timezone = "Europe/Berlin"
    world.client_a.save(update_fields=["timezone"])
    start = dt.date(2026, 3, 2)  # a Monday; Berlin moves its clocks on 29 March
    plan = guided(
        world.thought_record,
        times_per_week=3,
        practice_days=[0, 2, 4],
        start_date=start + dt.timedelta(days=1),
        end_date=dt.date(2026, 4, 10),
        minutes_per_practice=15,
    )
    assignment = services.assign_homework(world.therapist, world.client_a, plan)
    cal = Calendar.from_ical(practice_calendar(assignment, "Thought record"))
    (event,) = cal.walk("VEVENT")
    dtstart = event.decoded("dtstart")
    assert dtstart == dt.datetime(2026, 3, 4, 18, 30, tzinfo=dtstart.tzinfo)  # the first Wednesday
    assert str(event["dtstart"].params["TZID"]) == "Europe/Berlin"
    assert event.decoded("duration") == dt.timedelta(minutes=15)
    rule = event["rrule"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO", "WE", "FR"]
    assert rule["UNTIL"] == [dt.datetime(2026, 4, 10, 16, 30, tzinfo=dt.UTC)]  # 18:30 in Berlin's summer time
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(event["location"]) == "Kitchen table"


def test_without_a_time_the_calendar_has_all_day_practices(world: World) -> None:
    assignment = services.assign_homework(
        world.therapist, world.client_a, guided(world.thought_record, practice_time=None)
    )
    (event,) = Calendar.from_ical(practice_calendar(assignment, "x")).walk("VEVENT")
    assert isinstance(event.decoded("dtstart"), dt.date) and not isinstance(
        event.decoded("dtstart"), dt.datetime
    )
    assert event["rrule"]["UNTIL"] == [assignment.end_date]


# --- the page --------------------------------------------------------------------------------------------------


def form_data(world: World, **changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "template_version": str(world.thought_record.pk),
        "variant": "auto",
        "goal": "Get back to Sunday football",
        "rationale": "So I catch the thoughts that keep me on the sofa.",
        "instructions": "Write one thought record after dinner.",
        "practice_time": "18:30",
        "practice_place": "Kitchen table",
        "times_per_week": "6",
        "minutes_per_practice": "20",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=13)).isoformat(),
        "obstacles": "Tired after work",
        "backup_plan": "At lunch instead",
        "confidence": "8",
        "summary": "",
        "summary_drafted": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_last_homework_and_asks_for_confidence(
    world: World, django_assert_max_num_queries: Any
) -> None:
    old, second = sessions_with_due_homework(world)
    http = world.login(world.therapist)
    with django_assert_max_num_queries(25):
        page = http.get(f"/clients/{world.client_a.pk}/assign/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="confidence"' in body
    assert "has not been reviewed yet" in body
    assert f"/clients/{world.client_a.pk}/sessions/{second.pk}/" in body
    reviews.submit_therapist_review(
        world.therapist, old.pk, second.pk, {"quantity": 3, "quality": 2, "mastery": 2}
    )
    from emotipal.homework.models import TherapistReview

    TherapistReview.objects.filter(assignment=old).update(learned="Evenings work", change_next="Shorter")
    body = http.get(f"/clients/{world.client_a.pk}/assign/").content.decode()
    assert "has not been reviewed yet" not in body
    assert "Evenings work" in body and "Shorter" in body


def test_the_query_count_does_not_grow_with_the_homework_due(
    world: World, django_assert_max_num_queries: Any
) -> None:
    old, _second = sessions_with_due_homework(world)
    for _ in range(5):
        services.assign_homework(
            world.therapist,
            world.client_a,
            plan_for(world.thought_record, session=old.session, goal="A goal"),
        )
    http = world.login(world.therapist)
    with django_assert_max_num_queries(25):
        assert http.get(f"/clients/{world.client_a.pk}/assign/").status_code == 200


def test_low_confidence_leads_to_a_smaller_task_before_saving(world: World) -> None:
    http = world.login(world.therapist)
    url = f"/clients/{world.client_a.pk}/assign/"
    low = http.post(url, form_data(world, confidence="4"))
    assert low.status_code == 400 and not Assignment.objects.exists()
    body = low.content.decode()
    assert "4 out of 10: let's make it smaller first." in body
    assert 'value="shorter"' in body and 'value="less_often"' in body and 'value="micro"' in body

    resized = http.post(url, form_data(world, confidence="4", smaller="shorter"))
    assert resized.status_code == 200 and not Assignment.objects.exists()
    form = resized.context["form"]
    assert form.data["minutes_per_practice"] == "10" and form.data["confidence"] == ""
    assert "How long: 10 minutes" in form.data["summary"]  # the untouched draft follows the change

    saved = http.post(url, form_data(world, confidence="4", made_smaller="on", minutes_per_practice="10"))
    assert saved.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.confidence, assignment.made_smaller, assignment.minutes_per_practice) == (4, True, 10)
    assert "How long: 10 minutes" in assignment.summary and "Where: Kitchen table" in assignment.summary


def test_a_missing_confidence_is_asked_for(world: World) -> None:
    page = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/assign/", form_data(world, confidence="")
    )
    assert page.status_code == 400
    assert page.context["form"].errors["confidence"] == [
        "Ask the client how confident they are that they will do it (0-10)."
    ]
    assert not Assignment.objects.exists()


def test_an_edited_summary_is_kept(world: World) -> None:
    data = form_data(world, summary="Our own words.", summary_drafted="What: old draft")
    assert world.login(world.therapist).post(f"/clients/{world.client_a.pk}/assign/", data).status_code == 302
    assert Assignment.objects.get().summary == "Our own words."


def test_the_page_refuses_a_variant_the_exercise_lacks(world: World) -> None:
    version = relaxation()
    page = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/assign/",
        form_data(world, template_version=str(version.pk), variant="family-es"),
    )
    assert page.status_code == 400
    assert "has no version called" in page.context["form"].errors["variant"][0]
    assert not Assignment.objects.exists()


def test_the_variants_offered_are_the_chosen_exercises(world: World) -> None:
    http = world.login(world.therapist)
    version = relaxation()
    part = http.get(f"/clients/{world.client_a.pk}/assign/exercise/?template_version={version.pk}")
    body = part.content.decode()
    assert part.status_code == 200 and version.title in body
    assert 'value="family-en"' in body and 'value="family-es"' not in body
    other = http.get(
        f"/clients/{world.client_a.pk}/assign/exercise/?template_version={world.thought_record.pk}"
    )
    assert 'value="family-es"' in other.content.decode()
    assert (
        http.get(f"/clients/{world.client_a.pk}/assign/exercise/?template_version=999999").status_code == 404
    )
    page = http.get(f"/clients/{world.client_a.pk}/assign/?template={version.pk}")
    assert page.context["form"]["template_version"].value() == version.pk
    assert 'value="family-es"' not in page.content.decode()
    assert page.context["form"]["minutes_per_practice"].value() == version.estimated_minutes
    ignored = http.get(f"/clients/{world.client_a.pk}/assign/?template=999999")
    assert ignored.status_code == 200 and ignored.context["form"]["template_version"].value() is None


# --- the client's side -------------------------------------------------------------------------------------------


def test_the_client_sees_the_summary_confirms_the_reason_and_downloads_the_calendar(world: World) -> None:
    assignment = services.assign_homework(
        world.therapist,
        world.client_a,
        guided(world.thought_record, summary="When: 18:30 at the kitchen table"),
    )
    http = world.login(world.client_a.user)
    today = http.get("/today/").content.decode()
    assert "When: 18:30 at the kitchen table" in today and f"/homework/{assignment.pk}/plan/" in today
    page = http.get(f"/homework/{assignment.pk}/plan/")
    assert page.status_code == 200 and "Yes, that is why I am doing it" in page.content.decode()
    assert http.post(f"/homework/{assignment.pk}/plan/", {"action": "confirm"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.rationale_confirmed_at is not None
    bad = http.post(f"/homework/{assignment.pk}/plan/", {"action": "reword", "client_rationale": "x" * 2001})
    assert bad.status_code == 400 and "Keep it to 2000 characters or fewer." in bad.content.decode()
    http.post(f"/homework/{assignment.pk}/plan/", {"action": "reword", "client_rationale": "For Sundays"})
    assignment.refresh_from_db()
    assert assignment.client_rationale == "For Sundays"
    ics = http.get(f"/homework/{assignment.pk}/plan.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(ics.content).walk("VEVENT")
    assert world.login(world.client_b.user).get(f"/homework/{assignment.pk}/plan.ics").status_code == 404


# --- the API -------------------------------------------------------------------------------------------------


def test_the_api_stores_the_guided_plan_with_the_pages_rules(world: World) -> None:
    from tests.homework.test_rules_one_place import api_client

    today = timezone.localdate()
    body = {
        "template": "thought-record",
        "rationale": "So I catch the thoughts.",
        "times_per_week": 3,
        "minutes_per_practice": 15,
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=13)).isoformat(),
        "practice_time": "18:30",
        "practice_place": "Kitchen",
        "summary": "Three times a week",
        "confidence": 4,
    }
    url = f"/api/v1/clients/{world.client_a.pk}/assignments"
    low = api_client(world.therapist).post(url, body, content_type="application/json")
    assert low.status_code == 422 and low.json()["errors"] == {"confidence": LOW_MESSAGE}
    made = api_client(world.therapist).post(
        url, body | {"made_smaller": True}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["practice_time"] == "18:30:00" and made.json()["made_smaller"] is True

    client_api = api_client(world.client_a.user)
    (mine,) = client_api.get("/api/v1/me/assignments").json()
    assert (mine["summary"], mine["practice_place"], mine["practice_time"]) == (
        "Three times a week",
        "Kitchen",
        "18:30:00",
    )
    reworded = client_api.post(
        f"/api/v1/assignments/{mine['id']}/rationale", {"wording": "For me"}, content_type="application/json"
    )
    assert reworded.status_code == 200 and reworded.json()["client_rationale"] == "For me"
    too_long = client_api.post(
        f"/api/v1/assignments/{mine['id']}/rationale",
        {"wording": "x" * 2001},
        content_type="application/json",
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == {"client_rationale": "Keep it to 2000 characters or fewer."}


# --- "Assign" from the library -------------------------------------------------------------------------------


def test_assign_from_the_library_lands_on_the_assign_page_with_the_exercise(world: World) -> None:
    http = world.login(world.therapist)
    slug = world.thought_record.template.slug
    body = http.get(f"/library/{slug}/").content.decode()
    assert "Assign to a client" in body
    assert f'value="{world.client_a.pk}"' in body and f'value="{world.client_other_clinic.pk}"' not in body
    assert AuditEvent.objects.filter(
        action="read.library.assign_to", subject_user_id=world.client_a.user_id
    ).exists()
    url = f"/library/versions/{world.thought_record.pk}/assign/?client={world.client_a.pk}"
    landed = http.get(url)
    assert landed.status_code == 302
    assert landed["Location"] == f"/clients/{world.client_a.pk}/assign/?template={world.thought_record.pk}"
    page = http.get(landed["Location"])
    assert page.context["form"]["template_version"].value() == world.thought_record.pk
    assert world.login(world.colleague).get(url).status_code == 404
    assert http.get(f"/library/versions/{world.thought_record.pk}/assign/?client=x").status_code == 404
    assert "Assign to a client" not in world.login(world.researcher).get(f"/library/{slug}/").content.decode()


def test_the_summary_draft_follows_the_plan_until_it_is_edited(world: World) -> None:
    http = world.login(world.therapist)
    url = f"/clients/{world.client_a.pk}/assign/"
    preview = http.post(
        url,
        form_data(world, preview="1", summary="How long: 20 minutes", summary_drafted="How long: 20 minutes"),
    )
    assert preview.status_code == 200 and not Assignment.objects.exists()
    draft = preview.context["form"].data["summary"]
    assert "Where: Kitchen table" in draft and "When: at 6:30 p.m." in draft
    kept = http.post(
        url, form_data(world, preview="1", summary="Mine", summary_drafted="How long: 20 minutes")
    )
    assert kept.context["form"].data["summary"] == "Mine"
    redrafted = http.post(url, form_data(world, redraft="1", summary="Mine", summary_drafted="x"))
    assert (
        redrafted.status_code == 200 and "Where: Kitchen table" in redrafted.context["form"].data["summary"]
    )
    assert not Assignment.objects.exists()
