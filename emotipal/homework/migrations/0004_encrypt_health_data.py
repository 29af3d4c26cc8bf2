"""Encrypt review ratings, barrier and strategy codes, fear-ladder titles and expected distress, existing rows
included."""

from typing import Any

import django.core.validators
from django.db import migrations

import emotipal.platform.encryption
from emotipal.platform.encryption import decrypt_column, encrypt_column

COLUMNS = [
    ("homework_barrier", "barrier"),
    ("homework_barrier", "strategy"),
    ("homework_fearladder", "title"),
    ("homework_ladderstep", "expected_distress"),
    ("homework_selfreview", "ratings"),
    ("homework_selfreview", "helpfulness"),
    ("homework_retroactiverating", "quantity"),
    ("homework_retroactiverating", "quality"),
    ("homework_therapistreview", "ratings"),
]


def encrypt(apps: Any, schema_editor: Any) -> None:
    for table, column in COLUMNS:
        encrypt_column(schema_editor, table, column)


def decrypt(apps: Any, schema_editor: Any) -> None:
    for table, column in COLUMNS:
        decrypt_column(schema_editor, table, column)


RATING_VALIDATORS = [
    django.core.validators.MinValueValidator(0),
    django.core.validators.MaxValueValidator(4),
]
RATING_HELP = "Ratings 0-4 keyed by engagement dimension (see homework/engagement_items.py)."


class Migration(migrations.Migration):
    dependencies = [
        ("homework", "0003_assignment_variant_key_entry_variant_key_fearladder_and_more"),
    ]

    operations = [
        migrations.AlterField(
            model_name="barrier",
            name="barrier",
            field=emotipal.platform.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="barrier",
            name="strategy",
            field=emotipal.platform.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="fearladder",
            name="title",
            field=emotipal.platform.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="selfreview",
            name="ratings",
            field=emotipal.platform.encryption.EncryptedJSONField(help_text=RATING_HELP),
        ),
        migrations.AlterField(
            model_name="therapistreview",
            name="ratings",
            field=emotipal.platform.encryption.EncryptedJSONField(help_text=RATING_HELP),
        ),
        migrations.AlterField(
            model_name="selfreview",
            name="helpfulness",
            field=emotipal.platform.encryption.EncryptedJSONField(
                blank=True, null=True, validators=RATING_VALIDATORS
            ),
        ),
        migrations.AlterField(
            model_name="retroactiverating",
            name="quantity",
            field=emotipal.platform.encryption.EncryptedJSONField(validators=RATING_VALIDATORS),
        ),
        migrations.AlterField(
            model_name="retroactiverating",
            name="quality",
            field=emotipal.platform.encryption.EncryptedJSONField(validators=RATING_VALIDATORS),
        ),
        migrations.AlterField(
            model_name="ladderstep",
            name="expected_distress",
            field=emotipal.platform.encryption.EncryptedJSONField(
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100),
                ]
            ),
        ),
        # After the columns are text (so they may hold tokens); reversed before they turn back.
        migrations.RunPython(encrypt, decrypt),
    ]
