"""An export folder as one zip file for download, read only from under the export root."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import IO

from emotipal.research.export.job import export_root


def folder_of(recorded: str) -> Path | None:
    """The export's folder if it is still there and inside the export root (never a path from elsewhere)."""
    if not recorded:
        return None
    root = export_root().resolve()
    folder = Path(recorded).resolve()
    if not folder.is_dir() or not folder.is_relative_to(root):
        return None
    return folder


def zipped(folder: Path) -> IO[bytes]:
    """A temporary file holding the folder's files (spilled to disk beyond a few MB), positioned at 0."""
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, Path(folder.name) / path.relative_to(folder))
    handle.seek(0)
    return handle
