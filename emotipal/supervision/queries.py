"""Supervision's read models: a supervisee's figures (aggregated over their clients, never per client), the
agreement between raters, and the clinic's competence-engagement analysis. A fixed number of queries per
page, however many supervisees or clients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Count

from emotipal.accounts.models import ClientProfile, Clinic, SupervisionLink, User
from emotipal.analysis import agreement, competence_engagement
from emotipal.analysis.outcomes import GAD7_RELIABLE_CHANGE, PHQ9_RELIABLE_CHANGE
from emotipal.definitions.competence import PHASES
from emotipal.homework import compliance
from emotipal.homework.competence import CompetenceRecord, records_for_clients
from emotipal.measures.models import Response
from emotipal.supervision import access
from emotipal.supervision.models import ObserverRating

OUTCOME_MEASURES = {"phq9": PHQ9_RELIABLE_CHANGE, "gad7": GAD7_RELIABLE_CHANGE}
OVERALL = "overall"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


@dataclass
class SuperviseeRow:
    link: SupervisionLink
    clients: int
    ratings: int


def supervisee_rows(supervisor: Any) -> list[SuperviseeRow]:
    """The supervisor's current supervisees with their client and rating counts: three queries."""
    links = list(open_links_with_therapist(supervisor))
    therapist_ids = [link.therapist_id for link in links]
    clients = {
        (row["therapist_id"], row["clinic_id"]): row["n"]
        for row in ClientProfile.objects.filter(therapist_id__in=therapist_ids)
        .values("therapist_id", "clinic_id")
        .annotate(n=Count("pk"))
    }
    ratings = {
        row["therapist_id"]: row["n"]
        for row in ObserverRating.objects.filter(therapist_id__in=therapist_ids, rater=supervisor)
        .values("therapist_id")
        .annotate(n=Count("pk"))
    }
    return [
        SuperviseeRow(
            link, clients.get((link.therapist_id, link.clinic_id), 0), ratings.get(link.therapist_id, 0)
        )
        for link in links
    ]


def open_links_with_therapist(supervisor: Any) -> Iterable[SupervisionLink]:
    return (
        access.open_links(supervisor)
        .select_related("therapist", "clinic")
        .order_by("therapist__display_name", "pk")
    )


@dataclass
class PeriodCompetence:
    month: dt.date
    assignments: int
    shares: dict[str, float | None]  # phase -> share of applicable steps done (pooled over the month)


@dataclass
class PeriodEngagement:
    month: dt.date
    planned: int
    done: int

    @property
    def share(self) -> float | None:
        return self.done / self.planned if self.planned else None


@dataclass
class OutcomeSummary:
    measure: str  # "phq9" / "gad7"
    clients: int  # clients with a first and a later score
    mean_change: float | None  # latest minus first, mean over clients (negative: fewer symptoms)
    improved: int  # reliably improved
    deteriorated: int  # reliably deteriorated


@dataclass
class SuperviseeFigures:
    clients: int
    competence: list[PeriodCompetence]
    engagement: list[PeriodEngagement]
    outcomes: list[OutcomeSummary]
    per_assignment: pd.DataFrame = field(repr=False)


def competence_by_month(records: Iterable[CompetenceRecord]) -> list[PeriodCompetence]:
    """Per month: steps done / applicable steps per phase, pooled over the month's assignments."""
    done: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    applicable: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[dt.date, int] = defaultdict(int)
    for record in records:
        month = month_of(record.day)
        counts[month] += record.assignment_id is not None  # homework set; review-only sessions add no count
        for phase, score in record.scores.items():
            done[month][phase] += score.done
            applicable[month][phase] += score.applicable
    return [
        PeriodCompetence(
            month,
            counts[month],
            {p: (done[month][p] / applicable[month][p] if applicable[month][p] else None) for p in PHASES},
        )
        for month in sorted(counts)
    ]


def _engagement(clients: list[ClientProfile]) -> tuple[list[PeriodEngagement], dict[int, tuple[int, int]]]:
    """Planned practices done, per month over all the clients, and per assignment (planned, done)."""
    by_month: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    per_assignment: dict[int, tuple[int, int]] = {}
    for rec in compliance.gather(clients).values():
        submitted = {(a.assignment_id, a.day) for a in rec.attempts if a.submitted}
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for practice in rec.planned:
            hit = (practice.assignment_id, practice.day) in submitted
            month = by_month[month_of(practice.day)]
            month[0] += 1
            month[1] += hit
            counts[practice.assignment_id][0] += 1
            counts[practice.assignment_id][1] += hit
        per_assignment.update({a_id: (c[0], c[1]) for a_id, c in counts.items()})
    return [PeriodEngagement(m, v[0], v[1]) for m, v in sorted(by_month.items())], per_assignment


def _outcomes(client_ids: list[int]) -> list[OutcomeSummary]:
    """First and latest PHQ-9 / GAD-7 total per client, summarised over the clients (one query)."""
    series: dict[tuple[str, int], list[float]] = defaultdict(list)
    responses = (
        Response.objects.filter(
            client_id__in=client_ids,
            status=Response.Status.COMPLETED,
            instrument_version__instrument__key__in=list(OUTCOME_MEASURES),
        )
        .select_related("instrument_version__instrument")
        .order_by("completed_at", "pk")
    )
    for response in responses:
        if response.total is not None:
            series[(response.instrument_version.instrument.key, response.client_id)].append(
                float(response.total)
            )
    summaries = []
    for measure, threshold in OUTCOME_MEASURES.items():
        changes = [
            values[-1] - values[0]
            for (key, _), values in series.items()
            if key == measure and len(values) > 1
        ]
        summaries.append(
            OutcomeSummary(
                measure,
                len(changes),
                sum(changes) / len(changes) if changes else None,
                sum(1 for c in changes if c <= -threshold),
                sum(1 for c in changes if c >= threshold),
            )
        )
    return summaries


