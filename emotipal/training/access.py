"""Who may practise on vignettes, and who may see whose attempts.

Trainees, therapists and supervisors may practise; an attempt and a progress page are their own. Supervisors
and clinic admins may also see the attempts and progress of the trainees of their clinic (an audited read).
Anything else is "not found". Nothing here ever reaches a real client: vignettes are simulated.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from emotipal.accounts import access as accounts_access
from emotipal.accounts.models import Membership, Role, User
from emotipal.platform.audit.services import record
from emotipal.training.models import TrainingAttempt, Vignette

PRACTISING_ROLES = frozenset({Role.TRAINEE, Role.THERAPIST, Role.SUPERVISOR})
OVERSEEING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def can_practise(user: Any) -> bool:
    return bool(accounts_access.roles_of(user) & PRACTISING_ROLES)


def can_oversee(user: Any) -> bool:
    return bool(accounts_access.roles_of(user) & set(OVERSEEING_ROLES))


def may_open_training(user: Any) -> bool:
    return can_practise(user) or can_oversee(user)


def is_trainee_only(user: Any) -> bool:
    """A trainee with no clinical role: their home is the training list."""
    return Role.TRAINEE in accounts_access.roles_of(user) and not accounts_access.is_clinician(user)


def overseen_trainees(user: Any) -> QuerySet[User]:
    """The active trainees of the clinics where `user` is a supervisor or a clinic admin (never themself)."""
    if not can_oversee(user):
        return User.objects.none()
    clinics = Membership.objects.filter(
        user=user, role__in=OVERSEEING_ROLES, deactivated_at__isnull=True
    ).values("clinic_id")
    trainee_ids = Membership.objects.filter(
        clinic_id__in=clinics, role=Role.TRAINEE, deactivated_at__isnull=True
    ).values("user_id")
    return User.objects.filter(pk__in=trainee_ids).exclude(pk=user.pk).order_by("display_name", "pk")


def get_vignette(user: Any, vignette_id: int) -> Vignette:
    if not can_practise(user):
        raise Http404("No such vignette")
    try:
        return Vignette.objects.get(pk=vignette_id)
    except (Vignette.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such vignette") from exc


def progress_subject(user: User, trainee_id: int) -> User:
    """Whose progress `user` is about to see: their own, or an overseen trainee's (that read is audited)."""
    if trainee_id == user.pk and can_practise(user):
        return user
    trainee = overseen_trainees(user).filter(pk=trainee_id).first()
    if trainee is None:
        raise Http404("No such trainee")
    _note_read(user, trainee, "training_progress")
    return trainee


def get_attempt(user: Any, attempt_id: int) -> TrainingAttempt:
    """An attempt `user` may read: their own, or an overseen trainee's (audited)."""
    try:
        attempt = TrainingAttempt.objects.select_related("vignette", "trainee").get(pk=attempt_id)
    except (TrainingAttempt.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such attempt") from exc
    if attempt.trainee_id == user.pk:
        return attempt
    if not overseen_trainees(user).filter(pk=attempt.trainee_id).exists():
        raise Http404("No such attempt")
    _note_read(user, attempt.trainee, "training_attempt")
    return attempt


def _note_read(user: Any, trainee: User, what: str) -> None:
    # A trainee's scores say how well they work: a supervisor's look at them is on the record, like a client's.
    clinic = accounts_access.clinics_where(trainee, Role.TRAINEE).order_by("pk").first()
    record(user, f"read.{what}", trainee, subject_user_id=trainee.pk, clinic_id=clinic.pk if clinic else None)
