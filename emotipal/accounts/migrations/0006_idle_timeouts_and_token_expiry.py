"""Idle timeouts per clinic, and API tokens that always expire.

- staff_idle_minutes / client_idle_days: every existing clinic gets the defaults (30 minutes, 7 days).
- ApiToken.expires_at: tokens made without an expiry get one, 90 days from this migration (not from their
  creation, which could stop a working script without warning today), then the column becomes required.
"""

import datetime as dt

import django.core.validators
from django.db import migrations, models
from django.utils import timezone

# Frozen here (a migration must not change meaning when settings.API_TOKEN_DAYS does).
GRACE_DAYS = 90


def give_open_tokens_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + dt.timedelta(days=GRACE_DAYS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_new_clinics_require_staff_mfa"),
    ]

    operations = [
        migrations.AddField(
            model_name="clinic",
            name="staff_idle_minutes",
            field=models.PositiveSmallIntegerField(
                default=30,
                help_text="Staff are logged out after this many minutes without activity.",
                validators=[
                    django.core.validators.MinValueValidator(5),
                    django.core.validators.MaxValueValidator(720),
                ],
            ),
        ),
        migrations.AddField(
            model_name="clinic",
            name="client_idle_days",
            field=models.PositiveSmallIntegerField(
                default=7,
                help_text="Clients are logged out after this many days without activity.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(14),
                ],
            ),
        ),
        migrations.RunPython(give_open_tokens_an_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
    ]
