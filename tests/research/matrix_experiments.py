"""What the permission matrix needs of experiments (tests/test_permission_matrix.py): on the matrix study, a
running experiment with client A enrolled and not allocated, a stopped one with client A allocated, and a
draft. Made once; later calls return the same ones."""

from __future__ import annotations

from dataclasses import dataclass

from emotipal.research.models import Experiment, ExperimentState, Participant, Study
from tests.research.experiment_factory import enrol, make_experiment, place_in_arm


@dataclass(frozen=True)
class MatrixExperiments:
    running: Experiment
    stopped: Experiment
    draft: Experiment


def _one(study: Study, slug: str, state: str) -> Experiment:
    return Experiment.objects.filter(study=study, slug=slug, version=1).first() or make_experiment(
        study, slug=slug, state=state, title=f"Matrix {slug}"
    )


def matrix_experiments(study: Study, participant: Participant) -> MatrixExperiments:
    enrol(participant)
    running = _one(study, "matrix-running", ExperimentState.RUNNING)
    stopped = _one(study, "matrix-stopped", ExperimentState.RUNNING)
    if not stopped.participant_allocations.exists():
        place_in_arm(stopped, participant, "on")
        Experiment.objects.filter(pk=stopped.pk).update(state=ExperimentState.STOPPED)
        stopped.refresh_from_db()
    draft = _one(study, "matrix-draft", ExperimentState.DRAFT)
    return MatrixExperiments(running, stopped, draft)
