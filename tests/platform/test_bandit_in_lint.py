"""`make lint` runs bandit with the project's configuration, and that configuration still catches the
problems it is there for (it does not skip everything)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BANDIT = Path(sys.executable).parent / "bandit"


def test_make_lint_runs_bandit_over_the_code() -> None:
    lint = ROOT.joinpath("Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "bandit -c pyproject.toml -r emotipal" in lint


def test_the_configuration_still_catches_unsafe_code(tmp_path: Path) -> None:
    unsafe = tmp_path / "unsafe.py"
    unsafe.write_text(
        "import subprocess\nimport yaml\n\n\ndef run(cmd, text):\n"
        "    subprocess.call(cmd, shell=True)\n    return yaml.load(text, Loader=yaml.Loader)\n"
    )
    done = subprocess.run(  # noqa: S603 (the project's own bandit on a file of ours)
        [str(BANDIT), "-c", str(ROOT / "pyproject.toml"), "-q", "-f", "csv", str(unsafe)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "B602" in done.stdout and "B506" in done.stdout
