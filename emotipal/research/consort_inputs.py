"""The CONSORT flow of a parallel experiment, from what the platform recorded (emotipal.analysis.trials.consort
counts and draws it).

One FlowInput per participant of the experiment's study:

- trail: their ParticipantEvent states in order, with the reason recorded. Reasons may be words a person
  typed (a withdrawal reason): `typed_reasons=False` (exports) leaves them out, and an ineligible entry then
  names only the criteria not met (the codes the participant_states table exports);
- arm: the arm of their ParticipantAllocation in this experiment (None: not randomised);
- received: any homework activity (an entry started or saved) at or after their allocation;
- has_outcome: any questionnaire completed or homework entry at or after their allocation;
- data_removed: they withdrew under the protocol's "remove" policy.

A whole study costs a fixed number of queries, whatever the number of participants or experiments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Max
from django.utils.translation import gettext as _

from emotipal.analysis.trials import consort
from emotipal.homework.models import Entry
from emotipal.measures.models import Response
from emotipal.research.consent_rules import withdrawal_policy
from emotipal.research.models import (
    Experiment,
    Participant,
    ParticipantAllocation,
    ParticipantState,
    WithdrawalPolicy,
)


def labels() -> consort.Labels:
    """The diagram's words, translated."""
    return consort.Labels(
        enrollment=_("Enrollment"),
        assessed=_("Assessed for eligibility"),
        excluded=_("Excluded"),
        not_meeting_criteria=_("Not meeting inclusion criteria"),
        declined=_("Declined to participate"),
        other=_("Other reasons"),
        randomised=_("Randomised"),
        allocation=_("Allocation"),
        allocated_to=_("Allocated to"),
        received=_("Received allocated intervention"),
        not_received=_("Did not receive allocated intervention"),
        follow_up=_("Follow-up"),
        lost=_("Lost to follow-up"),
        discontinued=_("Discontinued intervention"),
        analysis=_("Analysis"),
        analysed=_("Analysed"),
        excluded_from_analysis=_("Excluded from analysis"),
        n=_("n = {n}"),
        diagram=_("CONSORT 2010 flow diagram"),
    )


def reasons() -> consort.Reasons:
    return consort.Reasons(
        no_reason=_("no reason recorded"),
        not_yet_allocated=_("not yet allocated"),
        withdrew_before_allocation=_("withdrew before allocation"),
        lost_before_allocation=_("lost to follow-up before allocation"),
        data_removed=_("withdrew; data removed under the protocol"),
        no_outcome=_("no outcome data"),
    )


@dataclass(frozen=True)
class Activity:
    """The latest homework activity and the latest outcome record of each client, by client id."""

    homework: dict[int, dt.datetime]
    outcome: dict[int, dt.datetime]


def activity_of(client_ids: Iterable[int]) -> Activity:
    ids = list(client_ids)
    homework: dict[int, dt.datetime] = {}
    for row in (
        Entry.objects.filter(assignment__client_id__in=ids)
        .values("assignment__client_id")
        .annotate(started=Max("started_at"), saved=Max("last_saved_at"), submitted=Max("submitted_at"))
    ):
        moments = [m for m in (row["started"], row["saved"], row["submitted"]) if m is not None]
        if moments:
            homework[row["assignment__client_id"]] = max(moments)
    outcome = dict(homework)
    for response in (
        Response.objects.filter(client_id__in=ids, completed_at__isnull=False)
        .values("client_id")
        .annotate(last=Max("completed_at"))
    ):
        client, last = response["client_id"], response["last"]
        outcome[client] = max(last, outcome[client]) if client in outcome else last
    return Activity(homework, outcome)


def _criteria(participant: Participant) -> str:
    return "; ".join(
        str(f.get("criterion", "")) if isinstance(f, dict) else str(f)
        for f in participant.failed_criteria or []
    )


def trail_of(participant: Participant, *, typed_reasons: bool) -> tuple[tuple[str, str], ...]:
    """`participant.events` prefetched or not: the states in order, with the reasons a diagram may show."""
    trail = []
    for event in sorted(participant.events.all(), key=lambda e: (e.at, e.pk)):
        if typed_reasons:
            reason = event.reason or ""
        elif event.state == ParticipantState.INELIGIBLE:
            reason = _criteria(participant)
        else:
            reason = ""
        trail.append((str(event.state), reason))
    return tuple(trail)


def study_participants(experiment: Experiment) -> list[Participant]:
    return list(
        Participant.objects.filter(study_id=experiment.study_id)
        .select_related("study")
        .prefetch_related("events")
        .order_by("pk")
    )


def allocations_of(experiments: Sequence[Experiment]) -> dict[int, dict[int, ParticipantAllocation]]:
    """Experiment id -> participant id -> their allocation (with its arm)."""
    result: dict[int, dict[int, ParticipantAllocation]] = {e.pk: {} for e in experiments}
    for pa in ParticipantAllocation.objects.filter(experiment__in=list(experiments)).select_related(
        "allocation__arm"
    ):
        result[pa.experiment_id][pa.participant_id] = pa
    return result


def flow_inputs(
    participants: Sequence[Participant],
    allocations: dict[int, ParticipantAllocation],
    activity: Activity,
    *,
    typed_reasons: bool = False,
) -> list[consort.FlowInput]:
    """One FlowInput per participant (`participants` with their events prefetched and `study` selected)."""
    inputs = []
    for p in participants:
        pa = allocations.get(p.pk)
        at = pa.at if pa is not None else None
        homework, outcome = activity.homework.get(p.client_id), activity.outcome.get(p.client_id)
        received = at is not None and homework is not None and homework >= at
        inputs.append(
            consort.FlowInput(
                trail=trail_of(p, typed_reasons=typed_reasons),
                arm=pa.allocation.arm.key if pa is not None else None,
                received=received,
                not_received_reason="" if received else _("no homework activity after allocation"),
                has_outcome=at is not None and outcome is not None and outcome >= at,
                data_removed=p.state == ParticipantState.WITHDRAWN
                and withdrawal_policy(p) == WithdrawalPolicy.REMOVE,
            )
        )
    return inputs


def arms_of(experiment: Experiment) -> list[tuple[str, str]]:
    return [(arm.key, arm.name) for arm in experiment.arms.all()]


def experiment_flow(experiment: Experiment, *, typed_reasons: bool = False) -> consort.Flow:
    """The CONSORT counts of one parallel experiment (the experiment page's and the export's)."""
    participants = study_participants(experiment)
    inputs = flow_inputs(
        participants,
        allocations_of([experiment])[experiment.pk],
        activity_of(p.client_id for p in participants),
        typed_reasons=typed_reasons,
    )
    return consort.flow(inputs, arms_of(experiment), reasons=reasons())


def title_of(experiment: Experiment) -> str:
    return _("%(title)s (version %(version)s)") % {"title": experiment.title, "version": experiment.version}


def diagram(flow: consort.Flow, experiment: Experiment) -> str:
    """The flow as an SVG document, in the current language."""
    return consort.svg(flow, labels(), title=title_of(experiment))


def rows(flow: consort.Flow) -> list[tuple[str, str, int, str]]:
    """The same numbers as a table: (stage, arm, n, reasons)."""
    return consort.table(flow, labels())
