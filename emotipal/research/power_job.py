"""Computing one queued power-by-simulation run of an experiment (the background task's work)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from emotipal.analysis.meta.errors import MetaInputError
from emotipal.analysis.trials.power import power_by_simulation
from emotipal.platform import clock
from emotipal.research.models import Experiment


@dataclass(frozen=True)
class PowerRequest:
    outcome: str
    effect: float
    n_clients: int
    n_trials: int = 200
    weeks: int = 12
    alpha: float = 0.05


def compute(experiment_id: int, index: int) -> str:
    """Run one queued power request and store its result (or why it could not be computed)."""
    experiment = Experiment.objects.filter(pk=experiment_id).first()
    if experiment is None or index >= len(experiment.power_runs or []):
        return "missing"
    run = experiment.power_runs[index]
    if run.get("status") != "queued":
        return str(run.get("status"))
    req = PowerRequest(**run["request"])
    arms = [(a.key, a.ratio) for a in experiment.arms.all()]
    outcome: dict[str, Any]
    try:
        result = power_by_simulation(
            outcome=req.outcome,
            effect=req.effect,
            n_clients=req.n_clients,
            arms=arms,
            unit=experiment.unit,
            weeks=req.weeks,
            n_trials=req.n_trials,
            alpha=req.alpha,
            seed=experiment.seed % 2**32 + index,
        )
    except (MetaInputError, ValueError) as exc:
        outcome = {"status": "failed", "message": str(exc)[:300]}
    else:
        outcome = {"status": "done", "result": {**asdict(result), "n_per_arm": list(result.n_per_arm)}}
    with transaction.atomic():
        locked = Experiment.objects.select_for_update().get(pk=experiment_id)
        runs = list(locked.power_runs)
        runs[index] = {**runs[index], **outcome, "finished_at": clock.now().isoformat()}
        locked.power_runs = runs
        locked.save(update_fields=["power_runs"])
    return str(outcome["status"])
