"""New clinics require staff MFA. Only the default changes: Django stores no default in the database, so every
existing clinic keeps the value it has (a clinic that did not require MFA still does not)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_admin_and_supervision"),
    ]

    operations = [
        migrations.AlterField(
            model_name="clinic",
            name="require_staff_mfa",
            field=models.BooleanField(
                default=True,
                help_text="Staff must set up two-factor authentication before using the clinic.",
            ),
        ),
    ]
