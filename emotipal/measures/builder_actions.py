"""Saving a questionnaire written in the builder: one transaction with its audit row, and a risk item of the
previous version is never lost without the admin confirming it by name."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from emotipal.accounts import access
from emotipal.accounts.models import Clinic, Role
from emotipal.measures import builder, services
from emotipal.measures.models import Instrument, InstrumentVersion
from emotipal.measures.queries import latest_version
from emotipal.platform.audit.services import record


class RiskItemsLost(Exception):
    """The new version no longer flags items the previous one raised alerts for (names them)."""

    def __init__(self, lost: list[str]) -> None:
        super().__init__(", ".join(lost))
        self.lost = lost
        self.digest = loss_digest(lost)


def loss_digest(lost: list[str]) -> str:
    """What the confirmation box carries: it confirms losing exactly these items, not any later loss."""
    return hashlib.sha256("\n".join(lost).encode()).hexdigest()[:16]


def previous_definition(clinic: Clinic, key: str) -> dict[str, Any] | None:
    instrument = Instrument.objects.filter(clinic=clinic, key=key).first()
    if instrument is None or not instrument.versions.exists():
        return None
    return latest_version(instrument).definition


def lost_on_save(clinic: Clinic, definition: dict[str, Any]) -> list[str]:
    return builder.lost_risk_items(previous_definition(clinic, definition["key"]), definition)


@transaction.atomic
def save_built_instrument(
    actor: Any, clinic: Clinic, definition: dict[str, Any], *, confirmed: str = ""
) -> tuple[InstrumentVersion, bool]:
    """Stores a new version (or nothing when unchanged). Refuses with RiskItemsLost, changing nothing, when a
    risk item of the previous version would go and `confirmed` is not that loss's digest."""
    if not access.clinics_where(actor, Role.ADMIN).filter(pk=clinic.pk).exists():
        raise PermissionDenied
    lost = lost_on_save(clinic, definition)
    if lost and confirmed != loss_digest(lost):
        raise RiskItemsLost(lost)
    version, created = services.store_instrument(definition, clinic)
    if created:
        record(actor, "instrument.save", version, clinic_id=clinic.pk, version=version.number, lost_risk=lost)
    return version, created
