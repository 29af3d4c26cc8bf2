"""manifest.json: what makes an export reproducible and checkable (time, code version, study and consent
versions, and for every file its row count and SHA-256)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess  # git describe only, fixed arguments  # nosec B404
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from emotipal.research.export.data import ExportData

MANIFEST = "manifest.json"
REPOSITORY = Path(__file__).resolve().parents[3]


def code_version() -> str:
    """`git describe` of the running code when it is a checkout, else the installed package's version."""
    git = shutil.which("git")
    try:
        if git is None:
            raise FileNotFoundError("git")
        done = subprocess.run(  # noqa: S603 (fixed arguments, no shell)  # nosec B603
            [git, "describe", "--always", "--dirty", "--tags"],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip():
            return f"git {done.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"emotipal {metadata.version('emotipal')}"
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _rows(path: Path, data: ExportData) -> int | None:
    """Rows of a table file: from the table itself when the file is one (whatever its format); a Parquet part
    (parquet/study=.../table=<name>/part-NNNN.parquet) holds a share of its table, which its footer states."""
    if path.suffix == ".parquet" and path.parent.name.startswith("table="):
        return int(pq.read_metadata(path).num_rows)
    stem = path.stem.split("_table-")[-1].removesuffix("_data") if "_table-" in path.stem else path.stem
    table = data.tables.get(stem)
    return None if table is None else len(table)


def build_manifest(data: ExportData, out_dir: Path, files: list[Path]) -> dict[str, Any]:
    study = data.study
    return {
        "generated_at": data.generated_at,
        "code_version": data.code_version or code_version(),
        "study": {
            "slug": study.slug,
            "title": study.title,
            "protocol_version": study.protocol_version,
            "status": study.status,
            "ethics_committee": study.ethics_committee,
            "ethics_number": study.ethics_number,
            "data_uses": list(study.data_uses),
            "withdrawal_policy": study.withdrawal_policy,
        },
        "consent_versions": list(study.consent_versions),
        "participants": {k: v for k, v in data.notes.items() if k != "experiments"},
        "experiments": data.notes.get("experiments", []),
        "figures": sorted(data.figures),
        "tables": {name: len(frame) for name, frame in data.tables.items()},
        "files": [
            {
                "path": path.relative_to(out_dir).as_posix(),
                "bytes": path.stat().st_size,
                "rows": _rows(path, data),
                "sha256": sha256(path),
            }
            for path in sorted(set(files))
        ],
    }


def write_manifest(manifest: dict[str, Any], out_dir: Path) -> Path:
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
