"""What an experiment's page shows of its results: arm effects, power by simulation, the MRT's excursion effect.

Arm effects come from the study's latest analysis (a background task on a finished export, which holds the
allocations table); power runs are kept on the experiment; the MRT is analysed from its decision points when
the page is opened (a fixed number of queries; the estimator is vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from emotipal.analysis.trials.power import SIMULATED_OUTCOMES
from emotipal.research import consort_inputs
from emotipal.research.experiment_analysis import MRTAnalysis, mrt_analysis
from emotipal.research.models import Experiment, ExperimentKind, JobStatus, StudyAnalysis
from emotipal.research.queries_experiments import outcome_label


@dataclass(frozen=True)
class ArmEffects:
    analysis: StudyAnalysis | None
    html: SafeString | None  # the trial report fragment: every value escaped where it was written
    message: str


def arm_effects(experiment: Experiment) -> ArmEffects:
    latest = (
        StudyAnalysis.objects.filter(export__study_id=experiment.study_id, finished_at__isnull=False)
        .exclude(status=JobStatus.QUEUED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if latest is None:
        return ArmEffects(None, None, _("No analysis has been run yet: make an export, then analyse it."))
    section = (latest.summary or {}).get("trials", {}).get(experiment.slug)
    if section is None:
        return ArmEffects(
            latest, None, _("The latest analysed export holds no allocations of this experiment.")
        )
    if "html" not in section:
        return ArmEffects(latest, None, str(section.get("message", "")))
    return ArmEffects(latest, mark_safe(section["html"]), "")  # noqa: S308 - escaped by report_html  # nosec B308 B703


@dataclass(frozen=True)
class PowerRow:
    outcome: str
    effect: float
    n_clients: int
    n_trials: int
    status: str
    power: float | None
    ci_low: float | None
    ci_high: float | None
    n_per_arm: list[int]
    message: str


def power_rows(experiment: Experiment) -> list[PowerRow]:
    rows = []
    for run in reversed(experiment.power_runs or []):
        req: dict[str, Any] = run.get("request", {})
        result: dict[str, Any] = run.get("result") or {}
        rows.append(
            PowerRow(
                outcome=outcome_label(str(req.get("outcome", ""))),
                effect=float(req.get("effect", 0)),
                n_clients=int(req.get("n_clients", 0)),
                n_trials=int(result.get("n_trials", req.get("n_trials", 0))),
                status=str(run.get("status", "")),
                power=result.get("power"),
                ci_low=result.get("ci_low"),
                ci_high=result.get("ci_high"),
                n_per_arm=list(result.get("n_per_arm", [])),
                message=str(run.get("message", "")),
            )
        )
    return rows


def power_outcome_choices() -> list[tuple[str, str]]:
    return [(name, outcome_label(name)) for name in SIMULATED_OUTCOMES]


def mrt_results(experiment: Experiment) -> MRTAnalysis | None:
    return mrt_analysis(experiment) if experiment.kind == ExperimentKind.MRT else None


@dataclass(frozen=True)
class ConsortPanel:
    svg: SafeString
    table: list[tuple[str, str, int, str]]
    problems: list[str]


def consort_panel(experiment: Experiment) -> ConsortPanel | None:
    """The diagram and its table from the participant states; reasons typed by people are left out, as in
    exports, so the page shows the team nothing a participant wrote."""
    if experiment.kind != ExperimentKind.PARALLEL:
        return None
    flow = consort_inputs.experiment_flow(experiment)
    svg = consort_inputs.diagram(flow, experiment)
    return ConsortPanel(mark_safe(svg), consort_inputs.rows(flow), flow.check())  # noqa: S308 - built by ElementTree  # nosec B308 B703
