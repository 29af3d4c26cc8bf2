"""Test helpers: metafor's dat.molloy2014 and dat.raudenbush1985 from tests/data/ (see metafor-extras.md).

Not a test module (no ``test_`` prefix); imported by name like meta_bcg_reference.
"""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

import numpy as np
from meta_bcg_reference import reference_file


def load_table(name: str) -> list[dict[str, str]]:
    """A whitespace-separated metadat text file (quoted names) as rows of strings."""
    lines = [ln for ln in reference_file(name).read_text().splitlines() if ln.strip()]
    header = lines[0].split()
    return [dict(zip(header, shlex.split(ln), strict=True)) for ln in lines[1:]]


def column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([float(r[name]) for r in rows])


def molloy() -> list[dict[str, str]]:
    rows = load_table("dat.molloy2014.txt")
    assert len(rows) == 16
    return rows


def raudenbush() -> tuple[np.ndarray, np.ndarray]:
    rows = load_table("dat.raudenbush1985.txt")
    assert len(rows) == 19
    return column(rows, "yi"), column(rows, "vi")


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
