"""Copy each response's instrument onto the response and close duplicate open copies as "superseded".

A client could have the same questionnaire open twice (two schedules, or a schedule and "ask now"). Of each
client's open copies of one instrument the one kept is the one already started, else the latest due; the
others keep their answers and are marked superseded. 0004 then lets the database refuse new duplicates."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from emotipal.platform.encryption import settle_constraints

OPEN = ("due", "in_progress")


def copy_instrument_and_supersede(apps: Any, schema_editor: Any) -> None:
    Response = apps.get_model("measures", "Response")
    InstrumentVersion = apps.get_model("measures", "InstrumentVersion")
    for version_id, instrument_id in InstrumentVersion.objects.values_list("id", "instrument_id"):
        Response.objects.filter(instrument_version_id=version_id).update(instrument_id=instrument_id)
    kept: set[tuple[int, int]] = set()
    superseded: list[int] = []
    # In progress first (its answers matter most), then the latest due: the first of each pair is kept.
    rows = Response.objects.filter(status__in=OPEN).values_list("id", "client_id", "instrument_id", "status")
    ordered = sorted(rows, key=lambda r: (r[3] != "in_progress", -r[0]))
    for pk, client_id, instrument_id, _status in ordered:
        if (client_id, instrument_id) in kept:
            superseded.append(pk)
        else:
            kept.add((client_id, instrument_id))
    Response.objects.filter(pk__in=superseded).update(status="superseded")
    settle_constraints(schema_editor)


def reopen_nothing(apps: Any, schema_editor: Any) -> None:
    """Going back leaves superseded copies closed (as expired): reopening them would bring the duplicates back."""
    apps.get_model("measures", "Response").objects.filter(status="superseded").update(status="expired")
    settle_constraints(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_encrypt_health_data")]

    operations = [
        migrations.AddField(
            model_name="response",
            name="instrument",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="measures.instrument",
            ),
        ),
        migrations.AlterField(
            model_name="response",
            name="status",
            field=models.CharField(
                choices=[
                    ("due", "Due"),
                    ("in_progress", "In progress"),
                    ("completed", "Completed"),
                    ("expired", "Expired"),
                    ("superseded", "Superseded by another copy"),
                ],
                default="due",
                max_length=12,
            ),
        ),
        migrations.RunPython(copy_instrument_and_supersede, reopen_nothing),
    ]
