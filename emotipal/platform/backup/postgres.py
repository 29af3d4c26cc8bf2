"""PostgreSQL: dumped by pg_dump from an exported snapshot, loaded by psql in one transaction.

Plain SQL with --clean --if-exists rather than the custom format: psql reads it as a stream from the
decryption (pg_restore needs a file it can seek in for a custom dump, and that file would be the plaintext on
disk), and the DROP ... IF EXISTS lines let it load into a database that was only migrated as well as into a
new one. The programs are run directly (no shell); the password goes in their environment, not their arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # pg_dump and psql, fixed arguments, no shell  # nosec B404
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

from django.db.backends.postgresql.client import DatabaseClient

from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.file import CHUNK_SIZE

TABLES_SQL = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client programs of the server's major version "
            "(for example apt-get install postgresql-client-15)."
        )
    return path


def _environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The connection as libpq environment variables (a password on a command line is visible to `ps`)."""
    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = dict(os.environ) | (extra or {})
    for variable, setting in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGDATABASE", "NAME"),
    ):
        if settings_dict.get(setting):
            env[variable] = str(settings_dict[setting])
    # DROP ... IF EXISTS on a new database says NOTICE for every table; only warnings and errors matter here.
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c client_min_messages=warning").strip()
    env["PGAPPNAME"] = "emotipal-backup"
    return env


def _errors(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace").strip()[-2000:]


@contextmanager
def snapshot(connection: Any) -> Iterator[tuple[Any, str]]:
    """A read-only repeatable-read transaction on a connection of its own, and the name of its exported
    snapshot: pg_dump given that name sees exactly what the row counts and samples were taken from."""
    import psycopg

    conn = psycopg.connect(**connection.get_connection_params())
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None
            yield cursor, str(row[0])
    finally:
        conn.rollback()
        conn.close()


def dump(connection: Any, snapshot_name: str) -> Iterator[bytes]:
    args = [
        _program("pg_dump"),
        "--format=plain",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        f"--snapshot={snapshot_name}",
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)  # nosec B603
            args, stdout=subprocess.PIPE, stderr=errors, env=_environment(connection.settings_dict)
        )
        assert process.stdout is not None
        try:
            while block := process.stdout.read(CHUNK_SIZE):
                yield block
        except BaseException:  # the writing failed, or the reader stopped (GeneratorExit): stop pg_dump
            process.kill()
            process.wait()
            raise
        finally:
            process.stdout.close()
        code = process.wait()
        if code != 0:
            raise BackupError(
                f"pg_dump failed (exit status {code}), no backup was written: {_errors(errors)}"
            )


def load(connection: Any, blocks: Iterator[bytes]) -> None:
    """Feed the dump to psql in one transaction. If the stream fails part way (a chunk that does not
    authenticate), psql is killed before it reaches the end, so its transaction never commits."""
    args = [
        _program("psql"),
        "--no-psqlrc",
        "--quiet",
        "--set=ON_ERROR_STOP=1",
        "--single-transaction",
        "--file=-",
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)  # nosec B603
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=_environment(connection.settings_dict),
        )
        assert process.stdin is not None
        try:
            for block in blocks:
                process.stdin.write(block)
        except BrokenPipeError:
            pass  # psql stopped at an error; its status and message follow
        except BaseException:
            process.kill()
            process.wait()
            raise
        with suppress(BrokenPipeError):
            process.stdin.close()
        code = process.wait()
        if code != 0:
            raise BackupError(
                f"psql could not load the backup (exit status {code}); it ran in one transaction, so "
                f"nothing was loaded: {_errors(errors)}"
            )
