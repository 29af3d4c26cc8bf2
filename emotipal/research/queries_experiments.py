"""Read models of experiments: the allocation log as a statistician downloads and replays it.

The log names units by the study's pseudonyms (a client "C-…", a therapist "T-…", a clinic "C-…" of kind
clinic), never internal ids, and says who triggered each allocation by role only.
"""

from __future__ import annotations

from typing import Any

from emotipal.analysis.trials import allocation as engine
from emotipal.research import pseudonyms
from emotipal.research.actions.experiments import design_of
from emotipal.research.models import Allocation, Experiment


def unit_pseudonym(experiment: Experiment, unit_key: str) -> str:
    kind, _sep, local_id = unit_key.partition(":")
    return pseudonyms.pseudonym(experiment.study, kind, local_id)


def log_rows(experiment: Experiment) -> list[Allocation]:
    return list(experiment.allocations.select_related("arm").order_by("sequence"))


def log_entries(rows: list[Allocation]) -> list[engine.LogEntry]:
    return [
        engine.LogEntry(
            sequence=r.sequence, factors=dict(r.inputs), arm=r.arm.key, state_before=r.state_before
        )
        for r in rows
    ]


def chain_problem(rows: list[Allocation]) -> str | None:
    """Where the stored hash chain breaks (a row changed or removed behind the application's back), or None."""
    previous = ""
    for row in rows:
        if row.previous_hash != previous or row.row_hash != row.compute_hash():
            return f"allocation {row.sequence}"
        previous = row.row_hash
    return None


def allocation_log_document(experiment: Experiment) -> dict[str, Any]:
    """The downloadable log: the design with its seed, and one entry per allocation with what replays it."""
    rows = log_rows(experiment)
    document = engine.log_document(
        design_of(experiment),
        log_entries(rows),
        study=experiment.study.slug,
        experiment=experiment.slug,
        experiment_version=experiment.version,
        unit=experiment.unit,
    )
    for entry, row in zip(document["entries"], rows, strict=True):
        entry.update(
            unit=unit_pseudonym(experiment, row.unit_key),
            at=row.at.isoformat(),
            trigger=row.trigger,
            method=row.method,
            detail=row.detail,
            previous_hash=row.previous_hash,
            row_hash=row.row_hash,
        )
    return document


def replay_stored(experiment: Experiment) -> engine.Replay:
    """Replay the stored log with the engine (and check its hash chain first)."""
    rows = log_rows(experiment)
    broken = chain_problem(rows)
    if broken is not None:
        return engine.Replay(False, 0, None, None, None, f"The stored log's hash chain breaks at {broken}.")
    return engine.replay(design_of(experiment), log_entries(rows))
