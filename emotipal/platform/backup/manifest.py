"""What a backup records about itself, and the checks a restore makes against it.

The manifest holds the row count of every table and a sample of encrypted values: for each encrypted column
the two oldest and two newest values, each as its stored token (ciphertext, as in the dump) and a check of its
plaintext. The check is an HMAC of the plaintext under a key derived from the field key that opens the token,
not a bare hash: a bare hash of a short value (a score of 17) could be guessed back by anyone holding only the
backup key. Restoring, the tokens are opened with the current EMOTIPAL_FIELD_KEYS before anything is loaded
(a missing old field key is refused then), and afterwards the loaded rows are read back and checked again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings

from emotipal.platform.backup.errors import BackupError
from emotipal.platform.backup.file import key_bytes
from emotipal.platform.encryption import EncryptedJSONField, EncryptedTextField

SAMPLES_AT_EACH_END = 2
# Filled by `migrate` itself: a migrated database with rows only in these is still empty.
FILLED_BY_MIGRATE = frozenset({"django_migrations", "django_content_type", "auth_permission"})


@dataclass(frozen=True)
class Column:
    table: str
    pk: str
    column: str


def quote(name: str) -> str:
    """An identifier quoted the SQL-standard way, which SQLite and PostgreSQL both read."""
    return '"' + name.replace('"', '""') + '"'


def encrypted_columns() -> list[Column]:
    found: list[Column] = []
    for model in apps.get_models():
        pk = model._meta.pk
        for f in model._meta.fields:
            if isinstance(f, EncryptedTextField | EncryptedJSONField) and pk is not None:
                assert f.column is not None and pk.column is not None
                found.append(Column(model._meta.db_table, pk.column, f.column))
    return found


def row_counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (a quoted table name)  # nosec B608
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _opened(token: str) -> tuple[str, bytes] | None:
    """(the field key that opens the token, the plaintext), or None when no configured key does."""
    for key in settings.FIELD_ENCRYPTION_KEYS:
        try:
            return key, Fernet(key.encode()).decrypt(token.encode())
        except (InvalidToken, ValueError):
            continue
    return None


def sample_check(column: Column, pk: Any, token: str) -> str | None:
    opened = _opened(token)
    if opened is None:
        return None
    key, plain = opened
    check_key = hmac.new(key_bytes(key), b"emotipal.backup-sample-check", hashlib.sha256).digest()
    place = json.dumps([column.table, column.column, pk]).encode()
    return hmac.new(check_key, place + b"\n" + plain, hashlib.sha256).hexdigest()


def take_samples(cursor: Any, tables: set[str]) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    for column in encrypted_columns():
        if column.table not in tables:
            continue
        values: dict[Any, str] = {}
        for order in ("ASC", "DESC"):
            cursor.execute(
                f"SELECT {quote(column.pk)}, {quote(column.column)} FROM {quote(column.table)} "  # noqa: S608  # nosec B608
                f"WHERE {quote(column.column)} IS NOT NULL AND {quote(column.column)} <> '' "
                f"ORDER BY {quote(column.pk)} {order} LIMIT {SAMPLES_AT_EACH_END}"
            )
            # Ids as JSON keeps them (integers; any other kind of key as its text).
            values.update(
                (pk if isinstance(pk, int | str) else str(pk), str(token)) for pk, token in cursor.fetchall()
            )
        for pk, token in sorted(values.items()):
            check = sample_check(column, pk, token)
            if check is None:
                raise BackupError(
                    f"{column.table}.{column.column} of row {pk} cannot be decrypted with EMOTIPAL_FIELD_KEYS, so "
                    "this backup could not be restored readable: put back the field key that was removed "
                    "(see README, rotating the encryption key). No backup was written."
                )
            samples.append(
                {"table": column.table, "pk_column": column.pk, "column": column.column, "pk": pk}
                | {"token": token, "check": check}
            )
    return samples


def _column(sample: dict[str, Any]) -> Column:
    return Column(str(sample["table"]), str(sample["pk_column"]), str(sample["column"]))


def unreadable_samples(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Before loading: the sampled values no current field key opens, and those that open to something other
    than what was backed up."""
    unopened, different = [], []
    for sample in manifest.get("samples", []):
        column = _column(sample)
        check = sample_check(column, sample["pk"], str(sample["token"]))
        place = f"{column.table}.{column.column} (row {sample['pk']})"
        if check is None:
            unopened.append(place)
        elif not hmac.compare_digest(check, str(sample["check"])):
            different.append(place)
    return unopened, different


@dataclass
class Verification:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def verify_loaded(cursor: Any, tables: list[str], manifest: dict[str, Any]) -> Verification:
    """Compare the loaded database (Django's cursor, %s parameters) with the manifest."""
    result = Verification()
    expected: dict[str, int] = {str(k): int(v) for k, v in manifest["tables"].items()}
    missing = sorted(set(expected) - set(tables))
    for table in missing:
        result.problems.append(f"table {table} is missing")
    found = row_counts(cursor, [t for t in expected if t in tables])
    for table, count in found.items():
        if count != expected[table]:
            result.problems.append(f"table {table} has {count} rows, the backup recorded {expected[table]}")
    matching = sum(1 for t, c in found.items() if c == expected[t])
    result.lines.append(
        f"row counts: {matching} of {len(expected)} tables match the manifest ({sum(found.values())} rows)"
    )
    good = 0
    for sample in manifest.get("samples", []):
        column = _column(sample)
        cursor.execute(
            f"SELECT {quote(column.column)} FROM {quote(column.table)} WHERE {quote(column.pk)} = %s",  # noqa: S608  # nosec B608
            [sample["pk"]],
        )
        row = cursor.fetchone()
        check = sample_check(column, sample["pk"], str(row[0])) if row and row[0] else None
        if check is not None and hmac.compare_digest(check, str(sample["check"])):
            good += 1
        else:
            result.problems.append(
                ("{table}.{column} of row {pk} does not decrypt to the value backed up").format(
                    table=column.table, column=column.column, pk=sample["pk"]
                )
            )
    result.lines.append(
        ("encrypted fields: {good} of {total} sampled values decrypt and match their checks").format(
            good=good, total=len(manifest.get("samples", []))
        )
    )
    return result
