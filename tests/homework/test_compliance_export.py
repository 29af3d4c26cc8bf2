"""Compliance gathered from the database, the export with its three labels, and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.engagement import SOURCES, TIMINGS, TYPES
from emotipal.homework import compliance, reviews, services
from emotipal.homework.export import COLUMNS, compliance_rows
from tests.factories import World, complete_thought_record, make_user, plan_for

RATINGS = {"quantity": 4, "quality": 2, "mastery": 3}


def homework_with_reviews(world: World, client: ClientProfile, entries: int = 2) -> None:
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, client, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, client, today)
    assignment = services.assign_homework(
        world.therapist,
        client,
        plan_for(
            world.thought_record, session=first, start_date=first.date, end_date=today + dt.timedelta(days=7)
        ),
    )
    for k in range(entries):
        services.submit_entry(
            client.user,
            assignment.pk,
            services.Submission(
                complete_thought_record(), 3, 1, 2, active_seconds=600, idempotency_key=str(k)
            ),
        )
    reviews.submit_self_review(
        client.user, assignment.pk, second.pk, reviews.SelfReviewInput({"quantity": 2, "quality": 3}, 3)
    )
    reviews.submit_therapist_review(world.therapist, assignment.pk, second.pk, RATINGS)
    reviews.report_barrier(client.user, assignment.pk, today - dt.timedelta(days=1), "no_time")


def test_figures_from_the_database(world: World) -> None:
    homework_with_reviews(world, world.client_a)
    today = timezone.localdate()
    rec = compliance.gather([world.client_a], until=today)[world.client_a.pk]
    figures = {
        (f.measure, f.timing): f
        for f in compliance.figures(rec, start=today - dt.timedelta(days=7), end=today, now=timezone.now())
    }
    assert figures[("attempts_completed", "contemporaneous")].value == 2
    assert figures[("attempts_planned", "contemporaneous")].value == 8  # daily, 8 days inclusive
    assert figures[("percent_of_plan", "contemporaneous")].value == 25
    assert figures[("minutes_practised", "contemporaneous")].value == 20
    assert figures[("client_quantity", "contemporaneous")].value == 2
    assert figures[("therapist_quantity", "contemporaneous")].value == 4
    assert figures[("combined_quantity", "contemporaneous")].value == 3
    assert figures[("mean_effort", "contemporaneous")].value == 3


def test_unreviewed_homework_is_flagged_until_reviewed(world: World) -> None:
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    assignment = services.assign_homework(
        world.therapist, world.client_a, plan_for(world.thought_record, session=first, start_date=first.date)
    )
    rec = compliance.gather([world.client_a], until=today)[world.client_a.pk]
    sessions = compliance.sessions_by_client([world.client_a.pk])[world.client_a.pk]
    assert compliance.unreviewed_homework(rec, sessions, today) == [(assignment, second)]
    reviews.submit_therapist_review(world.therapist, assignment.pk, second.pk, RATINGS)
    rec = compliance.gather([world.client_a], until=today)[world.client_a.pk]
    assert compliance.unreviewed_homework(rec, sessions, today) == []


def test_export_rows_carry_all_three_labels(world: World, tmp_path: Path) -> None:
    homework_with_reviews(world, world.client_a)
    rows = list(compliance_rows(ClientProfile.objects.all()))
    assert rows and {r["period"] for r in rows} == {"treatment", "assignment", "week"}
    for row in rows:
        assert row["source"] in SOURCES and row["type"] in TYPES and row["timing"] in TIMINGS
    out = tmp_path / "compliance.csv"
    call_command("export", "compliance", "--out", str(out))
    with out.open() as handle:
        parsed = list(csv.DictReader(handle))
    assert list(parsed[0]) == COLUMNS and len(parsed) == len(rows)
    assert all(r["source"] and r["type"] and r["timing"] for r in parsed)


def test_admin_download(world: World) -> None:
    homework_with_reviews(world, world.client_a)
    response = world.login(world.admin).get("/clinic/export/compliance.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["client"] for r in parsed} == {"Ana Client"}


def test_export_refuses_bad_arguments(db: Any, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No clinic"):
        call_command("export", "compliance", "--out", str(tmp_path / "x.csv"), "--clinic", "nope")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export", "compliance", "--out", str(tmp_path / "missing" / "x.csv"))


def count_queries(http: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_client_page_and_caseload_have_constant_query_counts(world: World) -> None:
    http = world.login(world.therapist)
    homework_with_reviews(world, world.client_a, entries=1)
    page_small = count_queries(http, f"/clients/{world.client_a.pk}/")
    caseload_small = count_queries(http, "/clients/")
    for i in range(3):
        extra = ClientProfile.objects.create(
            user=make_user(f"more{i}@example.org", f"More {i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        homework_with_reviews(world, extra, entries=3)
    # More entries, reviews and barriers for client A too.
    assignment = world.client_a.assignments.first()
    for k in range(4):
        services.submit_entry(
            world.client_a.user,
            assignment.pk,
            services.Submission(complete_thought_record(), 1, 1, 1, idempotency_key=f"x{k}"),
        )
    assert count_queries(http, f"/clients/{world.client_a.pk}/") == page_small
    assert count_queries(http, "/clients/") == caseload_small