def _per_assignment(records: list[CompetenceRecord], engagement: dict[int, tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for record in records:
        if record.assignment_id is None:  # a review-only session: no homework of its own to engage with
            continue
        planned, done = engagement.get(record.assignment_id, (0, 0))
        scores = record.scores
        rows.append(
            {
                "assignment_id": record.assignment_id,
                "therapist_id": record.therapist_id,
                "client_id": record.client_id,
                **{phase: scores[phase].share for phase in PHASES},
                "engagement": done / planned if planned else None,
            }
        )
    columns = ["assignment_id", "therapist_id", "client_id", *PHASES, "engagement"]
    return pd.DataFrame(rows, columns=columns)


def figures_for(clients: list[ClientProfile], therapist_ids: set[int]) -> SuperviseeFigures:
    """The figures of these clients' homework as set by these therapists (a fixed number of queries)."""
    ids = [c.pk for c in clients]
    records = [r for r in records_for_clients(ids) if r.therapist_id in therapist_ids]
    engagement, per_assignment = _engagement(clients)
    return SuperviseeFigures(
        clients=len(clients),
        competence=competence_by_month(records),
        engagement=engagement,
        outcomes=_outcomes(ids),
        per_assignment=_per_assignment(records, per_assignment),
    )


def supervisee_figures(link: SupervisionLink) -> SuperviseeFigures:
    clients = list(
        ClientProfile.objects.filter(therapist=link.therapist, clinic=link.clinic).select_related("user")
    )
    return figures_for(clients, {link.therapist_id})


def clinic_figures(clinic: Clinic) -> SuperviseeFigures:
    clients = list(ClientProfile.objects.filter(clinic=clinic).select_related("user"))
    therapists = set(access.members_of(clinic, "therapist").values_list("pk", flat=True))
    return figures_for(clients, therapists)


def competence_engagement_fit(
    figures: SuperviseeFigures,
) -> competence_engagement.Fit | competence_engagement.NoFit:
    return competence_engagement.fit(figures.per_assignment)


@dataclass
class PhaseAgreement:
    phase: str  # a phase, or OVERALL (the sum of the three)
    result: agreement.Agreement | None
    reason: str = ""


@dataclass
class AgreementSummary:
    works_rated_twice: int
    phases: list[PhaseAgreement]


def agreement_of(ratings: Iterable[ObserverRating]) -> AgreementSummary:
    """ICC per phase and overall over the pieces of work rated by two (the first two) raters."""
    by_work: dict[tuple[str, int], list[ObserverRating]] = defaultdict(list)
    for rating in sorted(ratings, key=lambda r: (r.created_at, r.pk)):
        by_work[rating.work_key].append(rating)
    pairs = [r[:2] for r in by_work.values() if len(r) >= 2]
    phases = []
    for phase in (*PHASES, OVERALL):
        matrix = [[_value(r, phase) for r in pair] for pair in pairs]
        try:
            phases.append(PhaseAgreement(phase, agreement.icc(matrix)))
        except agreement.NotEnoughRatings as exc:
            reason = "no variation" if "variation" in str(exc) else "not enough"
            phases.append(PhaseAgreement(phase, None, reason))
    return AgreementSummary(len(pairs), phases)


def _value(rating: ObserverRating, phase: str) -> float:
    if phase == OVERALL:
        return float(sum(rating.score(p) for p in PHASES))
    return float(rating.score(phase))


def ratings_of_therapist(link: SupervisionLink) -> list[ObserverRating]:
    return list(ObserverRating.objects.filter(therapist=link.therapist, clinic=link.clinic))


def ratings_of_clinic(clinic: Clinic) -> list[ObserverRating]:
    return list(ObserverRating.objects.filter(clinic=clinic))


def ratable_work_of(link: SupervisionLink) -> tuple[list[Any], list[Any]]:
    """The supervisee's recent assignments and sessions to choose from on the observer form (labels carry no
    client name: the work is named by its date and exercise)."""
    from emotipal.homework.models import Assignment, TherapySession

    assignments = list(
        Assignment.objects.filter(assigned_by=link.therapist, client__clinic=link.clinic)
        .select_related("template_version")
        .order_by("-created_at")[:50]
    )
    sessions = list(
        TherapySession.objects.filter(therapist=link.therapist, client__clinic=link.clinic).order_by("-date")[
            :50
        ]
    )
    return assignments, sessions


def supervisors_and_therapists(clinic: Clinic) -> tuple[list[User], list[User], list[SupervisionLink]]:
    from emotipal.accounts.models import Role

    links = list(
        SupervisionLink.objects.filter(clinic=clinic, ended_at__isnull=True)
        .select_related("supervisor", "therapist")
        .order_by("supervisor__display_name", "therapist__display_name")
    )
    return (
        list(access.members_of(clinic, Role.SUPERVISOR).order_by("display_name", "email")),
        list(access.members_of(clinic, Role.THERAPIST).order_by("display_name", "email")),
        links,
    )
