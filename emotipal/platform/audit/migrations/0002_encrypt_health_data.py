"""Move audit details that may carry clinical content into an encrypted field, existing rows included."""

from typing import Any

from django.db import migrations

import emotipal.platform.encryption
from emotipal.platform.encryption import settle_constraints

# Frozen copy of audit.services.PLAIN_DETAIL_KEYS as of this migration (a migration must not change meaning
# when the code later does).
PLAIN_DETAIL_KEYS = frozenset(
    {"forms", "hours", "language", "mfa", "number", "resource", "role", "source", "token_id", "version"}
)


def seal(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for pk, detail in AuditEvent.objects.values_list("id", "detail").iterator():
        detail = detail or {}
        sealed = {k: v for k, v in detail.items() if k not in PLAIN_DETAIL_KEYS}
        if sealed:
            plain = {k: v for k, v in detail.items() if k in PLAIN_DETAIL_KEYS}
            AuditEvent.objects.filter(pk=pk).update(detail=plain, sealed_detail=sealed)
    settle_constraints(schema_editor)


def unseal(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for pk, detail, sealed in AuditEvent.objects.values_list("id", "detail", "sealed_detail").iterator():
        if sealed:
            AuditEvent.objects.filter(pk=pk).update(detail={**(detail or {}), **sealed})
    settle_constraints(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="sealed_detail",
            field=emotipal.platform.encryption.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(seal, unseal),
    ]
