"""An export's folder as one zip file for download. The export task writes the folder; this only reads it."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from emotipal.research.models import JobStatus, StudyExport

# Kept in memory up to this size, then on disk: a large export never fills the worker's memory.
SPOOL_BYTES = 16 * 1024 * 1024


class ExportNotReady(Exception):
    """The export cannot be downloaded (yet): the message says why and what to do."""


def not_ready_reason(export: StudyExport) -> str | None:
    if export.status == JobStatus.QUEUED:
        return _("The export is waiting to start. Download it when it is finished.")
    if export.status == JobStatus.RUNNING:
        return _(
            "The export is still being built (%(progress)d%% done). Download it when it is finished."
        ) % {"progress": export.progress}
    if export.status == JobStatus.FAILED:
        return _("The export failed (%(message)s). Start a new export.") % {
            "message": export.message or _("no reason given")
        }
    if not export.folder or not Path(export.folder).is_dir():
        return _("The export's files are no longer on the server. Start a new export.")
    return None


def export_archive(export: StudyExport) -> tuple[IO[bytes], str]:
    """(an open file positioned at 0 holding the zip, its file name). Only regular files inside the folder are
    packed: a symbolic link never brings in a file from elsewhere."""
    reason = not_ready_reason(export)
    if reason is not None:
        raise ExportNotReady(reason)
    folder = Path(export.folder).resolve()
    name = f"{export.study.slug}-export-{export.pk}"
    archive = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open to the response)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            packed.write(path, arcname=f"{name}/{path.relative_to(folder).as_posix()}")
    archive.seek(0)
    return archive, f"{name}.zip"
