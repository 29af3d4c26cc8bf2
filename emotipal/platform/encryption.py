"""Encrypted model fields for sensitive free text (reflections, thought records, notes).

Fernet (AES-128-CBC with HMAC-SHA256) from the `cryptography` package; keys come from EMOTIPAL_FIELD_KEYS.
MultiFernet encrypts with the first key and decrypts with any, which is what key rotation needs:
put a new key first, keep the old ones, run `emotipal rotate_field_keys`, then drop the old keys (once no
backup made before the rotation is kept: a backup holds the values as they were encrypted then).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("No field encryption keys configured")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Stored data cannot be decrypted with EMOTIPAL_FIELD_KEYS: a key was removed before rotation"
        ) from exc


def decrypt_json(token: str | None) -> Any:
    """A stored EncryptedJSONField token read as the field reads it (None for an empty column): for a query
    that selects the token as plain text to decrypt only some of the rows it reads."""
    if not token:
        return None
    return json.loads(decrypt_text(token))


def rotate_token(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column whose value is stored as a Fernet token. Cannot be searched or ordered by content."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):
    """JSON (answers to an exercise) stored encrypted; Python value is any JSON-serialisable object."""

    # Tell django-stubs' mypy plugin what the attribute holds (it is not a str like a TextField's).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return decrypt_json(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))


# --- data migrations ----------------------------------------------------------------------------------------
# Migrations that turn a plain column into an encrypted one change its type first (to text) and then encrypt
# the stored values with these, in raw SQL: the historical model's field already expects tokens and could not
# read the plain values. Both directions leave values that are already in the target form alone, so running
# one twice (or on a database where some rows were written encrypted) is safe.


def _is_token(value: str) -> bool:
    try:
        fernet().decrypt(value.encode())
    except (InvalidToken, ValueError):
        return False
    return True


def _rewrite_column(schema_editor: Any, table: str, column: str, change: Any) -> None:
    connection = schema_editor.connection
    quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quoted_column} FROM {quoted_table} WHERE {quoted_column} IS NOT NULL"  # noqa: S608  # nosec B608
        )
        for row_id, value in cursor.fetchall():
            if value == "":
                continue
            new = change(value if isinstance(value, str) else json.dumps(value))
            if new is not None:
                cursor.execute(
                    f"UPDATE {quoted_table} SET {quoted_column} = %s WHERE id = %s",  # noqa: S608  # nosec B608
                    [new, row_id],
                )
    settle_constraints(schema_editor)


def settle_constraints(schema_editor: Any) -> None:
    """Check deferred constraints now, after a data migration's UPDATEs: PostgreSQL refuses to ALTER a table
    with pending trigger events in the same transaction, and the schema change follows in this migration."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def encrypt_column(schema_editor: Any, table: str, column: str) -> None:
    """Encrypt every plain value of a (text) column; a JSON column's values are encrypted as their JSON text."""
    _rewrite_column(schema_editor, table, column, lambda v: None if _is_token(v) else encrypt_text(v))


def decrypt_column(schema_editor: Any, table: str, column: str) -> None:
    """The reverse of encrypt_column: back to plain text (JSON text for a JSON column) before the type returns."""
    _rewrite_column(schema_editor, table, column, lambda v: decrypt_text(v) if _is_token(v) else None)
