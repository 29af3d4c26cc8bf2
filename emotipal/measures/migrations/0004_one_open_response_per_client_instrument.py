"""Every response has its instrument, and the database allows one open copy per client and instrument."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0003_response_instrument_and_superseded")]

    operations = [
        migrations.AlterField(
            model_name="response",
            name="instrument",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="measures.instrument",
            ),
        ),
        migrations.AddConstraint(
            model_name="response",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("due", "in_progress"))),
                fields=("client", "instrument"),
                name="one_open_response_per_client_instrument",
            ),
        ),
    ]
