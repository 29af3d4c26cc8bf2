"""platform.bulk.update_each: each row's own values written in one statement, as bulk_update would, on
SQLite and PostgreSQL (NULLs, timestamps, text with quotes, and more rows than SQLite's parameter bound)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.notifications.models import Delivery, ScheduledReminder
from emotipal.platform.bulk import update_each
from tests.factories import World


def test_each_row_gets_its_own_values_in_one_statement(world: World) -> None:
    reminder = ScheduledReminder.objects.create(
        client=world.client_a,
        for_date=dt.date(2026, 3, 10),
        run_at=dt.datetime(2026, 3, 10, 18, tzinfo=dt.UTC),
    )
    rows = Delivery.objects.bulk_create(
        Delivery(
            reminder=reminder, channel=Delivery.Channel.PUSH, sent_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
        for _ in range(3)
    )
    at = dt.datetime(2026, 3, 10, 18, 0, 1, 250000, tzinfo=dt.UTC)
    values = [
        ("delivered", 201, "", at, 0),
        ("sent", None, 'it\'s busy; "try" later', None, 2),
        ("failed", 410, "gone", at + dt.timedelta(seconds=1), 4),
    ]
    for row, (status, code, answer, finished, retries) in zip(rows, values, strict=True):
        row.status, row.service_status, row.service_answer = status, code, answer
        row.finished_at, row.retries, row.sent_at = finished, retries, None
    fields = ["status", "service_status", "service_answer", "finished_at", "retries", "sent_at"]
    with CaptureQueriesContext(connection) as seen:
        update_each(rows, fields)
    assert len(seen.captured_queries) == 1
    stored = list(Delivery.objects.order_by("pk").values_list(*fields))
    assert stored == [(*v, None) for v in values]


def test_many_rows_and_no_rows(world: World) -> None:
    day = dt.date(2026, 3, 10)
    reminders = ScheduledReminder.objects.bulk_create(
        ScheduledReminder(
            client=world.client_a,
            for_date=day + dt.timedelta(days=i),
            run_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
        )
        for i in range(700)
    )
    for i, reminder in enumerate(reminders):
        reminder.outcome, reminder.task_id = f"outcome {i}", str(i)
    update_each(reminders, ["outcome", "task_id"])  # 2,100 parameters: over SQLite's bound, in chunks
    assert list(ScheduledReminder.objects.order_by("pk").values_list("outcome", flat=True)) == [
        f"outcome {i}" for i in range(700)
    ]
    with CaptureQueriesContext(connection) as seen:
        update_each([], ["outcome"])
    assert not seen.captured_queries
