"""Test helpers: the BCG trials (metafor's dat.bcg) and metafor's published figures, from tests/data/.

Not a test module itself (no ``test_`` prefix); the meta-analysis tests import it by name, which works
because pytest puts this directory on sys.path for test directories without ``__init__.py``.
"""

from __future__ import annotations

import csv
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest


def _repo_root() -> Path:
    # The repository root is the parent of the 'tests' directory this file lives under.
    here = Path(__file__).resolve()
    for parent in here.parents:
        if parent.name == "tests":
            return parent.parent
    raise RuntimeError("tests directory not found above " + str(here))


# Kept inside the repository so the tests pass in a clone with nothing beside it.
REFERENCE_DIR = _repo_root() / "tests" / "data"


def reference_file(name: str) -> Path:
    path = REFERENCE_DIR / name
    if not path.is_file():
        # Fail rather than skip: silently skipping would hide that nothing was checked against metafor.
        pytest.fail(f"reference file {path} is missing (it belongs in tests/data/ of the repository)")
    return path


@dataclass(frozen=True)
class Bcg:
    trial: list[int]
    author: list[str]
    year: np.ndarray
    tpos: np.ndarray
    tneg: np.ndarray
    cpos: np.ndarray
    cneg: np.ndarray
    ablat: np.ndarray
    alloc: list[str]


def load_bcg() -> Bcg:
    """Parse dat.bcg.txt (whitespace-separated, quoted author names)."""
    lines = [ln for ln in reference_file("dat.bcg.txt").read_text().splitlines() if ln.strip()]
    header = lines[0].split()
    rows = [dict(zip(header, shlex.split(ln), strict=True)) for ln in lines[1:]]
    assert len(rows) == 13

    def num(col: str) -> np.ndarray:
        return np.array([float(r[col]) for r in rows])

    return Bcg(
        trial=[int(r["trial"]) for r in rows],
        author=[r["author"] for r in rows],
        year=num("year"),
        tpos=num("tpos"),
        tneg=num("tneg"),
        cpos=num("cpos"),
        cneg=num("cneg"),
        ablat=num("ablat"),
        alloc=[r["alloc"] for r in rows],
    )


def published_escalc_rr() -> tuple[np.ndarray, np.ndarray]:
    """The per-study log risk ratios and variances printed in metafor-bcg.md (4 decimals)."""
    text = reference_file("metafor-bcg.md").read_text()
    block = re.search(r"trial\s+yi\s+vi\n(.*?)```", text, re.S)
    assert block, "per-study yi/vi table not found in metafor-bcg.md"
    values = [ln.split() for ln in block.group(1).strip().splitlines()]
    assert len(values) == 13
    return np.array([float(v[1]) for v in values]), np.array([float(v[2]) for v in values])


def write_bcg_csv(path: Path, yi: np.ndarray, vi: np.ndarray, blank_ablat: tuple[int, ...] = ()) -> Path:
    """A CSV of dat.bcg with computed log risk ratios (full precision); optionally blank some ablat cells."""
    bcg = load_bcg()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["trial", "author", "year", "tpos", "tneg", "cpos", "cneg", "ablat", "alloc", "yi", "vi"]
        )
        for i in range(13):
            writer.writerow(
                [
                    bcg.trial[i],
                    bcg.author[i],
                    int(bcg.year[i]),
                    int(bcg.tpos[i]),
                    int(bcg.tneg[i]),
                    int(bcg.cpos[i]),
                    int(bcg.cneg[i]),
                    "" if i in blank_ablat else int(bcg.ablat[i]),
                    bcg.alloc[i],
                    repr(float(yi[i])),
                    repr(float(vi[i])),
                ]
            )
    return path


def printed(value: float, text: str) -> bool:
    """True if ``value`` rounds to a figure metafor printed as ``text``: the tolerance is half a unit in
    the last printed digit (5e-4 for four decimals, as the reference asks; 5e-3 for two-decimal I²/H²)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(value - float(text)) <= 0.5 * 10.0**-decimals + 1e-12
