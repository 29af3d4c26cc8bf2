"""Power by simulation for an experiment's design, asked for by its team and computed by a background task.

The request is checked here and appended to the experiment's `power_runs` with status "queued"; the task
(research/experiment_tasks.py) runs emotipal.analysis.trials.power.power_by_simulation with the experiment's
arms, ratios and unit and writes the result into the same entry. The number of simulated trials is part of the
request and of the result, so the page always says how many trials the power rests on.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from emotipal.analysis.trials.power import SIMULATED_OUTCOMES
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.research.errors import ResearchError
from emotipal.research.experiment_tasks import run_power
from emotipal.research.models import Experiment, ExperimentKind
from emotipal.research.power_job import PowerRequest

MAX_CLIENTS = 2000
MAX_TRIALS = 1000
MIN_TRIALS = 20


def check_request(experiment: Experiment, req: PowerRequest) -> None:
    if experiment.kind != ExperimentKind.PARALLEL:
        raise ResearchError(_("Power by simulation is for experiments with arms."))
    if req.outcome not in SIMULATED_OUTCOMES:
        raise ResearchError(
            _("The simulator cannot produce %(outcome)s; choose one of: %(known)s.")
            % {"outcome": req.outcome, "known": ", ".join(SIMULATED_OUTCOMES)}
        )
    if not math.isfinite(req.effect) or req.effect == 0 or abs(req.effect) > 50:
        raise ResearchError(_("Give the effect to detect as a number other than 0 (at most 50 in size)."))
    if not 4 <= req.n_clients <= MAX_CLIENTS:
        raise ResearchError(
            _("The sample size must be between 4 and %(max)d clients.") % {"max": MAX_CLIENTS}
        )
    if not MIN_TRIALS <= req.n_trials <= MAX_TRIALS:
        raise ResearchError(
            _("Simulate between %(min)d and %(max)d trials.") % {"min": MIN_TRIALS, "max": MAX_TRIALS}
        )
    if not 2 <= req.weeks <= 52:
        raise ResearchError(_("The trial must last between 2 and 52 weeks."))
    if not 0 < req.alpha < 0.5:
        raise ResearchError(_("The significance level must be between 0 and 0.5."))


def request_power(actor: Any, experiment: Experiment, req: PowerRequest) -> int:
    """Queue a power run; returns its index in experiment.power_runs."""
    check_request(experiment, req)
    if experiment.arms.count() < 2:
        raise ResearchError(_("An experiment needs at least two arms."))
    with transaction.atomic():
        locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
        runs = list(locked.power_runs or [])
        runs.append({"request": asdict(req), "status": "queued", "requested_at": clock.now().isoformat()})
        locked.power_runs = runs
        locked.save(update_fields=["power_runs"])
        record(actor, "research.experiment.power_requested", locked, outcome=req.outcome)
        index = len(runs) - 1
        transaction.on_commit(lambda: run_power.enqueue(locked.pk, index))
    return index
