"""Build a study's export: the tables once, then every format writer, then the manifest over what they wrote.

Each format is a module in research/export/formats with `write(data: ExportData, out_dir: Path) -> list[Path]`;
FORMATS lists them in the order they run (CSV first: its folder is the data set `emotipal analyse` reads).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emotipal.research.export.data import ExportData
from emotipal.research.export.formats import WRITERS
from emotipal.research.export.manifest import build_manifest, code_version, write_manifest
from emotipal.research.export.tables import build_export_data
from emotipal.research.models import Study

# CSV first, into the export's own folder (the data set `emotipal analyse` reads); then each other format into
# its own sub-folder.
FORMATS: tuple[str, ...] = ("csv", *WRITERS)

Progress = Callable[[int, str], None]


def writer(name: str) -> Callable[[ExportData, Path], list[Path]]:
    if name not in FORMATS:
        raise ValueError(f"Unknown export format {name!r} (known: {', '.join(FORMATS)})")
    module = importlib.import_module(f"emotipal.research.export.formats.{name}")
    return module.write


def write_figures(data: ExportData, out_dir: Path) -> list[Path]:
    """The files beside the tables (each experiment's CONSORT diagram, consort_<experiment>.svg)."""
    written = []
    for name, text in data.figures.items():
        path = Path(out_dir) / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def build_export(
    study: Study, out_dir: Path, formats: Sequence[str] = FORMATS, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the export into out_dir (created if needed) and return its manifest (also in manifest.json)."""
    say = progress or (lambda _percent, _what: None)
    writers = [(name, writer(name)) for name in formats]  # an unknown format fails before any work
    data = build_export_data(study, progress=lambda percent, what: say(percent * 6 // 10, what))
    data.code_version = code_version()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for i, (name, write) in enumerate(writers, start=1):
        files += write(data, out_dir)
        say(60 + 35 * i // len(writers), name)
    files += write_figures(data, out_dir)
    manifest = build_manifest(data, out_dir, files)
    manifest["formats"] = list(formats)
    write_manifest(manifest, out_dir)
    say(100, "manifest")
    return manifest
