"""The one permission layer. Every view and API operation asks these functions who may see what.

Every staff read of a client's data goes through `read_client` or `note_reads` here, which write the audit row
(one per client) that answers "who has seen my data?"; writes are audited by the actions that make them.

Rules: a client sees only their own data; a therapist sees the clients of their own caseload; a clinic admin
sees every client of their clinic. Anything else is "not found", so a denial never tells whether an object
exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role
from emotipal.platform.audit.services import record_many

STAFF_ROLES = (Role.ADMIN, Role.THERAPIST, Role.SUPERVISOR, Role.RESEARCHER)
CLINICAL_ROLES = (Role.ADMIN, Role.THERAPIST)


def roles_of(user: Any) -> set[str]:
    """The user's staff roles across clinics (cached on the user object for one request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_emotipal_roles", None)
    if cached is None:
        cached = set(Membership.objects.active().filter(user=user).values_list("role", flat=True))
        user._emotipal_roles = cached
    return cached


def is_client(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_emotipal_is_client", None)
    if cached is None:
        cached = ClientProfile.objects.filter(user=user).exists()
        user._emotipal_is_client = cached
    return cached


def is_staff_member(user: Any) -> bool:
    return bool(roles_of(user))


def is_clinician(user: Any) -> bool:
    return bool(roles_of(user) & set(CLINICAL_ROLES))


def is_clinic_admin(user: Any) -> bool:
    return Role.ADMIN in roles_of(user)


def clinics_where(user: Any, *roles: str) -> QuerySet[Clinic]:
    if not user.is_authenticated:
        return Clinic.objects.none()
    return Clinic.objects.filter(pk__in=active_clinic_ids(user, *roles))


def active_clinic_ids(user: Any, *roles: str) -> QuerySet[Membership, int]:
    """The ids of the clinics where `user` holds one of `roles` in a membership that is not deactivated
    (a subquery: a deactivated membership grants nothing anywhere)."""
    return Membership.objects.active().filter(user=user, role__in=roles).values_list("clinic_id", flat=True)


def visible_clients(user: Any) -> QuerySet[ClientProfile]:
    """Client profiles this user may see clinical data of."""
    if not user.is_authenticated:
        return ClientProfile.objects.none()
    admin_clinics = active_clinic_ids(user, Role.ADMIN)
    therapist_clinics = active_clinic_ids(user, Role.THERAPIST)
    return ClientProfile.objects.filter(
        Q(clinic_id__in=admin_clinics) | Q(therapist=user, clinic_id__in=therapist_clinics) | Q(user=user)
    )


def caseload(user: Any) -> QuerySet[ClientProfile]:
    """Clients shown on the staff client list: the caseload, or the whole clinic for an admin."""
    return visible_clients(user).exclude(user=user)


def get_visible_client(user: Any, client_id: int) -> ClientProfile:
    try:
        return visible_clients(user).select_related("user", "therapist", "clinic").get(pk=client_id)
    except (ClientProfile.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such client") from exc


def read_client(user: Any, client_id: int, what: str) -> ClientProfile:
    """The client whose data `user` is about to see (404 when they may not); a staff member's read is audited."""
    client = get_visible_client(user, client_id)
    note_reads(user, [client], what)
    return client


def note_reads(user: Any, clients: Iterable[ClientProfile], what: str, **detail: Any) -> int:
    """Audit that a staff member saw these clients' data (`what`: the page or operation), one row per client in
    one INSERT. A client reading their own data is not a staff read and writes nothing."""
    return record_many(
        user,
        f"read.{what}",
        [(c, c.user_id, c.clinic_id) for c in clients if c.user_id != getattr(user, "pk", None)],
        **detail,
    )


def own_client_profile(user: Any) -> ClientProfile:
    try:
        return ClientProfile.objects.select_related("clinic", "therapist").get(user=user)
    except ClientProfile.DoesNotExist as exc:
        raise Http404("No client profile") from exc


def can_assign_to(user: Any, client: ClientProfile) -> bool:
    return caseload(user).filter(pk=client.pk).exists() and is_clinician(user)


def staff_clinic(user: Any) -> Clinic | None:
    """The clinic a staff member works in (the first, for someone in several)."""
    return clinics_where(user, *STAFF_ROLES).order_by("pk").first()
