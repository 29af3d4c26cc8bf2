"""NUL characters and lone surrogates in any text field: a clear 400 and nothing written, on every database.

PostgreSQL refuses NUL in text and jsonb (SQLite stores it), and a lone surrogate cannot be encoded to UTF-8,
so without one check for all input the same request crashed on one database and was stored on the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from emotipal.homework import ladders, reviews, services
from emotipal.homework.models import Assignment, Entry
from emotipal.library.services import clone_template
from tests.factories import World
from tests.platform.bad_input_helpers import api_client, snapshot

NUL = "before\x00after"
SURROGATE = "before\ud800after"


@pytest.fixture
def o(world: World, assignment_a: Assignment, entry_a: Entry) -> SimpleNamespace:
    """Everything the forms below post to: a ladder with a step, a session, a barrier, a clinic template."""
    ladder = ladders.create_ladder(world.client_a.user, world.client_a, "Lifts")
    step = ladders.add_step(world.client_a.user, ladder.pk, "Stand near the lift", "30")
    session = reviews.record_session(
        world.therapist, world.client_a, timezone.localdate() + dt.timedelta(days=2)
    )
    copy = clone_template(world.therapist, world.thought_record, world.clinic)
    # A fresh draft to type into (entry_a submitted the first one).
    services.save_draft(world.client_a.user, assignment_a.pk, {"situation": "typed before"})
    return SimpleNamespace(
        world=world,
        assignment=assignment_a,
        entry=entry_a,
        ladder=ladder,
        step=step,
        session=session,
        copy=copy,
    )


# (who, url, form data with the bad text in one field)
FORMS: dict[str, tuple[str, Callable[[Any], str], Callable[[Any, str], dict[str, str]]]] = {
    "exercise answer": (
        "client",
        lambda o: f"/homework/{o.assignment.pk}/",
        lambda o, bad: {"a.situation": bad, "idempotency_key": "k1"},
    ),
    "draft answer": (
        "client",
        lambda o: f"/homework/{o.assignment.pk}/draft/",
        lambda o, bad: {"a.situation": bad},
    ),
    "draft answer in a group row": (
        "client",
        lambda o: f"/homework/{o.assignment.pk}/draft/",
        lambda o, bad: {"a.thoughts.0.thought": bad},
    ),
    "field name": (
        "client",
        lambda o: f"/homework/{o.assignment.pk}/draft/",
        lambda o, bad: {f"a.{bad}": "x"},
    ),
    "reward": ("client", lambda o: f"/homework/{o.assignment.pk}/reward/", lambda o, bad: {"reward": bad}),
    "barrier detail": (
        "client",
        lambda o: f"/homework/{o.assignment.pk}/not-done/",
        lambda o, bad: {"barrier": "forgot", "detail": bad},
    ),
    "ladder title": ("client", lambda o: "/ladders/", lambda o, bad: {"title": bad}),
    "ladder step": (
        "client",
        lambda o: f"/ladders/{o.ladder.pk}/",
        lambda o, bad: {"action": "add", "description": bad, "expected_distress": "40"},
    ),
    "self-review text": (
        "client",
        lambda o: f"/homework/{o.assignment.pk}/review/{o.session.pk}/",
        lambda o, bad: {"what_i_did": bad, "r.quantity": "3"},
    ),
    "assignment rationale": (
        "therapist",
        lambda o: f"/clients/{o.world.client_a.pk}/assign/",
        lambda o, bad: {"rationale": bad},
    ),
    "review note": ("therapist", lambda o: f"/entries/{o.entry.pk}/review/", lambda o, bad: {"note": bad}),
    "retroactive note": (
        "therapist",
        lambda o: f"/clients/{o.world.client_a.pk}/look-back/",
        lambda o, bad: {"r.quantity": "3", "r.quality": "3", "note": bad},
    ),
    "session review note": (
        "therapist",
        lambda o: f"/clients/{o.world.client_a.pk}/sessions/{o.session.pk}/",
        lambda o, bad: {"assignment": str(o.assignment.pk), "note": bad},
    ),
    "template title": (
        "therapist",
        lambda o: f"/library/mine/{o.copy.template_id}/",
        lambda o, bad: {
            "title": bad,
            "rationale": "r",
            "instructions": "i",
            "fields": "- {id: a, type: short_text, label: A}",
        },
    ),
    "crisis resource title": (
        "admin",
        lambda o: "/clinic/safety/",
        lambda o, bad: {"action": "add", "title": bad, "body": "Call someone", "language": "en"},
    ),
    "crisis resource body": (
        "admin",
        lambda o: "/clinic/safety/",
        lambda o, bad: {"action": "add", "title": "Line", "body": bad, "language": "en"},
    ),
    "safety statement": (
        "admin",
        lambda o: "/clinic/safety/",
        lambda o, bad: {"action": "policy", "alert_escalation_hours": "24", "answers_read_statement": bad},
    ),
    "questionnaire definition": (
        "admin",
        lambda o: "/clinic/questionnaires/",
        lambda o, bad: {"action": "save", "definition": f"Name: {bad}\nOptions: 0=No, 1=Yes\nItems:\n1. Ok?"},
    ),
    "token name": ("client", lambda o: "/settings/tokens/", lambda o, bad: {"name": bad}),
}


def _user(o: SimpleNamespace, who: str) -> Any:
    return {"client": o.world.client_a.user, "therapist": o.world.therapist, "admin": o.world.admin}[who]


@pytest.mark.parametrize("case", list(FORMS))
def test_nul_in_a_form_field_is_refused_and_changes_nothing(o: SimpleNamespace, case: str) -> None:
    who, url, data = FORMS[case]
    http = o.world.login(_user(o, who))
    before = snapshot()
    response = http.post(url(o), data(o, NUL))
    assert response.status_code == 400, response.content[:300]
    assert b"NUL character" in response.content
    assert snapshot() == before


def test_nul_in_a_query_string_is_refused(o: SimpleNamespace) -> None:
    http = o.world.login(o.world.therapist)
    response = http.get("/library/thought-record/", {"variant": NUL})
    assert response.status_code == 400 and b"NUL character" in response.content


# (who, method, url, JSON body with the bad text in one place)
API: dict[str, tuple[str, str, Callable[[Any], str], Callable[[Any, str], dict[str, Any]]]] = {
    "draft answer": (
        "client",
        "put",
        lambda o: f"/api/v1/assignments/{o.assignment.pk}/draft",
        lambda o, bad: {"answers": {"situation": bad}},
    ),
    "draft key": (
        "client",
        "put",
        lambda o: f"/api/v1/assignments/{o.assignment.pk}/draft",
        lambda o, bad: {"answers": {bad: "x"}},
    ),
    "nested draft answer": (
        "client",
        "put",
        lambda o: f"/api/v1/assignments/{o.assignment.pk}/draft",
        lambda o, bad: {"answers": {"thoughts": [{"thought": bad}]}},
    ),
    "entry answer": (
        "client",
        "post",
        lambda o: f"/api/v1/assignments/{o.assignment.pk}/entries",
        lambda o, bad: {"answers": {"situation": bad, "thoughts": [{"thought": "t", "belief": 50}]}},
    ),
    "self-review": (
        "client",
        "post",
        lambda o: f"/api/v1/assignments/{o.assignment.pk}/self-reviews",
        lambda o, bad: {"session_id": o.session.pk, "ratings": {}, "what_i_did": bad},
    ),
    "barrier detail": (
        "client",
        "post",
        lambda o: f"/api/v1/assignments/{o.assignment.pk}/barriers",
        lambda o, bad: {"day": dt.date.today().isoformat(), "barrier": "forgot", "detail": bad},
    ),
    "token name": ("client", "post", lambda o: "/api/v1/tokens", lambda o, bad: {"name": bad}),
    "assignment rationale": (
        "therapist",
        "post",
        lambda o: f"/api/v1/clients/{o.world.client_a.pk}/assignments",
        lambda o, bad: {
            "template": "thought-record",
            "rationale": bad,
            "times_per_week": 3,
            "minutes_per_practice": 10,
            "start_date": dt.date.today().isoformat(),
            "end_date": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
        },
    ),
    "review note": (
        "therapist",
        "post",
        lambda o: f"/api/v1/entries/{o.entry.pk}/review",
        lambda o, bad: {"note": bad},
    ),
    "retroactive note": (
        "therapist",
        "post",
        lambda o: f"/api/v1/clients/{o.world.client_a.pk}/retroactive",
        lambda o, bad: {"quantity": 3, "quality": 3, "note": bad},
    ),
}


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize("case", list(API))
def test_bad_text_in_api_json_is_refused_and_changes_nothing(o: SimpleNamespace, case: str, bad: str) -> None:
    who, method, url, body = API[case]
    http = api_client(_user(o, who))
    before = snapshot()
    response = getattr(http, method)(url(o), body(o, bad), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert ("NUL" if bad == NUL else "surrogate") in response.json()["detail"]
    assert snapshot() == before


def test_nul_deep_inside_api_json_is_found(o: SimpleNamespace) -> None:
    """The check walks the whole document, however deep (json.loads itself allows about 1000 levels)."""
    deep: Any = NUL
    for _ in range(500):
        deep = [deep]
    http = api_client(o.world.client_a.user)
    before = snapshot()
    response = http.put(
        f"/api/v1/assignments/{o.assignment.pk}/draft",
        {"answers": {"situation": deep}},
        content_type="application/json",
    )
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert snapshot() == before
