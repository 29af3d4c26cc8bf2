"""Asking for the compliance-outcome analysis of a finished export: one row, its audit row, and the task queued
once the transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from emotipal.platform.audit.services import record
from emotipal.research import access, analysis_tasks
from emotipal.research.errors import ResearchError
from emotipal.research.models import JobStatus, StudyAnalysis, StudyExport

UNDER_WAY = (JobStatus.QUEUED, JobStatus.RUNNING)


def request_analysis(user: Any, export: StudyExport) -> StudyAnalysis:
    """Queue the analysis of `export` for a member of its study's team. Refused (ResearchError) while the export
    is not finished, or while an analysis of it is already waiting or running."""
    study = export.study
    if access.team_role(user, study) is None:
        raise Http404("No such export")
    with transaction.atomic():
        locked = StudyExport.objects.select_for_update().get(pk=export.pk)
        if locked.status != JobStatus.DONE or not locked.folder:
            raise ResearchError(_("This export has not finished yet. Analyse it once it is ready."))
        if StudyAnalysis.objects.filter(export=locked, status__in=UNDER_WAY).exists():
            raise ResearchError(_("An analysis of this export is already under way."))
        analysis = StudyAnalysis.objects.create(export=locked, requested_by=user)
        record(user, "research.analysis.request", analysis, export_id=locked.pk, study_id=study.pk)
        transaction.on_commit(lambda: analysis_tasks.run_study_analysis.enqueue(analysis.pk))
    return analysis
