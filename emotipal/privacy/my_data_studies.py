"""Research in a client's data download: each study they were invited to, their consent decisions (with the
text they decided on and the name they typed) and what happened to their participation.

Not included: the study's pseudonym for them and the shift of their dates in exports (either would undo part of
a study's de-identification), and their arm in an experiment (it would unblind the study); see
my_data_coverage.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.privacy.my_data_common import person_name
from emotipal.research.models import ConsentRecord, Participant, ParticipantEvent
from emotipal.research.models.core import ConsentScope, ParticipantState

SCOPE_LABELS = dict(ConsentScope.choices)
STATE_LABELS = dict(ParticipantState.choices)


@dataclass(frozen=True)
class ConsentRow:
    decision: str
    decision_label: str
    at: dt.datetime
    document_title: str
    document_version: int
    document_language: str
    text: str  # the consent text decided on (Markdown), as it was published
    text_hash: str  # its SHA-256, as kept with the decision
    scopes: list[str]
    scope_labels: list[str]
    typed_name: str


@dataclass(frozen=True)
class EventRow:
    state: str
    state_label: str
    at: dt.datetime
    by: str
    reason: str


@dataclass
class StudyRow:
    study: str
    summary: str
    state: str
    state_label: str
    invited_by: str
    invited_at: dt.datetime
    enrolled_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawal_policy: str
    failed_criteria: list[Any]
    consents: list[ConsentRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)


def _consent(record: ConsentRecord) -> ConsentRow:
    document = record.document
    return ConsentRow(
        decision=record.decision,
        decision_label=str(record.get_decision_display()),
        at=record.at,
        document_title=document.title,
        document_version=document.version,
        document_language=document.language,
        text=document.body_markdown,
        text_hash=record.text_hash,
        scopes=list(record.scopes),
        scope_labels=[str(SCOPE_LABELS.get(s, s)) for s in record.scopes],
        typed_name=record.typed_name,
    )


def participations(profile: ClientProfile) -> list[StudyRow]:
    found = (
        Participant.objects.filter(client=profile)
        .select_related("study", "invited_by")
        .defer("date_shift_days", "study__pseudonym_key")
        .prefetch_related(
            Prefetch("consents", ConsentRecord.objects.select_related("document").order_by("at", "pk")),
            Prefetch("events", ParticipantEvent.objects.select_related("actor").order_by("at", "pk")),
        )
        .order_by("invited_at", "pk")
    )
    rows = []
    for p in found:
        rows.append(
            StudyRow(
                study=p.study.title,
                summary=p.study.participant_summary,
                state=p.state,
                state_label=str(p.get_state_display()),
                invited_by=person_name(p.invited_by),
                invited_at=p.invited_at,
                enrolled_at=p.enrolled_at,
                withdrawn_at=p.withdrawn_at,
                withdrawal_policy=str(p.get_withdrawal_policy_display()) if p.withdrawal_policy else "",
                failed_criteria=list(p.failed_criteria or []),
                consents=[_consent(c) for c in p.consents.all()],
                events=[
                    EventRow(
                        e.state,
                        str(STATE_LABELS.get(e.state, e.state)),
                        e.at,
                        ""
                        if e.actor_id is None
                        else (_("You") if e.actor_id == profile.user_id else person_name(e.actor)),
                        e.reason,
                    )
                    for e in p.events.all()
                ],
            )
        )
    return rows
