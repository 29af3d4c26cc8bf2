"""The research side of the micro-randomised trial of reminders: the answer to features.reminder_decisions.

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
from emotipal.platform.audit.models import AuditEvent
from emotipal.platform.audit.services import event_for, record_each
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
    return trials_for([client.pk]).get(client.pk)


def trials_for(client_ids: list[int]) -> dict[int, tuple[Experiment, Participant]]:
    """trial_for of many clients in two queries (clients in no running MRT left out)."""
    participants: dict[int, Participant] = {}
    rows = (
        Participant.objects.filter(
            client_id__in=client_ids,
            state__in=MRT_STATES,
            study__experiments__kind=ExperimentKind.MRT,
            study__experiments__state=ExperimentState.RUNNING,
        )
        .select_related("client__clinic")
        .order_by("study__experiments__started_at", "study__experiments__id")
    )
    for participant in rows:  # the first row of each client is its first-started trial
        participants.setdefault(participant.client_id, participant)
    if not participants:
        return {}
    experiments: dict[int, Experiment] = {}
    running = Experiment.objects.filter(
        study_id__in={p.study_id for p in participants.values()},
        kind=ExperimentKind.MRT,
        state=ExperimentState.RUNNING,
    ).order_by("started_at", "pk")
    for experiment in running:
        experiments.setdefault(experiment.study_id, experiment)
    return {client_id: (experiments[p.study_id], p) for client_id, p in participants.items()}


def as_decision(point: DecisionPoint) -> features.ReminderDecision:
    return features.ReminderDecision(send=point.treated, probability=point.probability, decision_id=point.pk)


def decide(
    client: Any, day: dt.date, moment: dt.datetime, availability: features.Availability
) -> features.ReminderDecision | None:
    """The trial's decision at this decision point (recorded once), or None if the client is in no MRT."""
    return decide_many([features.DecisionAsk(client, day, moment, availability)])[0]


# A decision point's identity: experiment id, participant id, day.
Key = tuple[int, int, dt.date]


def decide_many(asks: list[features.DecisionAsk]) -> list[features.ReminderDecision | None]:
    """`decide` for many decision points at once, in a few queries whatever their number: the same
    randomisation, the same stored rows and audit rows as deciding them one at a time (an ask whose point
    is recorded already, by an earlier run or earlier in `asks`, gets the stored decision)."""
    trials = trials_for(list({ask.client.pk for ask in asks}))
    keyed = [(ask, _key(trials.get(ask.client.pk), ask.day)) for ask in asks]
    wanted = {key for _ask, key in keyed if key is not None}
    points = _stored(wanted)
    new: dict[Key, DecisionPoint] = {}
    for ask, key in keyed:
        if key is not None and key not in points and key not in new:
            experiment, participant = trials[ask.client.pk]
            new[key] = _point(experiment, participant, ask)
    points.update(_create(list(new.values())))
    return [None if key is None else as_decision(points[key]) for _ask, key in keyed]


def _key(trial: tuple[Experiment, Participant] | None, day: dt.date) -> Key | None:
    return None if trial is None else (trial[0].pk, trial[1].pk, day)


def _stored(keys: set[Key]) -> dict[Key, DecisionPoint]:
    """The decision points already recorded among `keys` (one query)."""
    if not keys:
        return {}
    found = DecisionPoint.objects.filter(
        experiment_id__in={k[0] for k in keys},
        participant_id__in={k[1] for k in keys},
        day__in={k[2] for k in keys},
    )
    points = {(p.experiment_id, p.participant_id, p.day): p for p in found}
    return {key: point for key, point in points.items() if key in keys}


def _point(experiment: Experiment, participant: Participant, ask: features.DecisionAsk) -> DecisionPoint:
    """The decision point to record (not saved): available, the draw against the probability of its day."""
    probability: float | None = None
    draw: float | None = None
    treated = False
    if ask.availability.available:
        p = mrt_probability_at(
            experiment.mrt_probability, days_in_treatment(participant, ask.day, ask.moment)
        )
        u = uniform_draw(experiment.seed, participant.pk, ask.day)
        probability, draw, treated = p, u, u < p
    return DecisionPoint(
        experiment=experiment,
        participant=participant,
        day=ask.day,
        at=ask.moment,
        available=ask.availability.available,
        unavailable_reason="" if ask.availability.available else ask.availability.reason,
        probability=probability,
        draw=draw,
        treated=treated,
        window_minutes=experiment.mrt_window_minutes,
    )


def _create(points: list[DecisionPoint]) -> dict[Key, DecisionPoint]:
    """Record new decision points with their audit rows (an INSERT each for all of them), and queue the
    available ones' settlement for after the commit.

    Another run may record one of them at the same moment: then the whole insert is undone and each point
    is recorded on its own, where the one recorded first stands (as deciding one at a time does)."""
    if not points:
        return {}
    try:
        with transaction.atomic():
            DecisionPoint.objects.bulk_create(points)
            record_each(_audit_row(point) for point in points)
    except IntegrityError:
        for point in points:  # a batch that got in before the failing one was undone with it
            point.pk, point._state.adding = None, True
        points = [_create_one(point) for point in points]
    else:
        for point in points:
            _settle_later(point)
    return {(p.experiment_id, p.participant_id, p.day): p for p in points}


def _create_one(point: DecisionPoint) -> DecisionPoint:
    try:
        with transaction.atomic():
            point.save(force_insert=True)
            record_each([_audit_row(point)])
    except IntegrityError:
        # Decided at the same moment by another run: that decision stands.
        return DecisionPoint.objects.get(
            experiment_id=point.experiment_id, participant_id=point.participant_id, day=point.day
        )
    _settle_later(point)
    return point


def _audit_row(point: DecisionPoint) -> AuditEvent:
    return event_for(
        None,
        "research.mrt.decision",
        point,
        subject_user_id=point.participant.client.user_id,
        available=point.available,
        treated=point.treated,
    )


def _settle_later(point: DecisionPoint) -> None:
    if point.available:
        transaction.on_commit(lambda: queue_settlement(point))


def record_sent(decision_id: int, outcome: str) -> None:
    """What the reminder path did at a decision point (its reminder's outcome), stored on the point."""
    record_sent_many([(decision_id, outcome)])


def record_sent_many(done: list[tuple[int, str]]) -> None:
    """record_sent of many points: one UPDATE per outcome (a batch of reminders has a few outcomes at most).

    Written in the reminders' transaction, whose audit rows (reminder.*) record the same outcomes."""
    by_outcome: dict[str, list[int]] = {}
    for decision_id, outcome in done:
        by_outcome.setdefault(outcome[:40], []).append(decision_id)
    for outcome, ids in by_outcome.items():
        DecisionPoint.objects.filter(pk__in=ids).update(sent=outcome)
