"""A study with live data for the export tests: two consenting participants (one of them to free text), one who
withdrew under "keep" (data before the withdrawal is used, data after it is not) and one who withdrew under
"remove" (nothing of theirs but the consent events and states)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.homework import reviews, services
from emotipal.homework.models import Assignment, Entry
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument, Response
from emotipal.research import pseudonyms
from emotipal.research.actions.participants import move
from emotipal.research.models import (
    ConsentDocument,
    ConsentRecord,
    ConsentScope,
    Participant,
    ParticipantState,
    Study,
    WithdrawalPolicy,
)
from tests.factories import World, complete_thought_record, make_user, plan_for
from tests.research.study_factory import make_participant, make_study

ON_THE_WAY = (ParticipantState.SCREENED, ParticipantState.ELIGIBLE, ParticipantState.CONSENTED)


@dataclass
class ExportWorld:
    world: World
    study: Study
    free_text: Participant  # client_a: consented to data and free text
    data_only: Participant  # client_b: consented to data only
    withdrawn_keep: Participant
    withdrawn_remove: Participant
    later_entry: Entry  # the keep participant's entry after withdrawing


def phq9_answers(total: int) -> dict[str, int]:
    """Items 1-8 adding up to `total` (at most 24), item 9 (risk) always 0."""
    items = {f"phq9_{i}": 0 for i in range(1, 10)}
    for i in range(total):
        items[f"phq9_{1 + i % 8}"] += 1
    return items


def score(world: World, client: ClientProfile, total: int, days_ago: int) -> Response:
    response = measures.ask_now(world.therapist, client, Instrument.objects.get(key="phq9", clinic=None))
    measures.save_answers(client.user, response.pk, phq9_answers(total), submit=True)
    when = timezone.now() - dt.timedelta(days=days_ago)
    Response.objects.filter(pk=response.pk).update(due_date=when.date(), completed_at=when)
    return Response.objects.get(pk=response.pk)


def consent(participant: Participant, scopes: list[str], at: dt.datetime | None = None) -> ConsentRecord:
    document = ConsentDocument.objects.get(study=participant.study, version=1, language="en")
    return ConsentRecord.objects.create(
        participant=participant,
        document=document,
        text_hash=document.text_hash,
        decision="consented",
        scopes=scopes,
        typed_name=str(participant.client.user),
        at=at or timezone.now(),
    )


def enrol(world: World, study: Study, client: ClientProfile, scopes: list[str]) -> Participant:
    participant = make_participant(
        world, study, client, date_shift_days=pseudonyms.date_shift_for(study, client.pk)
    )
    for state in ON_THE_WAY:
        move(participant, state, world.researcher)
    consent(participant, scopes)
    return move(participant, ParticipantState.ENROLLED, world.researcher)


def homework(world: World, client: ClientProfile, situation: str) -> Assignment:
    """An assignment started 3 days ago, an entry 2 days ago, a session yesterday with both reviews."""
    assignment = services.assign_homework(world.therapist, client, plan_for(world.thought_record))
    answers = {**complete_thought_record(), "situation": situation}
    entry, _ = services.submit_entry(
        client.user,
        assignment.pk,
        services.Submission(answers=answers, effort=3, difficulty=2, helpfulness=3, active_seconds=600),
    )
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    Entry.objects.filter(pk=entry.pk).update(
        practice_date=timezone.localdate() - dt.timedelta(days=2),
        started_at=two_days_ago,
        last_saved_at=two_days_ago,
        submitted_at=two_days_ago,
    )
    session = reviews.record_session(world.therapist, client, timezone.localdate() - dt.timedelta(days=1))
    reviews.submit_self_review(
        client.user,
        assignment.pk,
        session.pk,
        reviews.SelfReviewInput(
            ratings={"quantity": 3, "quality": 2},
            helpfulness=3,
            what_i_did=f"I did it, and told {world.therapist.display_name} ({world.therapist.email})",
        ),
    )
    reviews.submit_therapist_review(
        world.therapist,
        assignment.pk,
        session.pk,
        {"quantity": 2, "quality": 3, "mastery": 2},
        note="Ana did well",
    )
    return assignment


def new_client(world: World, email: str, name: str) -> ClientProfile:
    return ClientProfile.objects.create(
        user=make_user(email, name), clinic=world.clinic, therapist=world.therapist
    )


def build(world: World, **study_overrides: Any) -> ExportWorld:
    study = make_study(world, **study_overrides)
    free_text = enrol(world, study, world.client_a, [ConsentScope.DATA, ConsentScope.FREE_TEXT])
    data_only = enrol(world, study, world.client_b, [ConsentScope.DATA])
    keep_client = new_client(world, "dee.keep@example.org", "Dee Keeper")
    remove_client = new_client(world, "rem.remove@example.org", "Remy Remover")
    keep = enrol(world, study, keep_client, [ConsentScope.DATA, ConsentScope.FREE_TEXT])
    remove = enrol(world, study, remove_client, [ConsentScope.DATA, ConsentScope.FREE_TEXT])
    for client in (world.client_a, world.client_b):
        homework(world, client, "Sunday evening, thinking about the meeting")
        score(world, client, 16, days_ago=14)
        score(world, client, 9, days_ago=1)
    for client in (keep_client, remove_client):
        assignment = homework(world, client, "Before I withdrew")
        score(world, client, 18, days_ago=10)
    keep = move(keep, ParticipantState.WITHDRAWN, world.researcher, reason="Moving away")
    remove = move(remove, ParticipantState.WITHDRAWN, world.researcher, reason="Does not want it used")
    Participant.objects.filter(pk=remove.pk).update(withdrawal_policy=WithdrawalPolicy.REMOVE)
    remove.refresh_from_db()
    for participant in (keep, remove):
        ConsentRecord.objects.create(
            participant=participant,
            document=ConsentDocument.objects.get(study=study, version=1, language="en"),
            text_hash=ConsentDocument.objects.get(study=study, version=1, language="en").text_hash,
            decision="withdrawn",
            scopes=[],
            at=timezone.now(),
        )
    # After withdrawing, the keep participant goes on with their care: none of this may be exported.
    assignment = Assignment.objects.filter(client=keep_client).get()
    later, _ = services.submit_entry(
        keep_client.user,
        assignment.pk,
        services.Submission(
            answers={**complete_thought_record(), "situation": "AFTER WITHDRAWAL"},
            effort=1,
            difficulty=1,
            helpfulness=1,
        ),
    )
    score(world, keep_client, 3, days_ago=0)
    return ExportWorld(world, study, free_text, data_only, keep, remove, later)
