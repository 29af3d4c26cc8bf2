"""The one permission layer. Every view and API operation asks these functions who may see what.

Every staff read of a client's data goes through `read_client` or `note_reads` here, which write the audit row
(one per client) that answers "who has seen my data?"; writes are audited by the actions that make them.

Rules: a client sees only their own data; a therapist sees the clients of their own caseload; a clinic admin
sees every client of their clinic; a supervisor sees, read only, the clients of the therapists they currently
supervise in that clinic (each such read audited as "read.supervision"). Anything else is "not found", so a denial never tells whether an object
exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, SupervisionLink
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


def is_supervisor(user: Any) -> bool:
    return Role.SUPERVISOR in roles_of(user)


def may_open_client_pages(user: Any) -> bool:
    """Clinicians, and supervisors (who open their supervisees' clients read only)."""
    return is_clinician(user) or is_supervisor(user)


def clinics_where(user: Any, *roles: str) -> QuerySet[Clinic]:
    if not user.is_authenticated:
        return Clinic.objects.none()
    return Clinic.objects.filter(pk__in=active_clinic_ids(user, *roles))


def active_clinic_ids(user: Any, *roles: str) -> QuerySet[Membership, int]:
    """The ids of the clinics where `user` holds one of `roles` in a membership that is not deactivated
    (a subquery: a deactivated membership grants nothing anywhere)."""
    return Membership.objects.active().filter(user=user, role__in=roles).values_list("clinic_id", flat=True)


def visible_clients(user: Any) -> QuerySet[ClientProfile]:
    """Client profiles this user may see clinical data of: their clinical ones and, read only, those of the
    therapists they supervise."""
    if not user.is_authenticated:
        return ClientProfile.objects.none()
    return ClientProfile.objects.filter(_clinical(user) | Q(_supervised(user)))


def _supervised(user: Any) -> Exists:
    """An open supervision link of `user` over the client's therapist, in the client's clinic, where `user` is
    an active supervisor (one subquery, no extra round trip)."""
    return Exists(
        SupervisionLink.objects.filter(
            supervisor=user,
            ended_at__isnull=True,
            clinic_id=OuterRef("clinic_id"),
            therapist_id=OuterRef("therapist_id"),
            clinic__memberships__user=user,
            clinic__memberships__role=Role.SUPERVISOR,
            clinic__memberships__deactivated_at__isnull=True,
        )
    )


def clinical_clients(user: Any) -> QuerySet[ClientProfile]:
    """The clients whose care this user takes part in (and may write to): their caseload, their clinic's for
    an admin, and themselves."""
    if not user.is_authenticated:
        return ClientProfile.objects.none()
    return ClientProfile.objects.filter(_clinical(user))


def _clinical(user: Any) -> Q:
    admin_clinics = active_clinic_ids(user, Role.ADMIN)
    therapist_clinics = active_clinic_ids(user, Role.THERAPIST)
    return Q(clinic_id__in=admin_clinics) | Q(therapist=user, clinic_id__in=therapist_clinics) | Q(user=user)


def caseload(user: Any) -> QuerySet[ClientProfile]:
    """Clients shown on the staff client list: the caseload, or the whole clinic for an admin. Supervised
    clients are not on it (a supervisor sees them through their supervisee, aggregated)."""
    return clinical_clients(user).exclude(user=user)


def get_visible_client(user: Any, client_id: int) -> ClientProfile:
    """The client (404 when `user` may not see them). A supervisor's read of a supervisee's client is audited
    here, whatever page it is for: supervision is the reason the client never chose to share with."""
    try:
        client = visible_clients(user).select_related("user", "therapist", "clinic").get(pk=client_id)
    except (ClientProfile.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such client") from exc
    if is_supervisor(user) and not clinical_clients(user).filter(pk=client.pk).exists():
        note_reads(user, [client], "supervision", via="supervision")
    return client


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
        profile = ClientProfile.objects.select_related("clinic", "therapist").get(user=user)
    except ClientProfile.DoesNotExist as exc:
        raise Http404("No client profile") from exc
    profile.user = user  # the same row, already read for the request: pages greeting the client by name
    return profile


def can_assign_to(user: Any, client: ClientProfile) -> bool:
    """Writes: only on the caseload (never on a client seen through supervision)."""
    return caseload(user).filter(pk=client.pk).exists() and is_clinician(user)


def staff_clinic(user: Any) -> Clinic | None:
    """The clinic a staff member works in (the first, for someone in several)."""
    return clinics_where(user, *STAFF_ROLES).order_by("pk").first()
