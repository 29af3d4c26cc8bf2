"""A client with homework, a draft, a questionnaire, reminders and (optionally) a study: what the erasure and
retention tests erase."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from emotipal.homework.models import Entry
from emotipal.notifications.models import ReminderPreference
from emotipal.research.actions.participants import move
from emotipal.research.models import Participant, ParticipantState, Study
from tests.factories import World, complete_thought_record, plan_for
from tests.research.consent_helpers import answer, signed
from tests.research.study_factory import make_study


def give_history(world: World, client: ClientProfile) -> Entry:
    """Two sent entries (practised on the two days before today) and a draft of the thought record, a PHQ-9,
    and a reminder preference."""
    assignment = services.assign_homework(world.therapist, client, plan_for(world.thought_record))
    sent = None
    for k in range(2):
        sent, _ = services.submit_entry(
            client.user,
            assignment.pk,
            services.Submission(
                complete_thought_record(),
                2,
                2,
                3,
                idempotency_key=f"k{k}",
                practice_date=timezone.localdate() - dt.timedelta(days=k + 1),
            ),
        )
    services.save_draft(client.user, assignment.pk, {"situation": "Half-written draft about the bus"})
    answer(world, client, "phq9", 1)
    ReminderPreference.objects.create(client=client)
    assert sent is not None
    return sent


def enrolled(
    world: World, client: ClientProfile, scopes: tuple[str, ...] = ("data",), **study: Any
) -> Participant:
    """`client` signed the study's consent with `scopes` and is enrolled."""
    made: Study = make_study(world, **study)
    participant, _ = signed(world, made, client, scopes)
    if participant.state != ParticipantState.ENROLLED:
        move(participant, ParticipantState.ENROLLED, world.therapist)
        participant.refresh_from_db()
    assert participant.state == ParticipantState.ENROLLED
    return participant
