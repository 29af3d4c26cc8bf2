"""The experiments of a study in its export: allocations, the allocation log, MRT decision points, each arm as a
column of the participants table, and the CONSORT flow (a table and an SVG file per parallel experiment).

Withdrawal and consent rules are those of every other table: only the export's participants (people) appear,
a "remove" withdrawal leaves nothing, and only what happened before a "keep" withdrawal is kept. Units and
participants are named by the study's pseudonyms, days count from the participant's day 0 (the allocation
log, whose units may be clusters, counts from the experiment's start), and no internal id or real date is
written. The CONSORT flow counts every participant of the study (it is counts, not records); its reasons
never include words a person typed.

A fixed number of queries, whatever the number of participants.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from emotipal.analysis.trials import consort
from emotipal.research import consort_inputs, pseudonyms
from emotipal.research.export.data import Variable
from emotipal.research.export.homework_tables import Row
from emotipal.research.export.people import Person
from emotipal.research.models import (
    Allocation,
    DecisionPoint,
    Experiment,
    ExperimentKind,
    ExperimentState,
    Participant,
    ParticipantAllocation,
    Study,
)

ALLOCATIONS, ALLOCATION_LOG, DECISION_POINTS, CONSORT = (
    "allocations",
    "allocation_log",
    "decision_points",
    "consort",
)


def experiments_of(study: Study) -> list[Experiment]:
    """The experiments an export describes: every one that has started (drafts have allocated nobody)."""
    return list(
        Experiment.objects.filter(study=study)
        .exclude(state=ExperimentState.DRAFT)
        .prefetch_related("arms")
        .order_by("created_at", "pk")
    )


def _several_versions(experiments: Sequence[Experiment]) -> set[str]:
    slugs = [e.slug for e in experiments]
    return {s for s in slugs if slugs.count(s) > 1}


def arm_column(experiment: Experiment, versioned: bool = False) -> str:
    """`arm_<slug>` (hyphens as _), with `_v<version>` when the study has several versions of it."""
    name = "arm_" + re.sub(r"[^a-z0-9]+", "_", experiment.slug.lower()).strip("_")
    return f"{name}_v{experiment.version}" if versioned else name


def consort_file(experiment: Experiment, versioned: bool = False) -> str:
    return f"consort_{experiment.slug}" + (f"_v{experiment.version}" if versioned else "") + ".svg"


@dataclass
class ExperimentTables:
    """What the experiments add to an export."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    # Columns of the participants table: name -> its variable, and client id -> {name: arm key}.
    arm_variables: list[Variable] = field(default_factory=list)
    arms_by_client: dict[int, dict[str, str]] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)  # file name -> SVG text
    arms: list[dict[str, str]] = field(default_factory=list)  # StudyFacts.arms
    summary: list[dict[str, object]] = field(default_factory=list)  # for the manifest


def _inputs_json(inputs: dict[str, object], clinics: dict[str, str]) -> str:
    """The factor levels the method used; a site is named by the clinic's pseudonym, never its slug."""
    shown = {k: (clinics.get(str(v), "") if k == "site" else v) for k, v in sorted(inputs.items())}
    return json.dumps(shown, ensure_ascii=False, sort_keys=True)


def _unit_pseudonym(study: Study, unit_key: str, therapist: Callable[[int], str]) -> tuple[str, str]:
    kind, _sep, local_id = unit_key.partition(":")
    if kind == "therapist":
        return kind, therapist(int(local_id))
    return kind, pseudonyms.pseudonym(study, kind, local_id)


def _allocations(
    experiments: Sequence[Experiment],
    links: dict[int, dict[int, ParticipantAllocation]],
    by_participant: dict[int, Person],
    study: Study,
    therapist: Callable[[int], str],
    versioned: set[str],
    out: ExperimentTables,
) -> Iterator[Row]:
    for e in experiments:
        if e.kind != ExperimentKind.PARALLEL:
            continue
        column = arm_column(e, e.slug in versioned)
        for participant_id, pa in sorted(links[e.pk].items(), key=lambda i: (i[1].allocation.sequence, i[0])):
            p = by_participant.get(participant_id)
            if p is None or not p.keeps(pa.at):
                continue
            allocation = pa.allocation
            unit, unit_key = _unit_pseudonym(study, allocation.unit_key, therapist)
            day = p.local(pa.at)
            out.arms_by_client.setdefault(p.participant.client_id, {})[column] = allocation.arm.key
            yield {
                "experiment": e.slug,
                "experiment_version": e.version,
                "client_key": p.key,
                "unit": unit,
                "unit_key": unit_key,
                "arm": allocation.arm.key,
                "sequence": allocation.sequence,
                "allocated_day": p.day(day),
                "allocated_date_shifted": p.shifted(day),
                "method": allocation.method,
                "arm_name": allocation.arm.name,
                "allocated_days_since_enrolment": p.since_enrolment(day),
            }


def _log(
    experiments: Sequence[Experiment],
    log: dict[int, list[Allocation]],
    kept_allocations: set[int],
    study: Study,
    therapist: Callable[[int], str],
    clinics: dict[str, str],
) -> Iterator[Row]:
    for e in experiments:
        rows = log.get(e.pk, [])
        if not rows:
            continue
        started = (e.started_at or rows[0].at).astimezone(dt.UTC).date()
        for row in rows:
            if row.pk not in kept_allocations:  # no participant of the export is under it
                continue
            unit, unit_key = _unit_pseudonym(study, row.unit_key, therapist)
            yield {
                "experiment": e.slug,
                "experiment_version": e.version,
                "sequence": row.sequence,
                "unit": unit,
                "unit_key": unit_key,
                "arm": row.arm.key,
                "method": row.method,
                "trigger": row.trigger,
                "inputs": _inputs_json(dict(row.inputs or {}), clinics),
                "day": (row.at.astimezone(dt.UTC).date() - started).days,
            }


