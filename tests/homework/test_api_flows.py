"""The JSON API carries the same loop as the pages: schema, drafts, idempotent submit, assign, review."""

from __future__ import annotations

from typing import Any

from django.test import Client

from emotipal.accounts.models import ClientProfile
from emotipal.accounts.services import create_api_token
from emotipal.homework.models import Assignment, Entry
from tests.factories import World, complete_thought_record, make_user


def api_client(user: Any) -> Client:
    http = Client()
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {create_api_token(user, 'test').secret}"
    return http


def test_client_loop_over_the_api(world: World, assignment_a: Assignment) -> None:
    http = api_client(world.client_a.user)
    mine = http.get("/api/v1/me/assignments").json()
    assert [a["id"] for a in mine] == [assignment_a.pk] and mine[0]["due_today"] is True
    schema = http.get(f"/api/v1/assignments/{assignment_a.pk}/schema").json()
    assert schema["slug"] == "thought-record" and schema["fields"][0]["id"] == "situation"

    draft = http.put(
        f"/api/v1/assignments/{assignment_a.pk}/draft",
        {"answers": {"situation": "typed on the bus"}, "active_seconds": 40},
        content_type="application/json",
    ).json()
    assert draft["status"] == "draft" and draft["answers"] == {"situation": "typed on the bus"}

    bad = http.post(
        f"/api/v1/assignments/{assignment_a.pk}/entries",
        {"answers": {"situation": "x", "emotions": [{"emotion": "sad", "intensity": 200}]}, "effort": 2},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same-key",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {
        "emotions.0.intensity": "Choose a value from 0 to 100.",
        "thoughts": "Add at least 1 entry.",
    }

    body = {
        "answers": complete_thought_record(),
        "effort": 3,
        "difficulty": 2,
        "helpfulness": 4,
        "active_seconds": 60,
    }
    first = http.post(
        f"/api/v1/assignments/{assignment_a.pk}/entries",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same-key",
    )
    again = http.post(
        f"/api/v1/assignments/{assignment_a.pk}/entries",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same-key",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Entry.objects.filter(status=Entry.Status.SUBMITTED).count() == 1
    assert first.json()["active_seconds"] == 100  # 40 while drafting + 60 at submission


def test_therapist_loop_over_the_api(world: World, entry_a: Entry) -> None:
    http = api_client(world.therapist)
    rows = http.get("/api/v1/clients").json()
    assert {r["email"] for r in rows} == {"client.a@example.org", "client.b@example.org"}
    row_a = next(r for r in rows if r["id"] == world.client_a.pk)
    assert row_a["unreviewed"] == 1 and row_a["done_this_week"] >= 1

    created = http.post(
        f"/api/v1/clients/{world.client_b.pk}/assignments",
        {
            "template": "exposure-practice",
            "rationale": "Stay with the anxiety until it settles by itself.",
            "times_per_week": 6,
            "minutes_per_practice": 45,
            "start_date": "2026-03-02",
            "end_date": "2026-03-29",
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["practice_days"] == [0, 1, 2, 3, 4, 5]
    refused = http.post(
        f"/api/v1/clients/{world.client_b.pk}/assignments",
        {
            "template": "no-such",
            "rationale": "x",
            "times_per_week": 1,
            "minutes_per_practice": 5,
            "start_date": "2026-03-02",
            "end_date": "2026-03-01",
        },
        content_type="application/json",
    )
    assert refused.status_code == 422 and "template" in refused.json()["errors"]

    entries = http.get(f"/api/v1/clients/{world.client_a.pk}/entries").json()
    assert entries[0]["answers"]["emotions"][0]["intensity"] == 80
    reviewed = http.post(
        f"/api/v1/entries/{entry_a.pk}/review", {"note": "seen"}, content_type="application/json"
    )
    assert reviewed.json()["review_note"] == "seen" and reviewed.json()["reviewed_at"]


def test_client_settings_schedule_reminders(world: World) -> None:
    from emotipal.notifications.models import ScheduledReminder

    http = world.login(world.client_a.user)
    bad = http.post("/settings/", {"reminder_time": "25:99", "timezone": "Europe/Madrid"})
    assert bad.status_code == 400 and not ScheduledReminder.objects.exists()
    ok = http.post("/settings/", {"reminder_time": "18:30", "timezone": "Europe/Madrid"})
    assert ok.status_code == 302
    world.client_a.refresh_from_db()
    assert str(world.client_a.reminder_time) == "18:30:00"
    assert ScheduledReminder.objects.filter(client=world.client_a).count() == 1


def test_review_side_over_the_api(world: World, assignment_a: Assignment) -> None:
    import datetime as dt

    from django.utils import timezone

    from emotipal.homework import reviews

    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, assignment_a.start_date)
    Assignment.objects.filter(pk=assignment_a.pk).update(session=first)
    therapist, client = api_client(world.therapist), api_client(world.client_a.user)
    second = therapist.post(
        f"/api/v1/clients/{world.client_a.pk}/sessions",
        {"date": today.isoformat()},
        content_type="application/json",
    ).json()
    assert second["number"] == 2
    items = client.get("/api/v1/engagement-items").json()
    assert len(items) == 12 and all(len(i["anchors"]) == 5 for i in items)

    review = client.post(
        f"/api/v1/assignments/{assignment_a.pk}/self-reviews",
        {"session_id": second["id"], "ratings": {"quantity": 2, "quality": 9}},
        content_type="application/json",
    )
    assert review.status_code == 422 and review.json()["errors"] == {
        "quality": "Choose a rating from 0 to 4."
    }
    ok = client.post(
        f"/api/v1/assignments/{assignment_a.pk}/self-reviews",
        {"session_id": second["id"], "ratings": {"quantity": 2, "quality": 3}, "what_i_did": "one"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    twice = client.post(
        f"/api/v1/assignments/{assignment_a.pk}/self-reviews",
        {"session_id": second["id"], "ratings": {"quantity": 2, "quality": 3}},
        content_type="application/json",
    )
    assert twice.status_code == 422 and "already reviewed" in twice.json()["detail"]

    barrier = client.post(
        f"/api/v1/assignments/{assignment_a.pk}/barriers",
        {
            "day": (today - dt.timedelta(days=1)).isoformat(),
            "barrier": "forgot",
            "strategy": "schedule_reminder",
        },
        content_type="application/json",
    ).json()
    assert barrier["strategy"] == "schedule_reminder"
    listed = therapist.get(f"/api/v1/clients/{world.client_a.pk}/barriers").json()
    assert [b["barrier"] for b in listed] == ["forgot"]

    figures = therapist.get(f"/api/v1/clients/{world.client_a.pk}/compliance").json()
    by_name = {(f["measure"], f["timing"]): f for f in figures["figures"]}
    assert by_name[("client_quantity", "contemporaneous")]["value"] == 2
    assert {f["source"] for f in figures["figures"]} == {"objective", "client", "therapist", "combined"}
    assert len(figures["index_components"]) == 4
    assert client.get("/api/v1/me/compliance?period=week").status_code == 200
    assert client.get("/api/v1/me/compliance?period=decade").status_code == 422


def test_the_caseload_over_the_api_comes_in_pages_of_its_own_clients(world: World) -> None:
    for i in range(5):
        ClientProfile.objects.create(
            user=make_user(f"paged{i}@example.org", f"Paged {i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
    http = api_client(world.therapist)
    everyone = http.get("/api/v1/clients?limit=500")
    assert everyone.status_code == 200 and everyone["X-Total-Count"] == "7"
    assert len(everyone.json()) == 7
    first = http.get("/api/v1/clients?limit=3").json()
    rest = http.get("/api/v1/clients?limit=3&offset=3").json() + http.get("/api/v1/clients?offset=6").json()
    assert [r["id"] for r in first + rest] == [r["id"] for r in everyone.json()]
    assert http.get("/api/v1/clients?offset=50").json() == []
    for bad in ("limit=0", "limit=501", "offset=-1", "limit=many"):
        answer = http.get(f"/api/v1/clients?{bad}")
        assert answer.status_code == 422, bad
    # Another clinic's therapist sees none of them, and only their own total.
    other = api_client(world.foreign_therapist).get("/api/v1/clients?limit=500")
    assert other.status_code == 200 and other["X-Total-Count"] == str(len(other.json()))
    assert not {r["id"] for r in other.json()} & {r["id"] for r in everyone.json()}
