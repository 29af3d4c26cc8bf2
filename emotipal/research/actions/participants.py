"""Moving a participant from one state to the next: one transaction, an event row and an audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.research import states
from emotipal.research.errors import ResearchError
from emotipal.research.models import Participant, ParticipantEvent, ParticipantState


def move(participant: Participant, new_state: str, actor: Any, reason: str = "") -> Participant:
    """Record that `participant` is now in `new_state`. The caller holds the transaction if it writes more
    (consent records, enrolment); this locks the participant row so two requests cannot both move it."""
    with transaction.atomic():
        locked = (
            Participant.objects.select_for_update().select_related("client", "study").get(pk=participant.pk)
        )
        if not states.may_move(locked.state, new_state):
            raise ResearchError(
                _("A participant who is “%(current)s” cannot become “%(new)s”.")
                % {
                    "current": ParticipantState(locked.state).label,
                    "new": ParticipantState(new_state).label,
                }
            )
        now = clock.now()
        locked.state = new_state
        if new_state == ParticipantState.ENROLLED and locked.enrolled_at is None:
            locked.enrolled_at = now
        if new_state == ParticipantState.WITHDRAWN:
            locked.withdrawn_at = now
            locked.withdrawal_policy = locked.study.withdrawal_policy
        locked.save()
        ParticipantEvent.objects.create(
            participant=locked,
            state=new_state,
            at=now,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            reason=reason,
        )
        record(
            actor,
            f"research.participant.{new_state}",
            locked,
            subject_user_id=locked.client.user_id,
            clinic_id=locked.client.clinic_id,
            reason=reason,
        )
    participant.refresh_from_db()
    return participant