def _decision_points(
    experiments: Sequence[Experiment], points: list[DecisionPoint], by_participant: dict[int, Person]
) -> Iterator[Row]:
    slug = {e.pk: (e.slug, e.version) for e in experiments}
    index: dict[tuple[int, int], int] = {}
    for point in points:
        p = by_participant.get(point.participant_id)
        if p is None or not p.keeps(point.at) or not p.keeps_day(point.day):
            continue
        n = index.get((point.experiment_id, point.participant_id), 0)
        index[(point.experiment_id, point.participant_id)] = n + 1
        outcome_known = point.outcome_at is None or p.keeps(point.outcome_at)
        experiment, version = slug[point.experiment_id]
        yield {
            "experiment": experiment,
            "client_key": p.key,
            "decision": n,
            **p.when(point.day),
            "available": point.available,
            "unavailable_reason": point.unavailable_reason or None,
            "probability": point.probability,
            "treated": point.treated,
            "sent": point.sent or None,
            "window_minutes": point.window_minutes,
            "outcome": point.outcome if outcome_known else None,
            "experiment_version": version,
        }


def arm_variable(experiment: Experiment, column: str) -> Variable:
    return Variable(
        "clients",
        column,
        f"Arm in the experiment '{experiment.title}' (version {experiment.version})",
        "string",
        values={arm.key: arm.name for arm in experiment.arms.all()},
        note="Empty: not allocated in this experiment (or not yet). See the allocations table.",
    )


def build(
    study: Study,
    participants: Sequence[Participant],
    people: dict[int, Person],
    therapist: Callable[[int], str],
) -> ExperimentTables | None:
    """The experiment tables, or None when the study has no experiment that has started.

    `participants`: every participant of the study, events prefetched; `people`: the export's, by client id."""
    experiments = experiments_of(study)
    if not experiments:
        return None
    out = ExperimentTables()
    versioned = _several_versions(experiments)
    parallel = [e for e in experiments if e.kind == ExperimentKind.PARALLEL]
    mrt = [e for e in experiments if e.kind == ExperimentKind.MRT]
    by_participant = {p.participant.pk: p for p in people.values()}
    links = consort_inputs.allocations_of(parallel)
    log: dict[int, list[Allocation]] = {}
    for row in Allocation.objects.filter(experiment__in=parallel).select_related("arm").order_by("sequence"):
        log.setdefault(row.experiment_id, []).append(row)
    clinics = {
        c.slug: pseudonyms.pseudonym(study, "clinic", c.pk)
        for c in {p.participant.client.clinic for p in people.values()}
    }
    if parallel:
        out.rows[ALLOCATIONS] = list(
            _allocations(parallel, links, by_participant, study, therapist, versioned, out)
        )
        kept = {
            pa.allocation_id
            for e in parallel
            for participant_id, pa in links[e.pk].items()
            if participant_id in by_participant and by_participant[participant_id].keeps(pa.at)
        }
        out.rows[ALLOCATION_LOG] = list(_log(parallel, log, kept, study, therapist, clinics))
        for e in parallel:
            column = arm_column(e, e.slug in versioned)
            out.arm_variables.append(arm_variable(e, column))
            out.arms += [
                {
                    "id": f"{e.slug}.{arm.key}" + (f".v{e.version}" if e.slug in versioned else ""),
                    "name": f"{e.title}: {arm.name}",
                    "description": arm.description,
                    "experiment": e.slug,
                    "arm": arm.key,
                }
                for arm in e.arms.all()
            ]
    if mrt:
        points = list(
            DecisionPoint.objects.filter(experiment__in=mrt).order_by(
                "experiment_id", "participant_id", "day"
            )
        )
        out.rows[DECISION_POINTS] = list(_decision_points(mrt, points, by_participant))
    if parallel:
        activity = consort_inputs.activity_of(p.client_id for p in participants)
        consort_rows: list[Row] = []
        for e in parallel:
            inputs = consort_inputs.flow_inputs(participants, links[e.pk], activity, typed_reasons=False)
            flow = consort.flow(inputs, consort_inputs.arms_of(e), reasons=consort_inputs.reasons())
            name = consort_file(e, e.slug in versioned)
            out.figures[name] = consort_inputs.diagram(flow, e)
            for position, (stage, arm, n, reasons) in enumerate(consort_inputs.rows(flow), start=1):
                consort_rows.append(
                    {
                        "experiment": e.slug,
                        "experiment_version": e.version,
                        "position": position,
                        "stage": stage,
                        "arm": arm or None,
                        "n": n,
                        "reasons": reasons or None,
                    }
                )
            out.summary.append(
                {
                    "experiment": e.slug,
                    "version": e.version,
                    "kind": e.kind,
                    "state": e.state,
                    "unit": e.unit,
                    "method": e.method,
                    "randomised": flow.randomised,
                    "consort": name,
                }
            )
        out.rows[CONSORT] = consort_rows
    for e in mrt:
        out.summary.append(
            {
                "experiment": e.slug,
                "version": e.version,
                "kind": e.kind,
                "state": e.state,
                "decision_points": sum(
                    1
                    for r in out.rows.get(DECISION_POINTS, [])
                    if (r["experiment"], r["experiment_version"]) == (e.slug, e.version)
                ),
            }
        )
    return out
