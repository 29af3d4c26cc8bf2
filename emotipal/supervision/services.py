"""Supervision's writes, each in one transaction with its audit row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from emotipal.accounts.models import Role, SupervisionLink
from emotipal.definitions.competence import OBSERVER_ITEMS, OBSERVER_SCALE, PHASES
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.supervision import access
from emotipal.supervision.models import ObserverRating

NOTE_LIMIT = 2000


class SupervisionError(Exception):
    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


def link(admin: Any, supervisor_id: int | None, therapist_ids: list[int]) -> list[SupervisionLink]:
    """The admin's clinic: `supervisor` (a supervisor there) now supervises these therapists (of the clinic).
    Therapists already supervised by them are left as they are."""
    clinic = access.admin_clinic(admin)
    supervisor = (
        access.members_of(clinic, Role.SUPERVISOR).filter(pk=supervisor_id).first() if supervisor_id else None
    )
    if supervisor is None:
        raise SupervisionError(
            _("Choose a supervisor of this clinic."), {"supervisor": _("Choose a supervisor.")}
        )
    therapists = list(access.members_of(clinic, Role.THERAPIST).filter(pk__in=therapist_ids))
    if not therapist_ids or len(therapists) != len(set(therapist_ids)):
        raise SupervisionError(
            _("Choose one or more therapists of this clinic."), {"therapists": _("Choose a therapist.")}
        )
    if any(t.pk == supervisor.pk for t in therapists):
        raise SupervisionError(
            _("Nobody can supervise themselves."), {"therapists": _("Choose someone else.")}
        )
    made = []
    with transaction.atomic():
        already = set(
            SupervisionLink.objects.filter(
                clinic=clinic, supervisor=supervisor, ended_at__isnull=True
            ).values_list("therapist_id", flat=True)
        )
        for therapist in therapists:
            if therapist.pk in already:
                continue
            new = SupervisionLink.objects.create(
                clinic=clinic, supervisor=supervisor, therapist=therapist, created_by=admin
            )
            record(admin, "supervision.link", new, subject_user_id=therapist.pk, clinic_id=clinic.pk)
            made.append(new)
    return made


def end_link(admin: Any, link_id: int) -> SupervisionLink:
    clinic = access.admin_clinic(admin)
    with transaction.atomic():
        found = (
            SupervisionLink.objects.select_for_update()
            .filter(pk=link_id, clinic=clinic, ended_at__isnull=True)
            .first()
        )
        if found is None:
            raise SupervisionError(_("That supervision has already ended, or is not of this clinic."))
        found.ended_at = clock.now()
        found.save(update_fields=["ended_at"])
        record(admin, "supervision.end", found, subject_user_id=found.therapist_id, clinic_id=clinic.pk)
    return found


def parse_scores(data: Mapping[str, Any]) -> dict[str, int]:
    """The three phase scores from a form, each one of OBSERVER_SCALE; errors name the phase."""
    scores: dict[str, int] = {}
    errors: dict[str, str] = {}
    for item in OBSERVER_ITEMS:
        raw = data.get(item.phase)
        try:
            value = int(str(raw))
        except (TypeError, ValueError):
            value = -1
        if value not in OBSERVER_SCALE:
            errors[item.phase] = _("Choose one of the ratings.")
        else:
            scores[item.phase] = value
    if errors:
        raise SupervisionError(_("Rate every phase."), errors)
    return scores


def rate(
    rater: Any,
    therapist_id: int,
    scores: Mapping[str, Any],
    note: str = "",
    *,
    assignment_id: int | None = None,
    session_id: int | None = None,
) -> ObserverRating:
    """The supervisor's rating of one piece of a supervisee's work; one per rater per piece of work."""
    link_ = access.supervisee_link(rater, therapist_id)
    assignment, session = access.ratable_work(link_, assignment_id, session_id)
    values = parse_scores(scores)
    if len(note.strip()) > NOTE_LIMIT:
        message = _("Keep the note to %(limit)s characters.") % {"limit": NOTE_LIMIT}
        raise SupervisionError(message, {"note": message})
    try:
        with transaction.atomic():
            rating = ObserverRating.objects.create(
                rater=rater,
                therapist=link_.therapist,
                clinic=link_.clinic,
                assignment=assignment,
                session=session,
                note=note.strip(),
                **{phase: values[phase] for phase in PHASES},
            )
            record(
                rater,
                "supervision.rate",
                rating,
                subject_user_id=link_.therapist_id,
                clinic_id=link_.clinic_id,
            )
    except IntegrityError as exc:
        raise SupervisionError(_("You have already rated this piece of work.")) from exc
    return rating
