"""The therapist's client list and the client's Today page cost the same number of queries at any size."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from tests.factories import World, complete_thought_record, make_user, plan_for


def add_clients(world: World, n: int, start: int) -> None:
    for i in range(start, start + n):
        profile = ClientProfile.objects.create(
            user=make_user(f"extra{i}@example.org", f"Extra {i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        add_homework(world, profile, entries=2)


def add_homework(world: World, profile: ClientProfile, entries: int) -> None:
    assignment = services.assign_homework(world.therapist, profile, plan_for(world.thought_record))
    for k in range(entries):
        services.submit_entry(
            profile.user,
            assignment.pk,
            services.Submission(complete_thought_record(), 1, 1, 1, idempotency_key=f"{k}"),
        )


def count(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_caseload_queries_do_not_grow_with_clients(world: World) -> None:
    http = world.login(world.therapist)
    add_clients(world, 2, 0)
    small = count(http, "/clients/")
    add_clients(world, 8, 10)
    assert count(http, "/clients/") == small
    api_small = count(http, "/api/v1/clients")
    add_clients(world, 3, 30)
    assert count(http, "/api/v1/clients") == api_small


def test_today_queries_do_not_grow_with_assignments_or_entries(world: World) -> None:
    http = world.login(world.client_a.user)
    add_homework(world, world.client_a, entries=1)
    small = count(http, "/today/")
    for _ in range(4):
        add_homework(world, world.client_a, entries=3)
    assert count(http, "/today/") == small


def test_today_reads_the_signed_in_user_once(world: World) -> None:
    """The greeting's name is the signed-in user's, read by the session's authentication: not read again."""
    http = world.login(world.client_a.user)
    add_homework(world, world.client_a, entries=1)
    with CaptureQueriesContext(connection) as ctx:
        page = http.get("/today/")
    assert page.status_code == 200 and world.client_a.user.display_name in page.content.decode()
    users = [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(users) == 1, users
