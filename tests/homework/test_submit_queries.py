"""An API submit is one short transaction: a fixed, small number of queries, whether or not a draft exists,
and a replay of the same key answers with the same entry without writing."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from emotipal.homework.models import Assignment, Entry
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, complete_thought_record

# Session, user, roles, API throttle (4 on the database cache), assignment, key check, savepoint, lock,
# key-or-draft, arm features, insert, reward, audit, release. Was 27 before the submit path was trimmed.
SUBMIT_QUERIES = 19
BODY = {"answers": complete_thought_record(), "effort": 3, "difficulty": 2, "helpfulness": 4}


def post(http: Client, assignment: Assignment, key: str, **extra: Any) -> tuple[Any, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = http.post(
            f"/api/v1/assignments/{assignment.pk}/entries",
            {**BODY, **extra},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
    return response, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def test_first_submit_writes_one_entry_in_a_fixed_number_of_queries(
    world: World, assignment_a: Assignment
) -> None:
    http = world.login(world.client_a.user)
    http.get("/today/")  # the session as a browser has it
    response, queries, sql = post(http, assignment_a, "first", active_seconds=90)
    assert response.status_code == 201, response.content
    assert queries <= SUBMIT_QUERIES, "\n".join(sql)
    entry = Entry.objects.get(pk=response.json()["id"])
    assert (entry.status, entry.active_seconds, entry.effort, entry.idempotency_key) == (
        Entry.Status.SUBMITTED,
        90,
        3,
        "first",
    )
    assert entry.answers == response.json()["answers"] and entry.submitted_at is not None
    assert entry.answers["situation"] == BODY["answers"]["situation"]
    assert entry.answers["thoughts"][0]["belief"] == 90  # stored as cleaned: the number, not the text
    assert sum(s.startswith('INSERT INTO "homework_entry"') for s in sql) == 1
    assert not any(s.startswith('UPDATE "homework_entry"') for s in sql)  # no empty draft written first
    assert not any("require_staff_mfa" in s for s in sql)  # a client, with no staff role: no MFA policy query
    assert AuditEvent.objects.filter(action="entry.submit", target_id=str(entry.pk)).count() == 1

    replay, replay_queries, replay_sql = post(http, assignment_a, "first", active_seconds=90)
    assert replay.status_code == 200 and replay.json()["id"] == entry.pk
    assert not any(s.startswith(("INSERT", "UPDATE")) and "homework_entry" in s for s in replay_sql)
    assert replay_queries < queries
    assert Entry.objects.filter(assignment=assignment_a).count() == 1
    assert AuditEvent.objects.filter(action="entry.submit").count() == 1


def test_a_draft_is_submitted_in_place_with_its_time(world: World, assignment_a: Assignment) -> None:
    http = world.login(world.client_a.user)
    draft = http.put(
        f"/api/v1/assignments/{assignment_a.pk}/draft",
        {"answers": {"situation": "typed on the bus"}, "active_seconds": 40},
        content_type="application/json",
    )
    assert draft.status_code == 200
    draft_id = draft.json()["id"]
    response, queries, sql = post(http, assignment_a, "from-draft", active_seconds=60)
    assert response.status_code == 201 and response.json()["id"] == draft_id
    assert queries <= SUBMIT_QUERIES, "\n".join(sql)
    entry = Entry.objects.get(pk=draft_id)
    assert entry.status == Entry.Status.SUBMITTED and entry.active_seconds == 100
    assert entry.answers["situation"] == BODY["answers"]["situation"]  # the submitted text, not the draft's
    assert Entry.objects.filter(assignment=assignment_a).count() == 1

    # A second practice with another key is a new entry, not a change to the first.
    second, _, _ = post(http, assignment_a, "second")
    assert second.status_code == 201 and second.json()["id"] != draft_id
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.SUBMITTED).count() == 2
