"""Running one requested export (the background task's work): progress on the StudyExport row as it goes."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from emotipal.platform import clock
from emotipal.research.errors import ResearchError
from emotipal.research.export.audit import audit_export
from emotipal.research.export.build import build_export
from emotipal.research.models import JobStatus, StudyExport

log = logging.getLogger(__name__)


def export_root() -> Path:
    return Path(settings.EMOTIPAL_EXPORT_ROOT)


def folder_for(export: StudyExport) -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return export_root() / export.study.slug / f"export-{export.pk}-{stamp}"


def _set(export_id: int, **fields: object) -> None:
    # An UPDATE of its own (outside any transaction of the export), so the page sees progress at once.
    StudyExport.objects.filter(pk=export_id).update(**fields)


def run(export_id: int) -> str:
    export = StudyExport.objects.select_related("study", "requested_by").filter(pk=export_id).first()
    if export is None:
        return "missing"
    if export.status != JobStatus.QUEUED:
        return f"already {export.status}"  # a task delivered twice runs once
    folder = folder_for(export)
    _set(export.pk, status=JobStatus.RUNNING, progress=1, message=_("Starting"), folder=str(folder))

    def progress(percent: int, what: str) -> None:
        _set(export.pk, progress=max(1, min(99, percent)), message=_("Writing %(what)s") % {"what": what})

    try:
        manifest = build_export(export.study, folder, progress=progress)
    except ResearchError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _set(export.pk, status=JobStatus.FAILED, message=str(exc)[:300], folder="", finished_at=clock.now())
        return "refused"
    except Exception:
        log.exception("research export %s failed", export.pk)
        shutil.rmtree(folder, ignore_errors=True)
        _set(
            export.pk,
            status=JobStatus.FAILED,
            message=_("The export failed; the error is in the server log."),
            folder="",
            finished_at=clock.now(),
        )
        return "failed"
    _set(
        export.pk,
        status=JobStatus.DONE,
        progress=100,
        message=_("Finished"),
        manifest=manifest,
        finished_at=clock.now(),
    )
    audit_export(export.requested_by, export.study, "export.written", via="background task", export=export.pk)
    return "done"
