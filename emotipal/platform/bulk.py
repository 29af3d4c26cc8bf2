"""Writing a batch's rows back in one statement each, for the tasks that handle many rows at once (reminders).

Django's QuerySet.bulk_update writes a CASE WHEN per row and field, which it builds and compiles in Python:
for a batch of 100 reminders' deliveries that was a third of the batch's time (bench/bench_reminders.py). Here
the new values travel as a VALUES list joined on the primary key: the same rows written, a few milliseconds of
Python instead of a hundred.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model


def update_each(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Save these fields of each row (each its own values), as bulk_update(rows, fields) would: one UPDATE
    per chunk of rows (SQLite bounds a statement's parameters), none for no rows."""
    if not rows:
        return
    model = type(rows[0])
    db = router.db_for_write(model)
    connection = connections[db]
    if connection.vendor not in ("postgresql", "sqlite"):
        model._default_manager.db_manager(db).bulk_update(rows, fields)
        return
    meta = model._meta
    columns = [meta.get_field(meta.pk.name if meta.pk else "id"), *(meta.get_field(n) for n in fields)]
    limit = connection.features.max_query_params or len(rows) * len(columns)
    per_chunk = max(1, limit // len(columns))
    for start in range(0, len(rows), per_chunk):
        _update(connection, model, columns, rows[start : start + per_chunk])


def _update(
    connection: BaseDatabaseWrapper, model: type[Model], columns: list[Any], rows: Sequence[Model]
) -> None:
    quote = connection.ops.quote_name
    # PostgreSQL types a VALUES list from its literals (a NULL is text): each value is cast to its column's
    # type. SQLite needs no cast, and its CAST to a date type would turn '2026-12-07 ...' into 2026.
    postgres = connection.vendor == "postgresql"
    one = "(" + ", ".join(f"CAST(%s AS {c.db_type(connection)})" if postgres else "%s" for c in columns) + ")"
    params = [c.get_db_prep_save(getattr(row, c.attname), connection) for row in rows for c in columns]
    names = ", ".join(quote(c.column) for c in columns)
    table, pk = quote(model._meta.db_table), quote(columns[0].column)
    sets = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns[1:])
    values = ", ".join([one] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v ({names}) AS (VALUES {values}) UPDATE {table} SET {sets} FROM v "  # noqa: S608  # nosec B608
            f"WHERE {table}.{pk} = v.{pk}",
            params,
        )
