"""Who may see and do what in supervision.

* A clinic admin links the clinic's supervisors to the clinic's therapists, and sees the clinic's agreement
  and competence-engagement figures.
* A supervisor sees the therapists they currently supervise (open link, active supervisor membership), their
  aggregated figures, and rates their work. Their clients are reached only through accounts.access (read
  only, each read audited as supervision).
Anything else is "not found".
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from emotipal.accounts.access import clinics_where, is_clinic_admin, is_supervisor
from emotipal.accounts.models import Clinic, Membership, Role, SupervisionLink, User
from emotipal.homework.models import Assignment, TherapySession


def open_links(supervisor: Any) -> QuerySet[SupervisionLink]:
    """The supervisor's current links, only in clinics where they are still an active supervisor."""
    if not supervisor.is_authenticated:
        return SupervisionLink.objects.none()
    active = Membership.objects.filter(
        user=supervisor, role=Role.SUPERVISOR, deactivated_at__isnull=True
    ).values("clinic_id")
    return SupervisionLink.objects.filter(supervisor=supervisor, ended_at__isnull=True, clinic_id__in=active)


def supervisee_link(supervisor: Any, therapist_id: int) -> SupervisionLink:
    """The open link over this therapist (404 when there is none)."""
    link = (
        open_links(supervisor).select_related("therapist", "clinic").filter(therapist_id=therapist_id).first()
    )
    if link is None:
        raise Http404("No such supervisee")
    return link


def admin_clinic(user: Any) -> Clinic:
    """The clinic a clinic admin manages supervision in (the first, for an admin of several)."""
    clinic = clinics_where(user, Role.ADMIN).order_by("pk").first()
    if clinic is None:
        raise Http404("No clinic")
    return clinic


def clinic_for_figures(user: Any) -> Clinic:
    """The clinic whose clinic-level figures `user` may see: as its admin, or as one of its supervisors."""
    clinic = clinics_where(user, Role.ADMIN, Role.SUPERVISOR).order_by("pk").first()
    if clinic is None or not (is_clinic_admin(user) or is_supervisor(user)):
        raise Http404("No clinic")
    return clinic


def members_of(clinic: Clinic, role: str) -> QuerySet[User]:
    return User.objects.filter(
        memberships__clinic=clinic, memberships__role=role, memberships__deactivated_at__isnull=True
    ).distinct()


def ratable_work(
    link: SupervisionLink, assignment_id: int | None, session_id: int | None
) -> tuple[Assignment | None, TherapySession | None]:
    """The piece of the supervisee's work named by the request (exactly one), in the link's clinic."""
    if (assignment_id is None) == (session_id is None):
        raise Http404("Name one piece of work")
    if assignment_id is not None:
        assignment = Assignment.objects.filter(
            pk=assignment_id, assigned_by=link.therapist, client__clinic=link.clinic
        ).first()
        if assignment is None:
            raise Http404("No such assignment")
        return assignment, None
    assert session_id is not None  # exactly one of the two was given
    session = TherapySession.objects.filter(
        pk=session_id, therapist=link.therapist, client__clinic=link.clinic
    ).first()
    if session is None:
        raise Http404("No such session")
    return None, session
