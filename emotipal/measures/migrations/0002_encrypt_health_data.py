"""Encrypt response scores (total, band, subscales: one blob) and risk-alert items, existing rows included."""

from typing import Any

from django.db import migrations

import emotipal.platform.encryption
from emotipal.platform.encryption import decrypt_column, encrypt_column, settle_constraints


def scores_to_blob(apps: Any, schema_editor: Any) -> None:
    Response = apps.get_model("measures", "Response")
    for pk, total, band, subscales in Response.objects.values_list("id", "total", "band", "subscales"):
        scores = {"total": total, "band": band or "", "subscales": subscales or {}}
        Response.objects.filter(pk=pk).update(scores=scores)
    settle_constraints(schema_editor)


def blob_to_scores(apps: Any, schema_editor: Any) -> None:
    Response = apps.get_model("measures", "Response")
    for pk, scores in Response.objects.values_list("id", "scores"):
        scores = scores or {}
        Response.objects.filter(pk=pk).update(
            total=scores.get("total"), band=scores.get("band") or "", subscales=scores.get("subscales") or {}
        )
    settle_constraints(schema_editor)


def encrypt_items(apps: Any, schema_editor: Any) -> None:
    encrypt_column(schema_editor, "measures_riskalert", "items")


def decrypt_items(apps: Any, schema_editor: Any) -> None:
    decrypt_column(schema_editor, "measures_riskalert", "items")


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="scores",
            field=emotipal.platform.encryption.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(scores_to_blob, blob_to_scores),
        migrations.RemoveField(model_name="response", name="band"),
        migrations.RemoveField(model_name="response", name="subscales"),
        migrations.RemoveField(model_name="response", name="total"),
        migrations.AlterField(
            model_name="riskalert",
            name="items",
            field=emotipal.platform.encryption.EncryptedJSONField(help_text="The risk items and the answers given."),
        ),
        migrations.RunPython(encrypt_items, decrypt_items),
    ]
