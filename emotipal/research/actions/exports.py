"""Requesting a study's export: one row, one audit row, the background task queued when both are committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from emotipal.platform.audit.services import record
from emotipal.research import access, tasks
from emotipal.research.errors import ResearchError
from emotipal.research.export.audit import audit_export, included_clients
from emotipal.research.models import JobStatus, Study, StudyExport


def request_export(user: Any, study: Study) -> StudyExport:
    """Investigators and researchers of the study ask for an export (statisticians download only)."""
    if not access.can_manage(user, study):
        raise ResearchError(_("Only the study's investigators and researchers can start an export."))
    if not included_clients(study):
        raise ResearchError(
            _(
                "The study has no consenting participant whose data may be used yet: there is nothing to export."
            )
        )
    with transaction.atomic():
        # Locks the study row: two clicks at once make one export, not two.
        Study.objects.select_for_update().get(pk=study.pk)
        if StudyExport.objects.filter(study=study, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists():
            raise ResearchError(_("An export of this study is already under way; wait for it to finish."))
        export = StudyExport.objects.create(study=study, requested_by=user)
        record(user, "research.export.request", export, study=study.slug)
        transaction.on_commit(lambda: tasks.run_study_export.enqueue(export.pk))
    return export


def note_download(user: Any, export: StudyExport) -> None:
    """A team member downloads an export: a read row per participant whose data it holds, and one for the file."""
    audit_export(user, export.study, "export.download", export=export.pk)
