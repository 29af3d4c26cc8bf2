"""Shared steps of the consent and enrollment tests: a scored questionnaire, and a client who signed."""

from __future__ import annotations

from typing import Any

from emotipal.measures.models import Instrument, Response
from emotipal.measures.services import ask_now, save_answers
from emotipal.research.actions import consent
from emotipal.research.actions.enrollment import invite
from emotipal.research.models import ConsentRecord, Participant, Study
from emotipal.research.queries_consent import document_for
from tests.factories import World


def answer(world: World, client: Any, key: str, per_item: int) -> Response:
    """Client `client` completes instrument `key` with every item answered `per_item` (item 9 of the PHQ-9 is
    answered 0, so no risk alert distracts the test)."""
    instrument = Instrument.objects.get(key=key, clinic=None)
    response = ask_now(world.therapist, client, instrument)
    items = [i["id"] for i in response.instrument_version.definition["items"] if i["id"][-1].isdigit()]
    answers = {item: (0 if item == "phq9_9" else per_item) for item in items}
    save_answers(client.user, response.pk, answers, submit=True)
    response.refresh_from_db()
    return response


def invited(world: World, study: Study, client: Any = None) -> Participant:
    return invite(world.therapist, study, client or world.client_a)


def signed(
    world: World, study: Study, client: Any = None, scopes: tuple[str, ...] = ("data",)
) -> tuple[Participant, ConsentRecord]:
    client = client or world.client_a
    participant = invited(world, study, client)
    document = document_for(study, client.user.language)
    assert document is not None
    record = consent.sign(client.user, participant, document.pk, list(scopes), client.user.display_name)
    participant.refresh_from_db()
    return participant, record
