"""Placing and lifting a legal hold: each one transaction with its audit row."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.privacy.models import LegalHold

MAX_REASON = 1000


class HoldError(Exception):
    """Bad input or a hold that is not there; nothing was changed."""


def place(actor: Any, client: ClientProfile, reason: str) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise HoldError(_("Say why the data must be kept (for example the complaint or order it is for)."))
    if len(reason) > MAX_REASON:
        raise HoldError(_("Keep the reason to %(limit)s characters or fewer.") % {"limit": MAX_REASON})
    try:
        with transaction.atomic():
            hold = LegalHold.objects.create(
                client=client, reason=reason, placed_by=actor, placed_at=clock.now()
            )
            record(
                actor, "privacy.hold_placed", hold, subject_user_id=client.user_id, clinic_id=client.clinic_id
            )
    except IntegrityError as exc:  # one open hold per client: a second click, or two admins at once
        raise HoldError(_("A legal hold is already in force for this client.")) from exc
    return hold


def lift(actor: Any, client: ClientProfile) -> LegalHold:
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(client=client, lifted_at__isnull=True).first()
        if hold is None:
            raise HoldError(_("There is no legal hold in force for this client."))
        hold.lifted_by, hold.lifted_at = actor, clock.now()
        hold.save(update_fields=["lifted_by", "lifted_at"])
        record(actor, "privacy.hold_lifted", hold, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return hold
