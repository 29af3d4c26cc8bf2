"""SQLite: copied with SQLite's online backup API (sqlite3.Connection.backup), page by page, consistent even
while the application writes. The copy goes through a private temporary folder on the way in and out; it holds
what the database file itself holds (the encrypted fields stay encrypted in it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.file import CHUNK_SIZE

TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"


def _source(connection: Any) -> sqlite3.Connection:
    """A file database is read through a read-only connection of its own: it sees what is committed, and a
    write transaction open elsewhere does not block it. An in-memory one exists only in Django's connection."""
    if connection.is_in_memory_db():
        connection.ensure_connection()
        return connection.connection
    uri = Path(connection.settings_dict["NAME"]).resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True)


def snapshot(connection: Any, folder: Path) -> sqlite3.Connection:
    """A consistent copy of the database in `folder`, open (the row counts and samples are taken from it)."""
    copy = sqlite3.connect(folder / "backup.sqlite3")
    source = _source(connection)
    try:
        source.backup(copy)
    finally:
        if source is not connection.connection:
            source.close()
    return copy


def dump(folder: Path) -> Iterator[bytes]:
    with open(folder / "backup.sqlite3", "rb") as copy:
        while block := copy.read(CHUNK_SIZE):
            yield block


def load(connection: Any, blocks: Iterator[bytes], folder: Path) -> None:
    """Write the decrypted copy to `folder`, check it is a sound SQLite file, then copy it over the database
    (the backup API again, into Django's connection: a file or an in-memory database alike)."""
    path = folder / "restore.sqlite3"
    with open(path, "wb") as out:
        for block in blocks:
            out.write(block)
    with closing(sqlite3.connect(path)) as copy:
        try:
            sound = copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            sound = False
        if not sound:
            raise BackupError("The backup does not hold a sound SQLite database; nothing was changed.")
        connection.ensure_connection()
        copy.backup(connection.connection)
