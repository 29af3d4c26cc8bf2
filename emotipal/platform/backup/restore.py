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
from django.utils.translation import gettext as _

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
            _(
                "The database is not empty: %(count)s tables hold rows (%(tables)s). A backup is restored only "
                "into an empty database (a new one, or one that was only migrated); nothing was changed."
            )
            % {"count": len(filled), "tables": shown}
        )


def _first_pass(source: Any, header: Header, key: str) -> tuple[dict[str, Any], int]:
    plain = Plaintext(decrypt(source, header, key))
    manifest = plain.manifest()
    size = sum(len(block) for block in plain.blocks())
    if not isinstance(manifest.get("tables"), dict) or not isinstance(manifest.get("samples"), list):
        raise BackupError(_("The backup's manifest cannot be read (the file was made wrongly)."))
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
            _(
                "audit chain broken: %(where)s. Either the data was changed, or EMOTIPAL_AUDIT_CHAIN_KEY (or "
                "the secret key it is derived from) is not the one the backed-up server used"
            )
            % {"where": report.first_break.describe()}
        )
    else:
        say(_("audit chain: %(rows)s sealed rows intact") % {"rows": report.checked})


def _checked(connection: Any, source: Any, say: Say) -> tuple[Header, str, dict[str, Any]]:
    """Everything about the file, before the database is looked at: (header, backup key, manifest)."""
    keys = backup_keys()
    header = read_header(source)
    key, place = choose_key(header, keys)
    described = {"format": header.format, "vendor": header.vendor, "at": header.created_at}
    described |= {"key": header.key_id, "place": place, "n": len(keys)}
    say(
        _("backup: format %(format)s, %(vendor)s, made %(at)s, backup key %(key)s (key %(place)s of %(n)s)")
        % described
    )
    manifest, size = _first_pass(source, header, key)
    say(_("file: authenticated whole (%(size)s bytes of dump), not altered") % {"size": size})
    # Checked once the header is known to be the one written (it is authenticated with the chunks).
    if header.vendor != connection.vendor:
        raise BackupError(
            _("This is a backup of a %(backup)s database; DATABASE_URL names a %(here)s one.")
            % {"backup": header.vendor, "here": connection.vendor}
        )
    unopened, different = unreadable_samples(manifest)
    if unopened:
        raise BackupError(
            _(
                "EMOTIPAL_FIELD_KEYS cannot open the backup's encrypted fields (%(fields)s): put back the "
                "field key that was in use when the backup was made; nothing was changed."
            )
            % {"fields": ", ".join(unopened[:5])}
        )
    if different:
        raise BackupError(
            _("The backup contradicts itself: %(fields)s do not match their checks; nothing was changed.")
            % {"fields": ", ".join(different[:5])}
        )
    say(
        _("field keys: the %(n)s sampled encrypted values open with EMOTIPAL_FIELD_KEYS")
        % {"n": len(manifest["samples"])}
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
        say(
            _("the backup predates %(n)s migrations: run `emotipal migrate`, then `emotipal audit_verify`")
            % {"n": pending}
        )
    else:
        _check_audit_chain(say, problems)
    if problems:
        raise RestoreMismatch(
            _("The restored database does not match the backup: %(problems)s")
            % {"problems": "; ".join(problems)}
        )
    return not pending


def restore_backup(connection: Any, path: Path, say: Say) -> None:
    """`connection` is the target; the audit chain and the audit row go through the models (the default
    database, which it is when run as a command)."""
    if not path.is_file():
        raise BackupError(_("There is no file %(path)s.") % {"path": path})
    with open(path, "rb") as source:
        header, key, manifest = _checked(connection, source, say)
        refuse_unless_empty(connection)
        if connection.in_atomic_block:
            raise BackupError(_("A restore cannot run inside a transaction; nothing was changed."))
        say(_("database: empty, loading"))
        _load(connection, source, header, key)
    if _verified(connection, manifest, say):
        record(
            None, "platform.restore", via="command line", os_user=getpass.getuser(), file=str(path.resolve())
        )
    say(_("restore verified"))
