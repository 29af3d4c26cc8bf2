"""`emotipal restore FILE`: into an empty database only, after checking the whole file; then verified.

Order matters: everything that can be refused is refused before the database is touched. The file is read
twice: first to authenticate every chunk and read the manifest (a damaged or altered file, a missing backup
key or a missing old field key is refused then, changing nothing), then again to load it.
"""

from __future__ import annotations

import getpass
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db.migrations.executor import MigrationExecutor

from emotipal.platform.audit import chain
from emotipal.platform.audit.services import record
from emotipal.platform.backup import postgres, sqlite
from emotipal.platform.backup.errors import BackupError, RestoreMismatch
from emotipal.platform.backup.file import Header, Plaintext, choose_key, decrypt, read_header
from emotipal.platform.backup.keys import backup_keys
from emotipal.platform.backup.manifest import FILLED_BY_MIGRATE, row_counts, unreadable_samples, verify_loaded

Say = Callable[[str], None]


def _tables(connection: Any) -> list[str]:
    sql = postgres.TABLES_SQL if connection.vendor == "postgresql" else sqlite.TABLES_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [str(row[0]) for row in cursor.fetchall()]


def refuse_unless_empty(connection: Any) -> None:
    tables = [t for t in _tables(connection) if t not in FILLED_BY_MIGRATE]
    with connection.cursor() as cursor:
        filled = [table for table, count in row_counts(cursor, tables).items() if count]
    if filled:
        shown = ", ".join(filled[:5]) + (", ..." if len(filled) > 5 else "")
        raise BackupError(
            f"The database is not empty: {len(filled)} tables hold rows ({shown}). A backup is restored only "
            "into an empty database (a new one, or one that was only migrated); nothing was changed."
        )


def _first_pass(source: Any, header: Header, key: str) -> tuple[dict[str, Any], int]:
    plain = Plaintext(decrypt(source, header, key))
    manifest = plain.manifest()
    size = sum(len(block) for block in plain.blocks())
    if not isinstance(manifest.get("tables"), dict) or not isinstance(manifest.get("samples"), list):
        raise BackupError("The backup's manifest cannot be read (the file was made wrongly).")
    return manifest, size


def _load(connection: Any, source: Any, header: Header, key: str) -> None:
    source.seek(len(header.raw))
    plain = Plaintext(decrypt(source, header, key))
    plain.manifest()
    if connection.vendor == "postgresql":
        postgres.load(connection, plain.blocks())
        return
    with tempfile.TemporaryDirectory(prefix="emotipal-restore-") as folder:
        sqlite.load(connection, plain.blocks(), Path(folder))


def _pending_migrations(connection: Any) -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _check_audit_chain(say: Say, problems: list[str]) -> None:
    report = chain.verify()
    if report.first_break is not None:
        problems.append(
            f"audit chain broken: {report.first_break.describe()}. Either the data was changed, or EMOTIPAL_AUDIT_CHAIN_KEY (or "
            "the secret key it is derived from) is not the one the backed-up server used"
        )
    else:
        say(f"audit chain: {report.checked} sealed rows intact")


def _checked(connection: Any, source: Any, say: Say) -> tuple[Header, str, dict[str, Any]]:
    """Everything about the file, before the database is looked at: (header, backup key, manifest)."""
    keys = backup_keys()
    header = read_header(source)
    key, place = choose_key(header, keys)
    described = {"format": header.format, "vendor": header.vendor, "at": header.created_at}
    described |= {"key": header.key_id, "place": place, "n": len(keys)}
    say(
        ("backup: format {format}, {vendor}, made {at}, backup key {key} (key {place} of {n})").format(
            **described
        )
    )
    manifest, size = _first_pass(source, header, key)
    say(f"file: authenticated whole ({size} bytes of dump), not altered")
    # Checked once the header is known to be the one written (it is authenticated with the chunks).
    if header.vendor != connection.vendor:
        raise BackupError(
            f"This is a backup of a {header.vendor} database; DATABASE_URL names a {connection.vendor} one."
        )
    unopened, different = unreadable_samples(manifest)
    if unopened:
        raise BackupError(
            (
                "EMOTIPAL_FIELD_KEYS cannot open the backup's encrypted fields ({fields}): put back the "
                "field key that was in use when the backup was made; nothing was changed."
            ).format(fields=", ".join(unopened[:5]))
        )
    if different:
        raise BackupError(
            (
                "The backup contradicts itself: {fields} do not match their checks; nothing was changed."
            ).format(fields=", ".join(different[:5]))
        )
    say(
        ("field keys: the {n} sampled encrypted values open with EMOTIPAL_FIELD_KEYS").format(
            n=len(manifest["samples"])
        )
    )
    return header, key, manifest


def _verified(connection: Any, manifest: dict[str, Any], say: Say) -> bool:
    """Check the loaded database against the manifest; True when its models can be used (no migration
    pending). Raises RestoreMismatch, after saying every check, when anything differs."""
    with connection.cursor() as cursor:
        verification = verify_loaded(cursor, _tables(connection), manifest)
    for line in verification.lines:
        say(line)
    problems = verification.problems
    pending = _pending_migrations(connection)
    if pending:
        # The code is newer than the backup: its models do not match the tables yet, so what reads through
        # them (the audit chain, the audit row) waits for `migrate`.
        say(f"the backup predates {pending} migrations: run `emotipal migrate`, then `emotipal audit_verify`")
    else:
        _check_audit_chain(say, problems)
    if problems:
        raise RestoreMismatch(
            ("The restored database does not match the backup: {problems}").format(
                problems="; ".join(problems)
            )
        )
    return not pending


def restore_backup(connection: Any, path: Path, say: Say) -> None:
    """`connection` is the target; the audit chain and the audit row go through the models (the default
    database, which it is when run as a command)."""
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    with open(path, "rb") as source:
        header, key, manifest = _checked(connection, source, say)
        refuse_unless_empty(connection)
        if connection.in_atomic_block:
            raise BackupError("A restore cannot run inside a transaction; nothing was changed.")
        say("database: empty, loading")
        _load(connection, source, header, key)
    if _verified(connection, manifest, say):
        record(
            None, "platform.restore", via="command line", os_user=getpass.getuser(), file=str(path.resolve())
        )
    say("restore verified")
