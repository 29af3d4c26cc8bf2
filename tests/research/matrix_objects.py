"""What the permission matrix needs of research (tests/test_permission_matrix.py): a study led by the World's
researcher with a finished export and a finished analysis of it."""

from __future__ import annotations

from typing import Any

from emotipal.research.models import JobStatus, Study, StudyAnalysis, StudyExport
from tests.research.study_factory import make_study

SLUG = "matrix-study"


def finished_analysis(world: Any) -> StudyAnalysis:
    study = Study.objects.filter(slug=SLUG).first() or make_study(world, SLUG)
    export = StudyExport.objects.filter(study=study).first() or StudyExport.objects.create(
        study=study, requested_by=world.researcher, status=JobStatus.DONE, folder="/nonexistent", progress=100
    )
    return StudyAnalysis.objects.filter(export=export, status=JobStatus.DONE).first() or (
        StudyAnalysis.objects.create(
            export=export, requested_by=world.researcher, status=JobStatus.DONE, report_html="<p>report</p>"
        )
    )


def research_url(world: Any, name: str) -> str:
    """The matrix's URL of each research page, its objects made first."""
    analysis = finished_analysis(world)
    base = f"/research/studies/{SLUG}"
    return {
        "analyses": f"{base}/analyses/",
        "exports": f"{base}/exports/",
        "export_request": f"{base}/exports/new/",
        "export_status": f"{base}/exports/{analysis.export_id}/status/",
        "start": f"{base}/exports/{analysis.export_id}/analyse/",
        "analysis": f"{base}/analyses/{analysis.pk}/",
        "report": f"{base}/analyses/{analysis.pk}/report/",
    }[name]
