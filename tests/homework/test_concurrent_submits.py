"""Concurrent submits for one assignment: every request gets a clear answer, never a 500 or a lock error.

Real threads with their own database connections (transaction=True), on whichever database the suite runs:
SQLite (a file, see tests/settings.py) or PostgreSQL (DATABASE_URL). One entry per idempotency key, and one
"entry.submit" audit row per entry.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from emotipal.accounts.services import create_api_token
from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, complete_thought_record

THREADS = 8
ROUNDS = 3


def _in_threads(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs at the same moment, each in its own thread and database connection; return results."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # the assertions below report it; a dead thread would hide it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a submit hung"
    return results


def _poster(secret: str, assignment_id: int, key: str) -> Callable[[], tuple[int, Any]]:
    def post() -> tuple[int, Any]:
        http = Client(raise_request_exception=False)  # a server error must show as a 500, as in production
        response = http.post(
            f"/api/v1/assignments/{assignment_id}/entries",
            data={"answers": complete_thought_record(), "effort": 3},
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
        )
        return response.status_code, response.json() if response.status_code < 500 else response.content

    return post


def _assert_one_entry_and_one_audit_row_per_key(assignment: Assignment, keys: set[str]) -> None:
    submitted = Entry.objects.filter(assignment=assignment, status=Entry.Status.SUBMITTED)
    assert Counter(submitted.values_list("idempotency_key", flat=True)) == dict.fromkeys(keys, 1)
    audit = Counter(AuditEvent.objects.filter(action="entry.submit").values_list("target_id", flat=True))
    assert audit == {str(pk): 1 for pk in submitted.values_list("pk", flat=True)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_draft", [False, True], ids=["no-draft", "typed-draft"])
def test_concurrent_submits_with_distinct_keys_each_make_one_entry(
    world: World, assignment_a: Assignment, with_draft: bool
) -> None:
    """A client may practise several times a day: distinct keys are distinct practices, all kept."""
    secret = create_api_token(world.client_a.user, "phone").secret
    keys: set[str] = set()
    for round_ in range(ROUNDS):
        if with_draft:  # the client has been typing: the first submit sends that draft
            services.save_draft(world.client_a.user, assignment_a.pk, {"situation": "typing"})
        batch = [f"r{round_}-k{i}" for i in range(THREADS)]
        keys.update(batch)
        results = _in_threads([_poster(secret, assignment_a.pk, key) for key in batch])
        assert [status for status, _ in results] == [201] * THREADS, results
    _assert_one_entry_and_one_audit_row_per_key(assignment_a, keys)
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.DRAFT).count() <= 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_one_key_make_one_entry(world: World, assignment_a: Assignment) -> None:
    """A phone retrying over a bad connection: one entry, the retries are told it already exists (200)."""
    secret = create_api_token(world.client_a.user, "phone").secret
    services.save_draft(world.client_a.user, assignment_a.pk, {"situation": "typing"})
    results = _in_threads([_poster(secret, assignment_a.pk, "same-key") for _ in range(THREADS)])
    assert sorted(status for status, _ in results) == [200] * (THREADS - 1) + [201], results
    assert len({body["id"] for _, body in results}) == 1
    _assert_one_entry_and_one_audit_row_per_key(assignment_a, {"same-key"})


@pytest.mark.django_db(transaction=True)
def test_drafts_saved_while_others_submit_lose_nothing(world: World, assignment_a: Assignment) -> None:
    """Autosaves racing submits (two tabs, a phone and a laptop): no error, one open draft at most."""
    user = world.client_a.user

    def save() -> Entry:
        return services.save_draft(user, assignment_a.pk, {"situation": "still typing"}, 5)

    def submit(key: str) -> Callable[[], tuple[Entry, bool]]:
        return lambda: services.submit_entry(
            user,
            assignment_a.pk,
            services.Submission(
                answers=complete_thought_record(), effort=2, difficulty=2, helpfulness=2, idempotency_key=key
            ),
        )

    keys = {f"k{i}" for i in range(THREADS // 2)}
    jobs: list[Callable[[], Any]] = [save for _ in range(THREADS // 2)] + [submit(k) for k in sorted(keys)]
    results = _in_threads(jobs)
    assert not [r for r in results if isinstance(r, BaseException)], results
    _assert_one_entry_and_one_audit_row_per_key(assignment_a, keys)
    assert Entry.objects.filter(assignment=assignment_a, status=Entry.Status.DRAFT).count() <= 1


@pytest.mark.django_db(transaction=True)
def test_a_submit_that_crashes_half_way_leaves_nothing_and_its_replay_is_audited_once(
    world: World, assignment_a: Assignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry and its audit row are written together: a crash after the entry but before the audit row
    must not leave an unaudited entry that a replay of the same key then returns as if all were well."""

    def crash(assignment: Assignment) -> None:
        raise RuntimeError("worker killed")

    submission = services.Submission(
        answers=complete_thought_record(), effort=3, difficulty=2, helpfulness=3, idempotency_key="once"
    )
    monkeypatch.setattr(services, "mark_earned", crash)  # the step after the entry, before the audit row
    with pytest.raises(RuntimeError):
        services.submit_entry(world.client_a.user, assignment_a.pk, submission)
    monkeypatch.undo()
    entry, created = services.submit_entry(world.client_a.user, assignment_a.pk, submission)
    again, created_again = services.submit_entry(world.client_a.user, assignment_a.pk, submission)
    assert (created, created_again, again.pk) == (True, False, entry.pk)
    _assert_one_entry_and_one_audit_row_per_key(assignment_a, {"once"})
