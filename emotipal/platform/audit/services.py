"""Writing the audit trail. Service functions of every app call `record` for the writes and reads that matter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from emotipal.platform.audit.models import AuditEvent


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    subject_user_id: int | None = None,
    clinic_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        subject_user_id=subject_user_id,
        clinic_id=clinic_id,
        detail=detail,
    )


def record_many(
    actor: Any, action: str, touched: Iterable[tuple[models.Model, int | None, int | None]], **detail: Any
) -> int:
    """One row per (target, subject user id, clinic id), written in a single INSERT (a caseload of 500 clients
    costs one query, not 500). Returns the number of rows."""
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    rows = [
        AuditEvent(
            actor_id=actor_id,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            subject_user_id=subject_user_id,
            clinic_id=clinic_id,
            detail=detail,
        )
        for target, subject_user_id, clinic_id in touched
    ]
    AuditEvent.objects.bulk_create(rows)
    return len(rows)
