"""The RQ worker runs every task in one long-lived process (SimpleWorker), so around each task the database
connection is checked the way Django checks it around each request."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django_tasks.signals import task_finished, task_started

from emotipal.platform.apps import close_stale_connections


@pytest.mark.django_db(transaction=True)
def test_a_connection_past_its_age_is_closed_before_the_next_task() -> None:
    connection.ensure_connection()
    assert connection.connection is not None
    connection.close_at = time.monotonic() - 1  # as if CONN_MAX_AGE had passed since it was opened
    close_stale_connections()
    assert connection.connection is None
    connection.ensure_connection()  # the next query opens a fresh one
    assert connection.connection is not None


@pytest.mark.django_db(transaction=True)
def test_a_fresh_connection_is_kept_between_tasks() -> None:
    connection.ensure_connection()
    opened = connection.connection
    close_stale_connections()
    assert connection.connection is opened


@pytest.mark.parametrize(("signal", "uid"), [(task_started, "started"), (task_finished, "finished")])
def test_the_check_runs_when_each_task_starts_and_finishes(signal, uid) -> None:  # type: ignore[no-untyped-def]
    assert signal.disconnect(dispatch_uid=f"platform.task_{uid}")  # True: it was connected
    signal.connect(close_stale_connections, dispatch_uid=f"platform.task_{uid}")
