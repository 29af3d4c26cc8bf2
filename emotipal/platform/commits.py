"""Commits that need not wait for the disk, for work that is cheap to redo and expensive to flush one by one.

PostgreSQL waits for each commit's WAL to reach the disk (synchronous_commit on): about 3 ms a commit on the
benchmark machine, a third of a reminder's time when each of 10,000 reminders commits three times. With
synchronous_commit off, a commit returns once written, and a crash of the database server (not of the worker)
can lose the last fraction of a second of commits: whole transactions, never part of one, so the database stays
consistent. For reminders that means a reminder sent just before such a crash may be marked unsent again and
sent a second time by the next wake, the one risk taken. Nothing a client entered goes through here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def without_waiting_for_the_disk() -> Iterator[None]:
    """Inside, this connection's commits do not wait for the WAL flush (PostgreSQL; elsewhere nothing)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        # A connection closed or broken inside has nothing to reset (a new one starts with the default), and
        # its error, not this one, is what the caller must see.
        if connection.connection is not None:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
