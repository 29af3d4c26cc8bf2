"""API errors are JSON (unknown paths, wrong methods, crashes); idempotency keys longer than the column are
refused, never cut; drafts are limited in size, depth and number of keys, and a refused draft keeps the old."""

from __future__ import annotations

from typing import Any

import pytest

from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from tests.factories import World, complete_thought_record
from tests.platform.bad_input_helpers import api_client, snapshot


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/api/no-such-version/me", 404),
        ("get", "/api/", 404),
        ("delete", "/api/v1/me", 405),
        ("post", "/api/v1/me/assignments", 405),
        ("get", "/api/v1/assignments/1/entries", 405),
    ],
)
def test_api_errors_are_json(world: World, method: str, path: str, status: int) -> None:
    response = getattr(api_client(world.client_a.user), method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_request_body_over_the_upload_limit_is_a_json_400(world: World, assignment_a: Assignment) -> None:
    from django.conf import settings

    body = '{"answers": {"situation": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}}'
    response = api_client(world.client_a.user).put(
        f"/api/v1/assignments/{assignment_a.pk}/draft", body, content_type="application/json"
    )
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_a_crash_in_the_api_is_a_json_500(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(user: Any) -> set[str]:
        raise RuntimeError("a bug")

    http = api_client(world.client_a.user)  # its token made before the bug is planted
    monkeypatch.setattr("emotipal.accounts.access.roles_of", broken)
    response = http.get("/api/v1/me")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == "Internal Server Error"


def test_pages_outside_the_api_keep_html_errors(world: World) -> None:
    response = world.login(world.client_a.user).get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")


def _submit(http: Any, assignment: Assignment, key: str) -> Any:
    return http.post(
        f"/api/v1/assignments/{assignment.pk}/entries",
        {"answers": complete_thought_record(), "effort": 2},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_an_idempotency_key_longer_than_the_column_is_refused(world: World, assignment_a: Assignment) -> None:
    http = api_client(world.client_a.user)
    before = snapshot()
    response = _submit(http, assignment_a, "k" * 81)
    assert response.status_code == 422
    assert response.json()["detail"] == "The Idempotency-Key is too long (at most 80 characters)."
    assert snapshot() == before
    # Cutting it would have made two different keys one: "k" * 80 + "1" and "k" * 80 + "2".
    assert _submit(http, assignment_a, "k" * 80).status_code == 201
    assert Entry.objects.get(assignment=assignment_a, status="submitted").idempotency_key == "k" * 80


def test_an_idempotency_key_too_long_in_the_form(world: World, assignment_a: Assignment) -> None:
    http = world.login(world.client_a.user)
    data = {
        "a.situation": "s",
        "a.emotions.0.emotion": "sad",
        "a.emotions.0.intensity": "50",
        "a.thoughts.0.thought": "t",
        "a.thoughts.0.belief": "50",
        "idempotency_key": "k" * 81,
    }
    response = http.post(f"/homework/{assignment_a.pk}/", data)
    assert response.status_code == 400
    assert b"The Idempotency-Key is too long (at most 80 characters)." in response.content
    assert not Entry.objects.filter(assignment=assignment_a, status="submitted").exists()


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


DRAFTS = {
    "too large": ({"situation": "x" * (services.MAX_DRAFT_CHARS + 1)}, "too large"),
    "too deep": ({"situation": _deep(services.MAX_DRAFT_DEPTH)}, "nested too deeply"),
    "too many keys": ({f"k{i}": "x" for i in range(services.MAX_DRAFT_KEYS + 1)}, "too many entries"),
    "too many keys in rows": (
        {"thoughts": [{f"k{i}": "x" for i in range(100)} for _ in range(21)]},
        "too many entries",
    ),
}


@pytest.fixture
def old_draft(world: World, assignment_a: Assignment) -> Entry:
    return services.save_draft(world.client_a.user, assignment_a.pk, {"situation": "the old draft"})


@pytest.mark.parametrize("case", list(DRAFTS))
def test_a_draft_too_large_or_deep_is_refused_and_the_old_one_kept(
    world: World, assignment_a: Assignment, old_draft: Entry, case: str
) -> None:
    answers, reason = DRAFTS[case]
    http = api_client(world.client_a.user)
    before = snapshot()
    for method, url in (("put", "draft"), ("post", "entries")):
        response = getattr(http, method)(
            f"/api/v1/assignments/{assignment_a.pk}/{url}",
            {"answers": answers},
            content_type="application/json",
        )
        assert response.status_code == 422, (url, response.content[:200])
        assert reason in response.json()["detail"]
    assert snapshot() == before
    old_draft.refresh_from_db()
    assert old_draft.answers == {"situation": "the old draft"} and old_draft.draft_saves == 1


def test_a_draft_at_the_limits_is_saved(world: World, assignment_a: Assignment) -> None:
    answers = {"situation": _deep(services.MAX_DRAFT_DEPTH - 1)}
    response = api_client(world.client_a.user).put(
        f"/api/v1/assignments/{assignment_a.pk}/draft", {"answers": answers}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["answers"] == answers


def test_a_draft_too_large_in_the_form_is_refused_and_the_old_one_kept(
    world: World, assignment_a: Assignment, old_draft: Entry
) -> None:
    http = world.login(world.client_a.user)
    response = http.post(
        f"/homework/{assignment_a.pk}/draft/", {"a.situation": "x" * (services.MAX_DRAFT_CHARS + 1)}
    )
    assert response.status_code == 400 and b"The draft was not saved" in response.content
    old_draft.refresh_from_db()
    assert old_draft.answers == {"situation": "the old draft"}


def test_a_request_that_does_not_parse_gets_the_same_422_shape_as_a_refusal(
    world: World, assignment_a: Assignment
) -> None:
    http = api_client(world.client_a.user)
    response = http.post(
        f"/api/v1/assignments/{assignment_a.pk}/entries",
        data={"answers": "not a dict"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str) and body["errors"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in body["errors"].items())
    assert "answers" in body["errors"]
