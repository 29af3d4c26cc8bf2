"""A client's practice counts on the client's own day, on their pages, on staff pages and in the export.

Two clients at the far ends of the date line: Pacific/Auckland (UTC+13 in December) and Pacific/Honolulu
(UTC-10). The server runs in UTC, whose date is neither client's day for part of every day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry
from emotipal.homework.queries import caseload_rows
from emotipal.platform import clock
from tests.factories import World, complete_thought_record, plan_for

MONDAY = dt.date(2026, 12, 7)
# 09:30 UTC on Thursday 10 December: 23:30 on Wednesday 9th in Honolulu, 22:30 on Thursday 10th in Auckland.
HONOLULU_2330 = dt.datetime(2026, 12, 10, 9, 30, tzinfo=dt.UTC)
# 20:00 UTC on Thursday 10 December: 09:00 on Friday 11th in Auckland, while the server is still on the 10th.
AUCKLAND_MORNING = dt.datetime(2026, 12, 10, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the project's one clock to a fixed instant (the clock module, never the database)."""

    def freeze(at: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return freeze


def daily_homework(world: World, client: ClientProfile, zone: str) -> Assignment:
    client.timezone = zone
    client.save(update_fields=["timezone"])
    return services.assign_homework(
        world.therapist,
        client,
        plan_for(world.thought_record, start_date=MONDAY, end_date=MONDAY + dt.timedelta(days=13)),
    )


def practise(client: ClientProfile, assignment: Assignment) -> Entry:
    entry, _ = services.submit_entry(
        client.user,
        assignment.pk,
        services.Submission(complete_thought_record(), 2, 2, 2, active_seconds=600),
    )
    return entry


def staff_page(world: World, client: ClientProfile) -> Any:
    response = world.login(world.therapist).get(reverse("client_detail", args=[client.pk]))
    assert response.status_code == 200
    return response.context


def calendar_cells(context: Any) -> dict[str, dict[str, Any]]:
    """The practice calendar (heat-map) on the staff client page: its cells by ISO date."""
    chart = next(c for c in context["engagement"].charts if c.id == "chart-calendar")
    weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]  # the page is in English
    cells = {}
    for v in chart.spec["data"]["values"]:
        day = dt.date.fromisoformat(v["week"]) + dt.timedelta(days=weekdays.index(v["weekday"]))
        cells[day.isoformat()] = v
    return cells


def export_rows(world: World) -> list[dict[str, str]]:
    response = world.login(world.admin).get(reverse("export_compliance"))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def treatment_figure(rows: list[dict[str, str]], client: ClientProfile, measure: str) -> dict[str, str]:
    return next(
        r
        for r in rows
        if r["client_id"] == str(client.pk) and r["period"] == "treatment" and r["measure"] == measure
    )


def test_the_same_instant_is_two_different_todays(world: World, frozen: Any) -> None:
    frozen(HONOLULU_2330)
    world.client_a.timezone, world.client_b.timezone = "Pacific/Honolulu", "Pacific/Auckland"
    assert services.local_today(world.client_a) == dt.date(2026, 12, 9)
    assert services.local_today(world.client_b) == dt.date(2026, 12, 10)


def test_a_honolulu_practice_at_2330_counts_on_that_day_everywhere(world: World, frozen: Any) -> None:
    client = world.client_a
    assignment = daily_homework(world, client, "Pacific/Honolulu")
    frozen(HONOLULU_2330)
    entry = practise(client, assignment)
    wednesday = dt.date(2026, 12, 9)
    assert entry.practice_date == wednesday

    # Today: the week's goal shows today's practice.
    today = world.login(client.user).get(reverse("today"))
    assert today.context["day"] == wednesday
    progress = next(i.progress for i in today.context["other"] + today.context["due"])
    assert progress.minutes_today == 10 and progress.days_week == 1

    # The therapist's page for this client: the same day, not the server's Thursday.
    context = staff_page(world, client)
    assert context["today"] == wednesday
    assert context["assignments"][0].progress.minutes_today == 10
    cells = calendar_cells(context)
    assert cells["2026-12-09"]["done"] == 1
    # Thursday has not begun in Honolulu: it is not on the calendar as a planned day missed.
    assert "2026-12-10" not in cells
    assert [cells[d]["missed"] for d in ("2026-12-07", "2026-12-08")] == [True, True]

    # The clinic's export: the treatment so far ends on the client's Wednesday, three practices planned.
    rows = export_rows(world)
    planned = treatment_figure(rows, client, "attempts_planned")
    assert planned["period_end"] == "2026-12-09" and float(planned["value"]) == 3
    assert float(treatment_figure(rows, client, "attempts_completed")["value"]) == 1


def test_an_auckland_morning_counts_although_the_server_is_still_on_the_day_before(
    world: World, frozen: Any
) -> None:
    client = world.client_b
    assignment = daily_homework(world, client, "Pacific/Auckland")
    frozen(AUCKLAND_MORNING)
    entry = practise(client, assignment)
    friday = dt.date(2026, 12, 11)
    assert entry.practice_date == friday

    context = staff_page(world, client)
    assert context["today"] == friday
    assert context["assignments"][0].progress.minutes_today == 10
    cells = calendar_cells(context)
    assert cells["2026-12-11"]["done"] == 1 and not cells["2026-12-11"]["missed"]

    rows = export_rows(world)
    done = treatment_figure(rows, client, "attempts_completed")
    assert done["period_end"] == "2026-12-11" and float(done["value"]) == 1
    assert float(treatment_figure(rows, client, "attempts_planned")["value"]) == 5  # Monday to Friday

    row = next(r for r in caseload_rows(ClientProfile.objects.filter(pk=client.pk)))
    assert row.done_this_week == 1 and row.planned_this_week == 5


def test_each_client_on_a_caseload_has_their_own_today(world: World, frozen: Any) -> None:
    honolulu = daily_homework(world, world.client_a, "Pacific/Honolulu")
    auckland = daily_homework(world, world.client_b, "Pacific/Auckland")
    frozen(AUCKLAND_MORNING)  # Thursday 10:00 in Honolulu, Friday 09:00 in Auckland
    practise(world.client_a, honolulu)
    practise(world.client_b, auckland)
    rows = {r.client.pk: r for r in caseload_rows(ClientProfile.objects.filter(clinic=world.clinic))}
    assert rows[world.client_a.pk].planned_this_week == 4  # Monday to Thursday
    assert rows[world.client_b.pk].planned_this_week == 5  # Monday to Friday
    assert rows[world.client_a.pk].done_this_week == rows[world.client_b.pk].done_this_week == 1
