"""Writing the audit trail. Service functions of every app call `record` for the writes and reads that matter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from emotipal.platform.audit.models import AuditEvent

# Detail keys that stay in plain text in the audit row: settings and ids that say nothing about a client's
# health. Any other key given to `record` is encrypted (AuditEvent.sealed_detail), so a new call site that
# passes clinical content is safe by default.
PLAIN_DETAIL_KEYS = frozenset(
    {
        "account_kept",  # an erased client's account stayed because the person also works here
        "anonymise_after_years",  # a clinic's retention rule
        "authenticator_type",  # which MFA method was added or removed (totp, recovery codes)
        "client_idle_days",  # a clinic's idle timeout for clients
        "clients_erased",  # a count in a retention run's report
        "clients_kept_for_research",  # a count in a retention run's report
        "clients_on_hold",  # a count in a retention run's report
        "days",  # how long a new API token is valid
        "draft_days",  # a clinic's retention rule
        "drafts_removed",  # a count in a retention run's report
        "format",  # the file format of a client's download of their data (html, json, fhir)
        "forms",  # how many REDCap forms were imported
        "hours",  # a clinic's alert escalation time
        "known_account",  # whether a failed login named an existing account
        "language",  # a user's or a crisis resource's language
        "mfa",  # a clinic's staff MFA policy
        "minutes",  # the idle timeout that ended a session
        "number",  # a session's ordinal number
        "os_user",  # the operating-system account that ran a command-line export
        "resource",  # id of a crisis resource
        "role",  # membership role, or who gave a retroactive rating (client / therapist)
        "source",  # id of the template version a clinic copied
        "staff_idle_minutes",  # a clinic's idle timeout for staff
        "token_id",  # id of an API token
        "trigger",  # what erased a client: "request" (an admin) or "retention" (the clinic's rule)
        "version",  # a template version's number
        "via",  # how a read happened (the command line, for exports)
    }
)


def split_detail(detail: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, sealed): the keys allowed in plain text, and all the others."""
    plain = {k: v for k, v in detail.items() if k in PLAIN_DETAIL_KEYS}
    sealed = {k: v for k, v in detail.items() if k not in PLAIN_DETAIL_KEYS}
    return plain, sealed


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    subject_user_id: int | None = None,
    clinic_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    event = event_for(actor, action, target, subject_user_id=subject_user_id, clinic_id=clinic_id, **detail)
    event.save(force_insert=True)
    return event


def event_for(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    subject_user_id: int | None = None,
    clinic_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """The row `record` writes, not saved yet: for `record_each`, which writes many in one INSERT."""
    plain, sealed = split_detail(detail)
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        subject_user_id=subject_user_id,
        clinic_id=clinic_id,
        detail=plain,
        sealed_detail=sealed,
    )


def record_each(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Write rows made by `event_for` (each its own action, target and detail) in a single INSERT, in the
    order given: the same rows as a `record` each, for a batch that audits many writes (a batch of reminders
    costs one query, not one per reminder)."""
    rows = list(events)
    if rows:
        AuditEvent.objects.bulk_create(rows)
    return rows


def record_many(
    actor: Any, action: str, touched: Iterable[tuple[models.Model, int | None, int | None]], **detail: Any
) -> int:
    """One row per (target, subject user id, clinic id), written in a single INSERT (a caseload of 500 clients
    costs one query, not 500). Returns the number of rows."""
    plain, sealed = split_detail(detail)
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    rows = [
        AuditEvent(
            actor_id=actor_id,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            subject_user_id=subject_user_id,
            clinic_id=clinic_id,
            detail=plain,
            sealed_detail=sealed,
        )
        for target, subject_user_id, clinic_id in touched
    ]
    AuditEvent.objects.bulk_create(rows)
    return len(rows)
