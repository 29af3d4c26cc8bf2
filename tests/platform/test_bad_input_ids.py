"""Ids, indexes and numbers from requests are ASCII digits within bounds: "٣", "1e3" and 20-digit numbers get
a clear 4xx (or are simply no match), never a 500 or a silently different row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from emotipal.definitions.fields import parse_form_data
from emotipal.homework import ladders, reviews, services
from emotipal.homework.models import Assignment, Entry
from emotipal.measures.models import Instrument
from tests.factories import World
from tests.platform.bad_input_helpers import api_client, snapshot

BAD_NUMBERS = ["٣", "1e3", "99999999999999999999", "abc", "-1", " 3"]


class FormData(dict[str, str]):
    def getlist(self, key: str) -> list[str]:
        return [self[key]] if key in self else []


@pytest.mark.parametrize("index", ["١", "²", "99999999999999999999", "1000", "1e3"])
def test_group_row_indexes_in_field_names_are_ascii_and_bounded(world: World, index: str) -> None:
    fields = world.thought_record.field_list
    answers = parse_form_data(fields, FormData({f"a.thoughts.{index}.belief": "50", "a.situation": "s"}))
    assert answers["thoughts"] == []  # not row 1 (for "١"), not a row numbered past any group


@pytest.mark.parametrize("raw", BAD_NUMBERS)
def test_ladder_step_ids_in_forms(world: World, raw: str) -> None:
    ladder = ladders.create_ladder(world.client_a.user, world.client_a, "Lifts")
    step = ladders.add_step(world.client_a.user, ladder.pk, "Stand near the lift", "3")
    http = world.login(world.client_a.user)
    before = snapshot()
    for action in ("status", "split"):
        data = {"action": action, "step": raw, "status": "done", "part_0": "Look at it", "distress_0": "1"}
        response = http.post(f"/ladders/{ladder.pk}/", data)
        assert response.status_code == 404, (action, response.status_code)
    assert snapshot() == before
    step.refresh_from_db()
    assert step.status == step.Status.PLANNED


@pytest.mark.parametrize("raw", ["٥٠", "1e3", "99999999999999999999"])
def test_expected_distress_must_be_ascii(world: World, raw: str) -> None:
    ladder = ladders.create_ladder(world.client_a.user, world.client_a, "Lifts")
    http = world.login(world.client_a.user)
    before = snapshot()
    response = http.post(
        f"/ladders/{ladder.pk}/", {"action": "add", "description": "d", "expected_distress": raw}
    )
    assert response.status_code == 400 and b"expected distress" in response.content.lower()
    assert snapshot() == before


@pytest.mark.parametrize("raw", BAD_NUMBERS)
def test_client_id_in_the_ladders_query_string(world: World, raw: str) -> None:
    http = world.login(world.therapist)
    before = snapshot()
    assert http.get("/ladders/", {"client": raw}).status_code == 404
    assert http.post(f"/ladders/?client={raw}", {"title": "Lifts"}).status_code == 404
    assert snapshot() == before


def test_arabic_digit_is_not_the_client_with_that_id(world: World) -> None:
    """'٣'.isdigit() is True and int('٣') == 3: the page must not open client 3 for it."""
    http = world.login(world.therapist)
    arabic = "".join(chr(0x0660 + int(d)) for d in str(world.client_a.pk))
    assert http.get("/ladders/", {"client": arabic}).status_code == 404


@pytest.mark.parametrize("raw", BAD_NUMBERS)
def test_assignment_id_in_the_session_review_form(world: World, assignment_a: Assignment, raw: str) -> None:
    session = reviews.record_session(world.therapist, world.client_a, timezone.localdate())
    http = world.login(world.therapist)
    before = snapshot()
    response = http.post(
        f"/clients/{world.client_a.pk}/sessions/{session.pk}/", {"assignment": raw, "r.quantity": "2"}
    )
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("raw", BAD_NUMBERS)
def test_instrument_id_and_numbers_in_the_schedule_form(world: World, raw: str) -> None:
    http = world.login(world.therapist)
    before = snapshot()
    response = http.post(
        f"/clients/{world.client_a.pk}/measures/schedule/", {"instrument": raw, "kind": "weekly"}
    )
    assert response.status_code == 404  # no questionnaire the page offered: "not found", never a 500
    assert snapshot() == before
    instrument = Instrument.objects.filter(clinic__isnull=True).first()
    assert instrument is not None
    for name in ("weekday", "expires_after_days"):
        response = http.post(
            f"/clients/{world.client_a.pk}/measures/schedule/",
            {"instrument": str(instrument.pk), "kind": "weekly", name: raw},
            follow=True,
        )
        assert response.status_code == 200
        assert b"Choose" in response.content
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["٣", "1e3", "99999999999999999999"])
def test_ratings_in_forms_must_be_ascii(world: World, assignment_a: Assignment, raw: str) -> None:
    http = world.login(world.client_a.user)
    before = snapshot()
    response = http.post(
        f"/homework/{assignment_a.pk}/",
        {"a.situation": "s", "a.thoughts.0.thought": "t", "a.thoughts.0.belief": "5", "effort": raw},
    )
    assert response.status_code == 400 and b"Choose a rating from 0 to 4." in response.content
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.SUBMITTED).count() == 0
    assert before["homework.Entry"] == []  # the page had not opened a draft before, and nothing was submitted


@pytest.mark.parametrize("raw", ["٣", "99999999999999999999", "1e3"])
def test_ladder_step_id_of_a_practice(world: World, raw: str) -> None:
    assignment = services.assign_homework(
        world.therapist,
        world.client_a,
        services.AssignmentPlan(
            template_version=world.exposure,
            rationale="r",
            times_per_week=3,
            minutes_per_practice=10,
            start_date=timezone.localdate(),
            end_date=timezone.localdate() + dt.timedelta(days=7),
        ),
    )
    http = world.login(world.client_a.user)
    response = http.post(f"/homework/{assignment.pk}/", {"ladder_step": raw})
    assert response.status_code == 400 and b"Some answers need another look." in response.content
    assert not Entry.objects.filter(assignment=assignment, status=Entry.Status.SUBMITTED).exists()


def test_session_number_past_smallint_over_the_api(world: World) -> None:
    http = api_client(world.therapist)
    before = snapshot()
    response = http.post(
        f"/api/v1/clients/{world.client_a.pk}/sessions",
        {"date": timezone.localdate().isoformat(), "number": 40000},
        content_type="application/json",
    )
    assert response.status_code == 422 and "Session numbers go up to 32767." in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "path", ["/api/v1/assignments/99999999999999999999/draft", "/api/v1/entries/99999999999999999999/review"]
)
def test_huge_ids_in_api_paths_are_not_found(world: World, path: str) -> None:
    http = api_client(world.client_a.user)
    response = (
        http.get(path) if path.endswith("draft") else http.post(path, {}, content_type="application/json")
    )
    assert response.status_code in (403, 404, 422) and response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/my/entries/99999999999999999999/", "/ladders/99999999999999999999/"])
def test_huge_ids_in_page_paths_are_not_found(world: World, path: str) -> None:
    assert world.login(world.client_a.user).get(path).status_code == 404


@pytest.mark.parametrize("raw", ["١٠", "1e1", "99999999999999999999", "24.0"])
def test_escalation_hours_must_be_ascii_digits(world: World, raw: str) -> None:
    http = world.login(world.admin)
    before = snapshot()
    response = http.post(
        "/clinic/safety/",
        {"action": "policy", "alert_escalation_hours": raw, "answers_read_statement": "Read within a day."},
    )
    assert response.status_code == 400 and b"Give the escalation time in hours (1 to 168)" in response.content
    assert snapshot() == before
