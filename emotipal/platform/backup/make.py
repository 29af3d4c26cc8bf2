"""`emotipal backup`: the database, its manifest and its dump, encrypted into one new file."""

from __future__ import annotations

import getpass
import os
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emotipal.platform.audit.services import record
from emotipal.platform.backup import postgres, sqlite
from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.file import Encryptor, manifest_block
from emotipal.platform.backup.keys import backup_keys
from emotipal.platform.backup.manifest import row_counts, take_samples

VENDORS = ("postgresql", "sqlite")


@dataclass(frozen=True)
class Made:
    path: Path
    vendor: str
    key_id: str
    tables: int
    rows: int
    samples: int
    size: int


def _manifest(cursor: Any, tables_sql: str, dump_kind: str) -> dict[str, Any]:
    cursor.execute(tables_sql)
    tables = [str(row[0]) for row in cursor.fetchall()]
    return {
        "tables": row_counts(cursor, tables),
        "samples": take_samples(cursor, set(tables)),
        "dump": dump_kind,
    }


def _write_postgres(connection: Any, encryptor: Encryptor) -> dict[str, Any]:
    with postgres.snapshot(connection) as (cursor, name):
        manifest = _manifest(cursor, postgres.TABLES_SQL, "pg_dump --format=plain --clean --if-exists")
        encryptor.write(manifest_block(manifest))
        for block in postgres.dump(connection, name):
            encryptor.write(block)
    return manifest


def _write_sqlite(connection: Any, encryptor: Encryptor) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="emotipal-backup-") as folder:
        with closing(sqlite.snapshot(connection, Path(folder))) as copy:
            manifest = _manifest(copy.cursor(), sqlite.TABLES_SQL, "sqlite database file")
        encryptor.write(manifest_block(manifest))
        for block in sqlite.dump(Path(folder)):
            encryptor.write(block)
    return manifest


def _check_target(out: Path) -> None:
    if out.exists():
        raise BackupError(f"{out} already exists: choose a new name (a backup never overwrites a file).")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist.")


def make_backup(connection: Any, out: Path) -> Made:
    key = backup_keys()[0]
    if connection.vendor not in VENDORS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    if connection.vendor == "sqlite" and connection.is_in_memory_db() and connection.in_atomic_block:
        # Only Django's own connection reaches an in-memory database, and SQLite's backup from a connection
        # in a write transaction waits for it forever. A file or PostgreSQL is read through a connection of
        # its own, which sees what is committed.
        raise BackupError("An in-memory SQLite database cannot be backed up inside a transaction.")
    _check_target(out)
    # Written under a temporary name beside the target (readable by this account only), renamed when
    # complete: a backup that failed half way never looks like one.
    handle, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            encryptor = Encryptor(stream, key, connection.vendor)
            write = _write_postgres if connection.vendor == "postgresql" else _write_sqlite
            manifest = write(connection, encryptor)
            encryptor.finish()
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, out)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    made = Made(
        path=out,
        vendor=connection.vendor,
        key_id=encryptor.header.key_id,
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        samples=len(manifest["samples"]),
        size=out.stat().st_size,
    )
    # Whoever makes a backup has every client's data in hand: audited, with the operating-system account.
    record(None, "platform.backup", via="command line", os_user=getpass.getuser(), file=str(out.resolve()))
    return made
