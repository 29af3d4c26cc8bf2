"""The running program's source, offered to everyone who uses it over the network (AGPL-3.0 section 13).

EmotiPal is licensed under the GNU AGPL: whoever runs it, modified or not, must offer its users the source of
the version they are using. The archive is built from the files this process runs (the package, its static
files, translations and the files that install and deploy it), so an operator's own changes are in it without
a step anyone could forget. An operator who publishes the source elsewhere may point the footer's link there
with EMOTIPAL_SOURCE_URL instead.

Public like /healthz: it holds no one's data. The files are read once per process (they do not change while it
runs) and the archive is deterministic (sorted names, fixed times and owners), so its ETag is stable.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import tarfile
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

# What is needed to install and run EmotiPal: its code and templates, static files, translation sources, and
# the files that install and deploy it. Not the tests or benchmarks, nor anything generated or local.
SOURCE_DIRS = ("emotipal", "static", "locale", "deploy", "scripts", "docs")
SOURCE_FILES = (
    "pyproject.toml",
    "constraints.txt",
    "Makefile",
    "manage.py",
    "README.md",
    "SECURITY.md",
    "LICENSE",
)
SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo", ".mo"}  # compiled from the files beside them
FIXED_MTIME = 0  # the same files give the same bytes, whenever the process started


def _files(root: Path) -> list[Path]:
    found = [root / name for name in SOURCE_FILES if (root / name).is_file()]
    for directory in SOURCE_DIRS:
        for path in (root / directory).rglob("*"):
            generated = SKIPPED_PARTS & set(path.relative_to(root).parts) or path.suffix in SKIPPED_SUFFIXES
            if path.is_file() and not path.is_symlink() and not generated:
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, FIXED_MTIME, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


@functools.cache
def archive(root: Path) -> bytes:
    """A .tar.gz of the source under `root`, each file under emotipal-source/."""
    buffer = io.BytesIO()
    # The gzip header's time is fixed too (tarfile's own w:gz writes the current time).
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6, mtime=FIXED_MTIME) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in _files(root):
            data = path.read_bytes()
            name = f"emotipal-source/{path.relative_to(root).as_posix()}"
            tar.addfile(_info(name, len(data)), io.BytesIO(data))
    return buffer.getvalue()


@require_safe  # GET and HEAD (a link checker, a mirror asking whether it changed)
def source(request: HttpRequest) -> HttpResponse:
    body = archive(Path(settings.BASE_DIR))
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = HttpResponse(body, content_type="application/gzip")
    response["Content-Disposition"] = 'attachment; filename="emotipal-source.tar.gz"'
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    return response
