"""The research side of the micro-randomised trial of reminders: the answer to features.reminder_decision.

The reminder path (notifications) computes whether a decision point is available and asks the trial. If the
client is an enrolled participant of a running experiment of kind "mrt", the decision point is recorded here,
once per experiment, participant and day (asking again returns the stored decision):

- available: the probability of a reminder is the experiment's (constant, or a schedule over days in
  treatment counted from the participant's enrolment day in their own zone), a uniform draw is taken and a
  reminder is sent when draw < probability;
- not available: recorded with the reason, no probability, no draw, not treated.

The draw is reproducible: HMAC-SHA256 keyed by the experiment's seed of "participant id:day", its first 53 bits
as a fraction of 2**53. Anyone with the seed (the statistician, from the experiment) can recompute every draw;
without it nobody can tell the next one. Recording is a system write, audited as research.mrt.decision; the
settlement of the proximal outcome is queued for the end of the window once the decision is committed.

A client in two running MRTs at once (two studies) is decided by the one that started first: two trials
randomising the same reminder would confound each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from django.db import IntegrityError, transaction

from emotipal.platform import clock, features
from emotipal.platform.audit.services import record
from emotipal.research.actions.experiments import mrt_probability_at
from emotipal.research.models import (
    DecisionPoint,
    Experiment,
    ExperimentKind,
    ExperimentState,
    Participant,
    ParticipantState,
)
from emotipal.research.mrt_tasks import queue_settlement

# Only enrolled participants are randomised: lost to follow-up, completed or withdrawn ones get no decisions.
MRT_STATES = (ParticipantState.ENROLLED,)


def uniform_draw(seed: int, participant_id: int, day: dt.date) -> float:
    """A uniform number in [0, 1) fixed by the experiment's seed, the participant and the day."""
    digest = hmac.new(
        str(seed).encode(), f"{participant_id}:{day.isoformat()}".encode(), hashlib.sha256
    ).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / 2.0**53


def days_in_treatment(participant: Participant, day: dt.date, moment: dt.datetime) -> int:
    """Days from the participant's enrolment day (their local date) to this decision's day; 0 on that day."""
    enrolled = participant.enrolled_at or moment
    start = clock.local_date(enrolled, clock.zone_for_client(participant.client))
    return max(0, (day - start).days)


def trial_for(client: Any) -> tuple[Experiment, Participant] | None:
    """The running MRT the client is an enrolled participant of (the first started), and the participant."""
    participant = (
        Participant.objects.filter(
            client_id=client.pk,
            state__in=MRT_STATES,
            study__experiments__kind=ExperimentKind.MRT,
            study__experiments__state=ExperimentState.RUNNING,
        )
        .select_related("client__clinic")
        .order_by("study__experiments__started_at", "study__experiments__id")
        .first()
    )
    if participant is None:
        return None
    experiment = (
        Experiment.objects.filter(
            study_id=participant.study_id, kind=ExperimentKind.MRT, state=ExperimentState.RUNNING
        )
        .order_by("started_at", "pk")
        .first()
    )
    assert experiment is not None
    return experiment, participant


def as_decision(point: DecisionPoint) -> features.ReminderDecision:
    return features.ReminderDecision(send=point.treated, probability=point.probability, decision_id=point.pk)


def decide(
    client: Any, day: dt.date, moment: dt.datetime, availability: features.Availability
) -> features.ReminderDecision | None:
    """The trial's decision at this decision point (recorded once), or None if the client is in no MRT."""
    found = trial_for(client)
    if found is None:
        return None
    experiment, participant = found
    existing = DecisionPoint.objects.filter(experiment=experiment, participant=participant, day=day).first()
    if existing is not None:
        return as_decision(existing)
    probability: float | None = None
    draw: float | None = None
    treated = False
    if availability.available:
        p = mrt_probability_at(experiment.mrt_probability, days_in_treatment(participant, day, moment))
        u = uniform_draw(experiment.seed, participant.pk, day)
        probability, draw, treated = p, u, u < p
    try:
        with transaction.atomic():
            point = DecisionPoint.objects.create(
                experiment=experiment,
                participant=participant,
                day=day,
                at=moment,
                available=availability.available,
                unavailable_reason="" if availability.available else availability.reason,
                probability=probability,
                draw=draw,
                treated=treated,
                window_minutes=experiment.mrt_window_minutes,
            )
            record(
                None,
                "research.mrt.decision",
                point,
                subject_user_id=participant.client.user_id,
                available=point.available,
                treated=point.treated,
            )
    except IntegrityError:
        # Decided at the same moment by another run: that decision stands.
        return as_decision(DecisionPoint.objects.get(experiment=experiment, participant=participant, day=day))
    if point.available:
        transaction.on_commit(lambda: queue_settlement(point))
    return as_decision(point)


def record_sent(decision_id: int, outcome: str) -> None:
    """What the reminder path did at a decision point (its reminder's outcome), stored on the point.

    Written in the reminder's transaction, whose audit row (reminder.*) records the same outcome."""
    DecisionPoint.objects.filter(pk=decision_id).update(sent=outcome[:40])
