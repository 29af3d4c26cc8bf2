"""Power of a trial design by simulation: simulate the trial many times, analyse each, count the successes.

Each simulated trial is a clinic from :func:`emotipal.analysis.simulate.simulate_clinic` with an
:class:`~emotipal.analysis.simulate.ArmDesign`: the same data-generating model as ``emotipal simulate
--arms``, so `effect` means what it means there:

* for an **engagement outcome** (a figure of :mod:`emotipal.analysis.compliance.figures`, e.g.
  ``objective_percentage``) it is the shift of the engagement latent on the probit scale;
* for **phq9_change** and **phq9_weekly** it is the PHQ-9 points added to the true improvement over the
  course (the weekly slope differs by effect / (weeks - 1));

and it applies to every arm after the first (the reference). Each trial is analysed as a real one would
be (:func:`~emotipal.analysis.trials.trial_report.client_outcomes` and
:func:`~emotipal.analysis.trials.arm_effects.compare_arms`, ANCOVA on the baseline for the change,
cluster-robust when therapists or clinics are randomised; :func:`time_by_arm` for phq9_weekly), and a trial
succeeds when the comparison of the second arm with the reference has p < alpha. The power is the share of
successes, with a Wilson interval for the Monte Carlo error of `n_trials` trials.

For speed each trial is simulated without answer texts and without the records around the homework that
the outcome does not need (reviews and ratings are simulated only for rating outcomes), and is analysed in
memory rather than through CSV files. The simulated clinic's correlation of compliance and improvement
(``true_r``) is set to 0: it changes neither outcome's distribution in either arm, so not the power either.
The usual missingness of the simulator applies (skipped questionnaires, none after an early discharge).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from emotipal.analysis.compliance.dataset import AnalysisInputError, ClientData, Dataset
from emotipal.analysis.compliance.figures import FIGURE_BY_NAME
from emotipal.analysis.simulate import ArmDesign, SimClinic, planned_practice_days, simulate_clinic

from .arm_effects import compare_arms, time_by_arm
from .trial_report import client_outcomes, weekly_scores

POWER_TEMPLATES = {"trial": [{"id": "note", "type": "short_text", "label": "Note", "required": True}]}
OBJECTIVE = ("objective_percentage", "objective_count")  # figures needing no reviews or ratings
SIMULATED_OUTCOMES = (*FIGURE_BY_NAME, "phq9_change", "phq9_weekly")
THERAPISTS_PER_CLINIC = 2
MIN_CLUSTERS = 3


@dataclass(frozen=True)
class PowerResult:
    power: float
    ci_low: float  # Wilson 95% interval for the Monte Carlo error
    ci_high: float
    n_trials: int
    n_per_arm: tuple[int, ...]  # clients per arm (the expected numbers under the allocation ratios)
    effect: float
    outcome: str
    unit: str
    alpha: float
    seconds: float
    n_failed: int = 0  # trials whose analysis failed (e.g. an arm without the outcome): counted as no success
    note: str = ""


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def clinic_dataset(clinic: SimClinic) -> Dataset:
    """The simulated clinic as :func:`~emotipal.analysis.compliance.dataset.load_dataset` would read it."""
    clients = {
        c.key: ClientData(
            c.key,
            c.therapist_key,
            discharged_week=None if c.discharged_day is None else c.discharged_day // 7,
        )
        for c in clinic.clients
    }
    for s in clinic.scores:
        clients[s.client_key].scores[s.week] = float(s.phq9)
    owner: dict[str, ClientData] = {}
    for a in clinic.assignments:
        client = owner[a.key] = clients[a.client_key]
        days = planned_practice_days(a)
        client.planned_days.extend(days)
        client.planned_by_assignment[a.key] = client.planned_by_assignment.get(a.key, 0) + len(days)
    for e in clinic.entries:
        if e.submitted:
            client = owner[e.assignment_key]
            client.submitted_days.append(e.day)
            client.submitted_by_assignment[e.assignment_key] = (
                client.submitted_by_assignment.get(e.assignment_key, 0) + 1
            )
    for r in clinic.self_reviews:
        clients[r.client_key].self_quantity.setdefault((r.assignment_key, r.session_key), []).append(
            float(r.ratings["quantity"])
        )
    for t in clinic.therapist_reviews:
        client = owner[t.assignment_key]
        client.therapist_quantity.setdefault((t.assignment_key, t.session_key), []).append(
            float(t.ratings["quantity"])
        )
        client.therapist_mastery.append(float(t.ratings["mastery"]))
        client.therapist_mastery_days.append((t.day, float(t.ratings["mastery"])))
    for rr in clinic.retro_ratings:
        clients[rr.client_key].retro_quantity.setdefault(rr.rater, []).append(float(rr.quantity))
    return Dataset("simulated", tuple(clients.values()), {}, None)


def _allocations(clinic: SimClinic) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_key": [a.client_key for a in clinic.allocations],
            "arm": [a.arm for a in clinic.allocations],
            "unit_key": [a.unit_key for a in clinic.allocations],
            "allocated_day": [a.allocated_day for a in clinic.allocations],
        }
    )


def power_by_simulation(
    *,
    outcome: str,
    effect: float,
    n_clients: int,
    arms: Sequence[tuple[str, int]] = (("a", 1), ("b", 1)),
    unit: str = "client",
    n_therapists: int = 4,
    weeks: int = 12,
    n_trials: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
) -> PowerResult:
    """The power of the design to detect `effect` on `outcome` at level `alpha` (see the module docstring).

    With ``unit="clinic"`` the therapists form clinics of two (therapist t in clinic t mod n_therapists // 2).
    Raises AnalysisInputError for a design that cannot be simulated or analysed.
    """
    if outcome not in SIMULATED_OUTCOMES:
        raise AnalysisInputError(
            f"the simulator cannot generate outcome '{outcome}' (it simulates {', '.join(SIMULATED_OUTCOMES)})"
        )
    if not 0.0 < alpha < 1.0:
        raise AnalysisInputError(f"alpha must lie strictly between 0 and 1 (got {alpha})")
    if n_trials < 1:
        raise AnalysisInputError("n_trials must be at least 1")
    if weeks < 2:
        raise AnalysisInputError("weeks must be at least 2 (a baseline and a follow-up score)")
    arms = tuple((str(k), int(r)) for k, r in arms)
    n_clinics = max(1, n_therapists // THERAPISTS_PER_CLINIC)
    try:
        design = ArmDesign(
            arms=arms,
            unit=unit,
            effect_engagement=effect if outcome in FIGURE_BY_NAME else 0.0,
            effect_improvement=0.0 if outcome in FIGURE_BY_NAME else effect,
            n_clinics=n_clinics,
        )
    except ValueError as exc:
        raise AnalysisInputError(str(exc)) from None
    n_units = {"client": n_clients, "therapist": n_therapists, "clinic": n_clinics}[unit]
    if unit != "client" and n_units < max(MIN_CLUSTERS, len(arms)):
        raise AnalysisInputError(
            f"{n_units} {unit}s cannot be randomised to {len(arms)} arms and analysed with cluster-robust errors "
            f"(at least {max(MIN_CLUSTERS, len(arms))} are needed)"
        )
    if n_clients < 2 * sum(r for _, r in arms):
        raise AnalysisInputError(
            f"{n_clients} clients are too few for arms {', '.join(f'{k}:{r}' for k, r in arms)}"
        )
    total = sum(r for _, r in arms)
    n_per_arm = tuple(round(n_clients * r / total) for _, r in arms)
    needs_reviews = outcome in FIGURE_BY_NAME and outcome not in OBJECTIVE
    cluster = "unit_key" if unit != "client" else None
    target = arms[1][0]
    seeds = np.random.SeedSequence(seed).generate_state(n_trials)
    successes = failed = 0
    started = time.perf_counter()
    for trial_seed in seeds:
        clinic = simulate_clinic(
            n_therapists=n_therapists,
            n_clients=n_clients,
            weeks=weeks,
            seed=int(trial_seed),
            true_r=0.0,
            templates=POWER_TEMPLATES,
            record_around_homework=needs_reviews,
            arms=design,
            entry_details=False,
        )
        data, allocations = clinic_dataset(clinic), _allocations(clinic)
        try:
            if outcome == "phq9_weekly":
                found = time_by_arm(weekly_scores(data, allocations), reference=arms[0][0], cluster=cluster)
                p = next(t.p for t in found if t.arm == target)
            else:
                frame = client_outcomes(data, allocations, [outcome])
                covariates = ("phq9_baseline",) if outcome == "phq9_change" else ()
                comparisons = compare_arms(
                    frame, outcome, reference=arms[0][0], cluster=cluster, covariates=covariates
                )
                p = next(c.p for c in comparisons if c.arm == target)
        except AnalysisInputError:
            failed += 1
            continue
        successes += bool(p < alpha)
    seconds = time.perf_counter() - started
    low, high = wilson_interval(successes, n_trials)
    scale = (
        "probit shift of the engagement latent"
        if outcome in FIGURE_BY_NAME
        else "PHQ-9 points of true improvement"
    )
    note = (
        f"{n_trials} simulated trials of {n_clients} clients x {weeks} weeks, randomised by {unit}; effect "
        f"{effect:g} ({scale}) in every arm after '{arms[0][0]}'; success: '{target}' vs '{arms[0][0]}' with "
        f"p < {alpha:g}; 95% Wilson interval for the Monte Carlo error"
        + (f"; {failed} trial(s) could not be analysed and count as failures" if failed else "")
    )
    return PowerResult(
        power=successes / n_trials,
        ci_low=low,
        ci_high=high,
        n_trials=n_trials,
        n_per_arm=n_per_arm,
        effect=effect,
        outcome=outcome,
        unit=unit,
        alpha=alpha,
        seconds=seconds,
        n_failed=failed,
        note=note,
    )
