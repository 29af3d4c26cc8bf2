"""Which questionnaires an actor may use for a client: the one rule behind the page's choices, the view's
look-up and the scheduling services (so another clinic's private instrument is refused everywhere)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from emotipal.accounts.access import can_assign_to
from emotipal.accounts.models import ClientProfile
from emotipal.measures.models import Instrument


def usable_instruments(user: Any, client: ClientProfile) -> QuerySet[Instrument]:
    """Active instruments that are global (no clinic) or owned by the client's clinic; none for someone
    who may not ask this client anything."""
    if not can_assign_to(user, client):
        return Instrument.objects.none()
    return Instrument.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=client.clinic_id), is_active=True)


def is_usable(user: Any, client: ClientProfile, instrument: Instrument) -> bool:
    return usable_instruments(user, client).filter(pk=instrument.pk).exists()
