"""Read models of the study pages and the research API: a fixed number of queries per page, whatever the size of
the study (tests/research/test_study_pages.py counts them)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery

from emotipal.accounts.models import ClientProfile
from emotipal.research.models import (
    ConsentDocument,
    Participant,
    ParticipantAllocation,
    ParticipantEvent,
    ParticipantState,
    SiteStatus,
    Study,
    StudyMember,
    StudyRole,
    StudySite,
)
from emotipal.research.pseudonyms import pseudonym


@dataclass(frozen=True)
class StudyRow:
    study: Study
    role: str
    participants: int

    @property
    def role_label(self) -> str:
        return str(StudyRole(self.role).label)


def study_rows(user: Any) -> list[StudyRow]:
    """The studies on this user's team, with their role and number of participants: one query."""
    role = StudyMember.objects.filter(study=OuterRef("pk"), user=user).values("role")[:1]
    # What recruitment_problem asks of each study, answered in the same query.
    approved = StudySite.objects.filter(study=OuterRef("pk"), status=SiteStatus.APPROVED)
    published = ConsentDocument.objects.filter(study=OuterRef("pk"), published_at__isnull=False)
    studies = (
        Study.objects.filter(members__user=user)
        .annotate(
            team_role=Subquery(role),
            n_participants=Count("participants", distinct=True),
            has_approved_site=Exists(approved),
            has_published_consent=Exists(published),
        )
        .order_by("-created_at", "-pk")
    )
    return [StudyRow(s, s.team_role, s.n_participants) for s in studies]


@dataclass(frozen=True)
class ConsentVersion:
    number: int
    published_at: dt.datetime | None
    documents: list[ConsentDocument]

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


def consent_versions(study: Study) -> list[ConsentVersion]:
    """Every version, newest first, with its documents per language: one query."""
    by_number: dict[int, list[ConsentDocument]] = {}
    for document in ConsentDocument.objects.filter(study=study).order_by("-version", "language"):
        by_number.setdefault(document.version, []).append(document)
    return [
        ConsentVersion(number, min((d.published_at for d in docs if d.published_at), default=None), docs)
        for number, docs in by_number.items()
    ]


@dataclass(frozen=True)
class StudyOverview:
    study: Study
    team: list[StudyMember]
    sites: list[StudySite]
    versions: list[ConsentVersion]
    state_counts: dict[str, int]

    @property
    def state_rows(self) -> list[tuple[str, int]]:
        return [
            (str(s.label), self.state_counts[s.value])
            for s in ParticipantState
            if self.state_counts.get(s.value)
        ]


def study_overview(study: Study) -> StudyOverview:
    team = list(StudyMember.objects.filter(study=study).select_related("user").order_by("role", "added_at"))
    sites = list(StudySite.objects.filter(study=study).select_related("clinic").order_by("clinic__name"))
    counts = dict(
        Participant.objects.filter(study=study).values_list("state").annotate(n=Count("pk")).order_by()
    )
    return StudyOverview(study, team, sites, consent_versions(study), counts)


@dataclass(frozen=True)
class EventRow:
    state: str
    label: str
    on: dt.date


@dataclass(frozen=True)
class ParticipantRow:
    """What the team sees of a participant: the study's pseudonym, the state and its dated trail; never a name."""

    pseudonym: str
    state: str
    label: str
    events: list[EventRow]
    # For the audit row of the read only (research.access.note_participant_reads); never shown.
    client: ClientProfile = field(repr=False)
    # (experiment title and version, arm name) of each experiment the participant is allocated in: for the
    # study team only (clients never see their arm).
    arms: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Flow:
    """What a CONSORT diagram needs: how many are in each state now, and how many ever reached each state."""

    now: dict[str, int]
    ever: dict[str, int]
    total: int

    def rows(self) -> list[tuple[str, str, int, int]]:
        return [
            (s.value, str(s.label), self.now.get(s.value, 0), self.ever.get(s.value, 0))
            for s in ParticipantState
        ]


def participant_arms(study: Study) -> dict[int, list[tuple[str, str]]]:
    """{participant id: [(experiment title and version, arm name)]} (one query)."""
    found: dict[int, list[tuple[str, str]]] = {}
    rows = (
        ParticipantAllocation.objects.filter(experiment__study=study)
        .order_by("experiment__created_at", "experiment_id")
        .values_list("participant_id", "experiment__title", "experiment__version", "allocation__arm__name")
    )
    for participant_id, title, version, arm in rows:
        found.setdefault(participant_id, []).append((f"{title} v{version}", arm))
    return found


def participant_rows(study: Study) -> tuple[list[ParticipantRow], Flow]:
    """The study's participants, pseudonymous, with their events: two queries."""
    events = Prefetch("events", queryset=ParticipantEvent.objects.only("participant_id", "state", "at"))
    participants = (
        Participant.objects.filter(study=study)
        .select_related("client")
        .only("pk", "state", "invited_at", "client__id", "client__user_id", "client__clinic_id")
        .prefetch_related(events)
        .order_by("invited_at", "pk")
    )
    rows: list[ParticipantRow] = []
    ever: Counter[str] = Counter()
    arms = participant_arms(study)
    for p in participants:
        trail = [EventRow(e.state, str(ParticipantState(e.state).label), e.at.date()) for e in p.events.all()]
        if not trail or trail[0].state != ParticipantState.CANDIDATE:  # the invitation opens every trail
            trail.insert(
                0,
                EventRow(
                    ParticipantState.CANDIDATE, str(ParticipantState.CANDIDATE.label), p.invited_at.date()
                ),
            )
        ever.update({e.state for e in trail})
        rows.append(
            ParticipantRow(
                pseudonym=pseudonym(study, "client", p.client_id),
                state=p.state,
                label=str(ParticipantState(p.state).label),
                events=trail,
                client=p.client,
                arms=arms.get(p.pk, []),
            )
        )
    now = Counter(r.state for r in rows)
    return rows, Flow(dict(now), dict(ever), len(rows))
