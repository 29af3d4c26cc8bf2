"""Which questionnaires an actor may use for a client: the one rule behind the page's choices, the view's
look-up and the scheduling services (so another clinic's private instrument is refused everywhere)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from emotipal.accounts.access import can_assign_to, clinics_where
from emotipal.accounts.models import ClientProfile, Clinic, Role
from emotipal.measures.models import Instrument, InstrumentTranslation


def usable_instruments(user: Any, client: ClientProfile) -> QuerySet[Instrument]:
    """Active instruments that are global (no clinic) or owned by the client's clinic; none for someone
    who may not ask this client anything."""
    if not can_assign_to(user, client):
        return Instrument.objects.none()
    return Instrument.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=client.clinic_id), is_active=True)


def is_usable(user: Any, client: ClientProfile, instrument: Instrument) -> bool:
    return usable_instruments(user, client).filter(pk=instrument.pk).exists()


def administered_instrument(user: Any, instrument_id: int) -> tuple[Clinic, Instrument]:
    """The clinic the user administers and one of its questionnaires (shipped or its own), for the clinic's
    language versions; a questionnaire of another clinic, or a user who administers none, is "not found"."""
    clinic = clinics_where(user, Role.ADMIN).first()
    if clinic is None:
        raise Http404("No such questionnaire")
    instrument = Instrument.objects.filter(
        Q(clinic__isnull=True) | Q(clinic=clinic), pk=instrument_id
    ).first()
    if instrument is None:
        raise Http404("No such questionnaire")
    return clinic, instrument


def administered_translation(user: Any, translation_id: int) -> InstrumentTranslation:
    """One of the translations the clinic the user administers imported; another clinic's (or a shipped one)
    is "not found"."""
    found = (
        InstrumentTranslation.objects.select_related("version__instrument", "clinic")
        .filter(pk=translation_id, clinic__in=clinics_where(user, Role.ADMIN)[:1])
        .first()
    )
    if found is None:
        raise Http404("No such translation")
    return found
