"""`emotipal backup` and `emotipal restore` on the test database, SQLite or PostgreSQL (DATABASE_URL).

A restore goes into a second, empty database: a new file for SQLite, a database made with CREATE DATABASE
for PostgreSQL (dropped afterwards). Django's connection is pointed at it the way DATABASE_URL would point a
new process at it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from emotipal.accounts.models import User
from emotipal.homework.models import Entry
from emotipal.platform.audit import chain
from emotipal.platform.audit.models import AuditEvent
from emotipal.platform.backup import postgres
from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.file import Encryptor, Plaintext, decrypt, manifest_block, read_header
from emotipal.platform.backup.make import make_backup
from emotipal.platform.backup.manifest import row_counts
from emotipal.platform.backup.restore import _tables, restore_backup
from tests.factories import World

EmptyDatabase = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def backup_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.delenv("EMOTIPAL_BACKUP_KEY_FILE", raising=False)
    monkeypatch.setenv("EMOTIPAL_BACKUP_KEY", key)
    return key


@contextmanager
def _pointed_at(name: str) -> Iterator[None]:
    """Django's default connection on another database of the same server, then back."""
    saved = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved


@contextmanager
def _postgres_database(name: str) -> Iterator[None]:
    """A new database on the test server, dropped afterwards."""
    import psycopg
    from psycopg import sql

    params = connection.get_connection_params() | {"dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def _on_new_postgres_database(name: str) -> Iterator[None]:
    with _postgres_database(name), _pointed_at(name):
        yield


@pytest.fixture
def empty_database(tmp_path: Path) -> EmptyDatabase:
    """Each call: a context in which Django's connection is on a new, empty database."""
    made = iter(range(100))

    def new() -> AbstractContextManager[None]:
        number = next(made)
        if connection.vendor == "postgresql":
            return _on_new_postgres_database(f"{connection.settings_dict['NAME']}_restore{number}")
        return _pointed_at(str(tmp_path / f"restore{number}.sqlite3"))

    return new


def _restore(path: Path) -> str:
    out = io.StringIO()
    call_command("restore", str(path), stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return row_counts(cursor, _tables(connection))


def _manifest(path: Path, key: str) -> dict[str, Any]:
    with open(path, "rb") as source:
        return Plaintext(decrypt(source, read_header(source), key)).manifest()


def _rewritten(path: Path, key: str, out: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The same backup with its manifest changed, encrypted again under the same key: a file that
    authenticates but whose manifest does not match its dump."""
    with open(path, "rb") as source:
        header = read_header(source)
        plain = Plaintext(decrypt(source, header, key))
        manifest = plain.manifest()
        change(manifest)
        with open(out, "wb") as target:
            encryptor = Encryptor(target, key, header.vendor)
            encryptor.write(manifest_block(manifest))
            for block in plain.blocks():
                encryptor.write(block)
            encryptor.finish()
    return out


@pytest.mark.django_db(transaction=True)
def test_round_trip_restores_every_row_and_readable_encrypted_fields(
    world: World, entry_a: Entry, backup_key: str, tmp_path: Path, empty_database: EmptyDatabase
) -> None:
    chain.seal_pending()
    answers = Entry.objects.get(pk=entry_a.pk).answers
    before = _counts()
    path = tmp_path / "emotipal.backup"
    call_command("backup", out=str(path), stdout=io.StringIO())
    data = path.read_bytes()
    sampled = {(s["table"], s["column"], s["pk"]) for s in _manifest(path, backup_key)["samples"]}
    assert ("homework_entry", "answers", entry_a.pk) in sampled
    # Encrypted as a whole: not even the plain columns (e-mail addresses) can be read in the file.
    assert b"client.a@example.org" not in data and b"homework_entry" not in data
    assert AuditEvent.objects.filter(action="platform.backup").count() == 1

    newer = Fernet.generate_key().decode()
    # Field keys rotated and the old one dropped: refused before the database is even looked at.
    rotated = override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()])
    with (
        rotated,
        pytest.raises(CommandError, match=r"EMOTIPAL_FIELD_KEYS cannot open.*homework_entry\.answers"),
    ):
        _restore(path)

    bad = _rewritten(
        path, backup_key, tmp_path / "bad.backup", lambda m: m["tables"].update(accounts_user=99)
    )
    users = before["accounts_user"]
    mismatch = f"accounts_user has {users} rows, the backup recorded 99"
    with empty_database(), pytest.raises(CommandError, match=mismatch):
        _restore(bad)

    with empty_database(), pytest.MonkeyPatch.context() as env:
        # The backup key rotated too: a newer key first, the one the backup was made with after it.
        env.setenv("EMOTIPAL_BACKUP_KEY", f"{newer},{backup_key}")
        said = _restore(path)
        assert "key 2 of 2" in said
        assert f"row counts: {len(before)} of {len(before)} tables match" in said
        samples = len(_manifest(path, backup_key)["samples"])
        assert f"encrypted fields: {samples} of {samples} sampled values decrypt and match" in said
        assert "audit chain:" in said and "sealed rows intact" in said and "restore verified" in said
        restored = _counts()
        assert Entry.objects.get(pk=entry_a.pk).answers == answers
        assert User.objects.filter(email="client.a@example.org").exists()
        assert AuditEvent.objects.filter(action="platform.restore").count() == 1
    # The restore's own audit row is the one row the restored database has beyond the backup.
    assert {t: c for t, c in restored.items() if before.get(t) != c} == {
        "audit_auditevent": before["audit_auditevent"] + 1
    }


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(
    world: World, entry_a: Entry, backup_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "committed.backup"
    call_command("backup", out=str(path), stdout=io.StringIO())
    before = _counts()
    with pytest.raises(CommandError, match="The database is not empty"):
        _restore(path)
    assert _counts() == before
    assert Entry.objects.get(pk=entry_a.pk).answers["situation"].startswith("Sunday evening")


def test_a_wrong_backup_key_is_refused_by_name(
    db: Any, backup_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one.backup"
    call_command("backup", out=str(path), stdout=io.StringIO())
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("EMOTIPAL_BACKUP_KEY", other)
    before = _counts()
    with pytest.raises(CommandError, match="not in EMOTIPAL_BACKUP_KEY") as refused:
        _restore(path)
    assert read_header(io.BytesIO(path.read_bytes())).key_id in str(refused.value)
    assert _counts() == before


def test_a_changed_or_shortened_file_is_refused(db: Any, backup_key: str, tmp_path: Path) -> None:
    path = tmp_path / "whole.backup"
    call_command("backup", out=str(path), stdout=io.StringIO())
    whole = path.read_bytes()
    header_end = len(read_header(io.BytesIO(whole)).raw)
    middle = (header_end + len(whole)) // 2
    changed_body = whole[:middle] + bytes([whole[middle] ^ 1]) + whole[middle + 1 :]
    changed_header = whole.replace(b'"created_at": "2', b'"created_at": "3', 1)
    assert changed_header != whole
    for name, data in {
        "body": changed_body,
        "header": changed_header,
        "cut": whole[:-1],
        "longer": whole + b"\0",
    }.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CommandError, match="damaged or was altered"):
            _restore(tmp_path / name)
    (tmp_path / "other").write_bytes(b"PGDMP" + whole[5:])
    with pytest.raises(CommandError, match="not an EmotiPal backup"):
        _restore(tmp_path / "other")


def test_chunks_cannot_be_dropped_swapped_or_cut_at_a_boundary(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    data = bytes(range(256)) * 20  # five chunks of 1 KiB
    sealed = io.BytesIO()
    encryptor = Encryptor(sealed, key, "sqlite", chunk_size=1024)
    encryptor.write(data)
    encryptor.finish()
    whole = sealed.getvalue()
    start = len(encryptor.header.encoded())
    size = 1024 + 16
    chunks = [whole[i : i + size] for i in range(start, len(whole), size)]
    assert len(chunks) == 5

    def opened(parts: list[bytes]) -> bytes:
        source = io.BytesIO(whole[:start] + b"".join(parts))
        return b"".join(decrypt(source, read_header(source), key))

    assert opened(chunks) == data
    for parts in (chunks[:4], chunks[:2] + chunks[3:], [chunks[1], chunks[0], *chunks[2:]]):
        with pytest.raises(BackupError, match="damaged or was altered"):
            opened(parts)


def test_without_a_backup_key_nothing_runs_and_the_message_says_what_to_set(
    db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMOTIPAL_BACKUP_KEY", raising=False)
    monkeypatch.delenv("EMOTIPAL_BACKUP_KEY_FILE", raising=False)
    with pytest.raises(CommandError, match=r"EMOTIPAL_BACKUP_KEY is not set.*Fernet\.generate_key"):
        call_command("backup", out=str(tmp_path / "never.backup"))
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "some.backup").write_bytes(b"x")
    with pytest.raises(CommandError, match="EMOTIPAL_BACKUP_KEY is not set"):
        _restore(tmp_path / "some.backup")
    monkeypatch.setenv("EMOTIPAL_BACKUP_KEY", settings.FIELD_ENCRYPTION_KEYS[0])
    with pytest.raises(CommandError, match="also in EMOTIPAL_FIELD_KEYS"):
        call_command("backup", out=str(tmp_path / "never.backup"))


def test_a_backup_never_overwrites_a_file(db: Any, backup_key: str, tmp_path: Path) -> None:
    path = tmp_path / "kept.backup"
    path.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", out=str(path))
    assert path.read_bytes() == b"an older backup"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.backup"]


@pytest.mark.parametrize("name", ["backup", "restore"])
def test_the_commands_describe_their_options(name: str) -> None:
    parser = load_command_class(get_commands()[name], name).create_parser("emotipal", name)
    text = parser.format_help()
    assert ("--out" in text) if name == "backup" else ("file" in text and "empty" in text)


def test_an_in_memory_sqlite_database_is_backed_up_through_its_own_connection(
    db: Any, backup_key: str, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from django.db.backends.sqlite3.base import DatabaseWrapper

    memory = DatabaseWrapper(connection.settings_dict | {"NAME": ":memory:"}, alias="memory")
    target = DatabaseWrapper(
        connection.settings_dict | {"NAME": str(tmp_path / "from-memory.sqlite3")}, "copy"
    )
    try:
        with memory.cursor() as cursor:
            cursor.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            cursor.executemany("INSERT INTO notes (body) VALUES (%s)", [["one"], ["two"], ["three"]])
        made = make_backup(memory, tmp_path / "memory.backup")
        assert (made.tables, made.rows) == (1, 3)
        said: list[str] = []
        restore_backup(target, tmp_path / "memory.backup", said.append)
        assert "row counts: 1 of 1 tables match the manifest (3 rows)" in said
        with target.cursor() as cursor:
            cursor.execute("SELECT body FROM notes ORDER BY id")
            assert [row[0] for row in cursor.fetchall()] == ["one", "two", "three"]
    finally:
        memory.close()
        target.close()


def test_a_postgresql_load_that_fails_half_way_leaves_the_database_as_it_was(
    db: Any, backup_key: str, tmp_path: Path
) -> None:
    """The restore authenticates the whole file before loading; should a chunk still fail while loading (the
    file changed in between), psql is stopped before its one transaction commits."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    path = tmp_path / "whole.backup"
    call_command("backup", out=str(path), stdout=io.StringIO())
    with open(path, "rb") as source:
        plain = Plaintext(decrypt(source, read_header(source), backup_key))
        plain.manifest()
        dump = b"".join(plain.blocks())
    assert dump.count(b"CREATE TABLE") > 20

    # Cut after a whole statement, so what came before would be loadable and commit if psql were let finish.
    cut = dump.index(b";\n\n", len(dump) // 2) + 3

    def half_then_damaged() -> Iterator[bytes]:
        yield dump[:cut]
        raise BackupError("part 2 does not authenticate")

    from django.db.backends.postgresql.base import DatabaseWrapper

    name = f"{connection.settings_dict['NAME']}_half"
    target = DatabaseWrapper(connection.settings_dict | {"NAME": name}, alias="half")
    with _postgres_database(name):
        try:
            with pytest.raises(BackupError, match="part 2"):
                postgres.load(target, half_then_damaged())
            assert _tables(target) == []
        finally:
            target.close()


def test_a_backup_of_the_other_database_vendor_is_refused(db: Any, backup_key: str, tmp_path: Path) -> None:
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    path = tmp_path / "other-vendor.backup"
    with open(path, "wb") as out:
        encryptor = Encryptor(out, backup_key, other)
        encryptor.write(manifest_block({"tables": {}, "samples": [], "dump": "none"}))
        encryptor.finish()
    before = _counts()
    with pytest.raises(CommandError, match=f"This is a backup of a {other} database"):
        _restore(path)
    assert _counts() == before
