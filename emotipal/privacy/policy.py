"""Saving a clinic's retention rules: one transaction with its audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from emotipal.accounts.models import Clinic
from emotipal.platform.audit.services import record
from emotipal.privacy.models import RetentionPolicy


def policy_of(clinic: Clinic) -> RetentionPolicy:
    """The clinic's rules (both off for a clinic that never set them; not saved until it does)."""
    return RetentionPolicy.objects.filter(clinic=clinic).first() or RetentionPolicy(clinic=clinic)


def save_policy(
    actor: Any, clinic: Clinic, *, draft_days: int | None, anonymise_after_years: int | None
) -> None:
    with transaction.atomic():
        policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(clinic=clinic)
        policy.draft_days, policy.anonymise_after_years = draft_days, anonymise_after_years
        policy.full_clean()
        policy.save()
        record(
            actor,
            "privacy.retention_policy",
            policy,
            clinic_id=clinic.pk,
            draft_days=draft_days,
            anonymise_after_years=anonymise_after_years,
        )
