"""Who may erase a client, place a legal hold or set retention rules: an active clinic admin of the client's
clinic, nobody else (not the therapist: erasure ends the clinic's record, which is the clinic's decision).
Anything else is "not found", as everywhere (accounts/access.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from emotipal.accounts import access
from emotipal.accounts.models import ClientProfile, Clinic, Role


def admin_clinic(user: Any) -> Clinic:
    """The clinic this admin manages (the first, as the clinic admin page does); 404 for anyone else."""
    clinic = access.clinics_where(user, Role.ADMIN).order_by("pk").first()
    if clinic is None:
        raise Http404("No clinic")
    return clinic


def clients_of(clinic: Clinic) -> Any:
    return ClientProfile.objects.filter(clinic=clinic).select_related("user", "therapist")


def client_for_erasure(user: Any, client_id: int) -> ClientProfile:
    """A client of a clinic `user` administers, read for the erasure page (audited as a staff read)."""
    try:
        client = (
            ClientProfile.objects.filter(clinic_id__in=access.active_clinic_ids(user, Role.ADMIN))
            .select_related("user", "therapist", "clinic")
            .get(pk=client_id)
        )
    except (ClientProfile.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such client") from exc
    access.note_reads(user, [client], "privacy.erasure")
    return client
