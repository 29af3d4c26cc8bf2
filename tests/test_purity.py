"""The pure packages stay pure: `emotipal.analysis` and `emotipal.definitions` import no Django and nothing else
of EmotiPal but each other (analysis may use the definitions; the definitions use nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def modules_of(package: str) -> list[str]:
    modules = []
    for path in sorted((REPO_ROOT / "emotipal" / package).rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


@pytest.mark.parametrize(
    ("package", "allowed", "examples"),
    [
        ("analysis", ("emotipal.analysis", "emotipal.definitions"), {"emotipal.analysis.meta.cli"}),
        ("definitions", ("emotipal.definitions",), {"emotipal.definitions.fields"}),
    ],
)
def test_every_module_imports_without_django(
    package: str, allowed: tuple[str, ...], examples: set[str]
) -> None:
    modules = modules_of(package)
    assert examples <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
        f"bad = [m for m in sys.modules if m.startswith('emotipal.') and not m.startswith({allowed!r})]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(  # noqa: S603 - our interpreter, a fixed script
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
