"""The compliance-outcome analysis of one export, as a background task (Django Tasks API).

The export's folder is a data set that `emotipal analyse` reads; this runs the same analysis on it
(emotipal.analysis.compliance: load_dataset, analyse, render_html) and keeps the HTML report and a summary on
the StudyAnalysis. A data set the analysis cannot use (too few participants, a bad file) fails the analysis
with a message that says why; nothing of the server's folders appears in the message or the report.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django_tasks import task

from emotipal.analysis.compliance.dataset import load_dataset
from emotipal.analysis.compliance.html_report import render_html
from emotipal.analysis.compliance.report import analyse
from emotipal.analysis.meta.errors import MetaInputError
from emotipal.analysis.trials.trial_report import report_html as trial_html
from emotipal.analysis.trials.trial_report import trial_report
from emotipal.platform import clock
from emotipal.research.models import Experiment, ExperimentKind, JobStatus, StudyAnalysis

logger = logging.getLogger(__name__)

# Fewer participants than this and a correlation says next to nothing (its 95% CI spans most of -1..1).
MIN_PARTICIPANTS = 10


class AnalysisFailed(Exception):
    """The data set cannot be analysed; the message is for the study team."""


def summary_of(report: dict[str, Any]) -> dict[str, Any]:
    """What the analyses list shows without opening the report: the sample and each figure's correlation."""
    dataset = report.get("dataset", {})
    overall = report.get("overall") or {}
    return {
        "n_clients": dataset.get("n_clients"),
        "n_clients_with_improvement": dataset.get("n_clients_with_improvement"),
        "n_therapists": dataset.get("n_therapists"),
        "weeks": dataset.get("weeks"),
        "method": report.get("method", ""),
        "overall": {k: overall.get(k) for k in ("r", "ci_low", "ci_high", "k") if k in overall},
        "figures": [
            {
                k: f.get(k)
                for k in ("name", "label", "source", "type", "timing", "n", "r", "ci_low", "ci_high")
            }
            for f in report.get("figures", [])
        ],
    }


def dataset_folder(folder: Path) -> Path:
    """Where the export's CSV tables are: the folder itself, or its csv/ folder when every format has its own."""
    for candidate in (folder, folder / "csv"):
        if (candidate / "clients.csv").is_file():
            return candidate
    return folder


def analyse_folder(folder: Path, label: str) -> tuple[str, dict[str, Any]]:
    """(HTML report, summary) of the data set in `folder`, which the report calls `label`."""
    if not folder.is_dir():
        raise AnalysisFailed(_("The export's files are no longer there; make a new export and analyse that."))
    folder = dataset_folder(folder)
    try:
        data = load_dataset(folder)
    except MetaInputError as exc:  # AnalysisInputError, or a bad optional file such as therapists.csv
        raise AnalysisFailed(
            _("The export cannot be analysed: %(problem)s")
            % {"problem": str(exc).replace(str(folder), label)}
        ) from exc
    if len(data.clients) < MIN_PARTICIPANTS:
        raise AnalysisFailed(
            _("The export holds %(n)d participants with data; the analysis needs at least %(min)d.")
            % {"n": len(data.clients), "min": MIN_PARTICIPANTS}
        )
    data = dataclasses.replace(data, path=label)  # the report names the export, not a folder on the server
    try:
        result = analyse(data)
    except ValueError as exc:  # MetaInputError too: e.g. too few caseloads for a random-effects model
        raise AnalysisFailed(
            _("The analysis could not be computed: %(problem)s")
            % {"problem": str(exc).replace(str(folder), label)}
        ) from exc
    return render_html(result), summary_of(result.report)


def trial_sections(folder: Path, study_id: int) -> dict[str, dict[str, Any]]:
    """Intention-to-treat arm effects of each experiment with arms whose allocations are in the export.

    {experiment slug: {"html": escaped report, "comparisons": [...]} or {"message": why not}}; computed
    whatever becomes of the compliance analysis, which needs more participants than a small trial has."""
    folder = dataset_folder(folder)
    sections: dict[str, dict[str, Any]] = {}
    if not (folder / "allocations.csv").is_file():
        return sections
    experiments = Experiment.objects.filter(study_id=study_id, kind=ExperimentKind.PARALLEL).exclude(
        allocations=None
    )
    for experiment in experiments.order_by("slug", "version"):
        try:
            report = trial_report(
                folder,
                experiment.slug,
                primary=experiment.primary_outcomes,
                secondary=experiment.secondary_outcomes,
            )
        except (MetaInputError, ValueError) as exc:
            sections[experiment.slug] = {"message": str(exc).replace(str(folder), "the export")[:300]}
            continue
        sections[experiment.slug] = {
            "html": trial_html(report),
            "comparisons": [dataclasses.asdict(c) for c in report.comparisons],
            "n_allocated": report.n_allocated,
        }
    return sections


def run(analysis_id: int) -> str:
    """Run one queued analysis; returns its final status (or "missing")."""
    claimed = StudyAnalysis.objects.filter(pk=analysis_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    analysis = StudyAnalysis.objects.select_related("export__study").filter(pk=analysis_id).first()
    if analysis is None:
        return "missing"
    if not claimed:  # another worker has it, or it already ran
        return str(analysis.status)
    export = analysis.export
    label = _("export %(export)d of study “%(study)s”") % {"export": export.pk, "study": export.study.slug}
    trials: dict[str, dict[str, Any]] = {}
    try:
        if Path(export.folder).is_dir():
            trials = trial_sections(Path(export.folder), export.study_id)
        report_html, summary = analyse_folder(Path(export.folder), label)
    except AnalysisFailed as exc:
        analysis.status, analysis.message = JobStatus.FAILED, str(exc)[:300]
    except Exception:  # a bug must not leave the analysis "running" for ever; the log has the traceback
        logger.exception("analysis %s of export %s failed", analysis.pk, export.pk)
        analysis.status = JobStatus.FAILED
        analysis.message = _(
            "The analysis stopped on an unexpected error. Try again, or tell the administrator."
        )
    else:
        analysis.status, analysis.message = JobStatus.DONE, ""
        analysis.report_html, analysis.summary = report_html, summary
    analysis.summary = {**(analysis.summary or {}), "trials": trials}
    analysis.finished_at = clock.now()
    analysis.save(update_fields=["status", "message", "report_html", "summary", "finished_at"])
    return str(analysis.status)


@task()
def run_study_analysis(analysis_id: int) -> str:
    return run(analysis_id)
