"""The analysis package is pure Python: no module in it imports Django or the rest of EmotiPal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "emotipal" / "analysis"


def analysis_modules() -> list[str]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_analysis_module_imports_without_django() -> None:
    modules = analysis_modules()
    assert "emotipal.analysis.engagement" in modules and "emotipal.analysis.meta.cli" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
        "bad = [m for m in sys.modules if m.startswith('emotipal.') and not m.startswith('emotipal.analysis')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(  # noqa: S603 - our interpreter, a fixed script
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
