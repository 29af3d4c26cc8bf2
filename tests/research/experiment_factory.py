"""Experiments for tests: a running experiment with arms, and a participant placed in an arm.

`place_in_arm` writes the allocation rows directly, as the allocation action would after its method chose
the arm: tests of what an arm changes in the app need a participant in a known arm, not a random one. Tests of
the allocation itself go through emotipal.research.actions.experiments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

from emotipal.research.models import (
    Allocation,
    Arm,
    Experiment,
    ExperimentKind,
    ExperimentState,
    Participant,
    ParticipantAllocation,
    ParticipantState,
    Study,
)


def make_experiment(
    study: Study,
    arms: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]] = (
        ("on", {"reminders": {"enabled": True}}),
        ("off", {"reminders": {"enabled": False}}),
    ),
    *,
    slug: str = "reminders",
    kind: str = ExperimentKind.PARALLEL,
    state: str = ExperimentState.RUNNING,
    **overrides: Any,
) -> Experiment:
    experiment = Experiment.objects.create(
        study=study,
        slug=slug,
        title=overrides.pop("title", "Reminders on or off"),
        kind=kind,
        state=state,
        started_at=timezone.now() if state != ExperimentState.DRAFT else None,
        created_by=study.principal_investigator,
        **overrides,
    )
    for position, (key, features) in enumerate(arms):
        Arm.objects.create(
            experiment=experiment, key=key, name=key.capitalize(), position=position, features=dict(features)
        )
    return experiment


def enrol(participant: Participant) -> Participant:
    participant.state = ParticipantState.ENROLLED
    participant.enrolled_at = participant.enrolled_at or timezone.now()
    participant.save(update_fields=["state", "enrolled_at"])
    return participant


def place_in_arm(experiment: Experiment, participant: Participant, arm_key: str) -> ParticipantAllocation:
    enrol(participant)
    last = experiment.allocations.order_by("-sequence").first()
    allocation = Allocation(
        experiment=experiment,
        sequence=(last.sequence if last else 0) + 1,
        unit_key=f"client:{participant.client_id}",
        arm=experiment.arms.get(key=arm_key),
        method=experiment.method,
        trigger="test",
        at=timezone.now(),
        previous_hash=last.row_hash if last else "",
    )
    allocation.save()
    return ParticipantAllocation.objects.create(
        experiment=experiment, participant=participant, allocation=allocation, at=timezone.now()
    )
