from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from emotipal.platform.encryption import EncryptedJSONField, EncryptedTextField, rotate_token


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first key of EMOTIPAL_FIELD_KEYS. "
        "Run after putting a new key first; then the old keys can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.fields if isinstance(f, EncryptedTextField | EncryptedJSONField)]
            if not fields:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            assert model._meta.pk is not None and model._meta.pk.column is not None
            pk = connection.ops.quote_name(model._meta.pk.column)
            for field in fields:
                assert field.column is not None
                column = connection.ops.quote_name(field.column)
                # Raw SQL: the stored token is rotated as it is, without decoding it into Python values.
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608  # nosec B608
                    rows = cursor.fetchall()
                    for row_id, token in rows:
                        if token:
                            cursor.execute(
                                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608  # nosec B608
                                [rotate_token(token), row_id],
                            )
                            total += 1
        self.stdout.write(f"re-encrypted {total} values")
