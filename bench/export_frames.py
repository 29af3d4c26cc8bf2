"""An export of a production-like size built without a database: the codebook's own tables (entries, entry
answers, compliance figures) filled with simulated values of each column's type, with gaps, through the table
builder's `frame` (so each column has the dtype a real export's has).

Only the values are simulated; the columns, their types and their codebook entries are the real ones.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from emotipal.research.export.codebook import COMPLIANCE, full_codebook
from emotipal.research.export.data import ExportData, StudyFacts, Variable
from emotipal.research.export.frames import frame

# Rows of each table per entry row: an entry has about one answer row per field; the compliance table has
# a row per participant and week or assignment (far fewer).
TABLES = {"entries": 1.0, "entry_answers": 1.0, COMPLIANCE: 0.1}
MISSING = 0.05  # share of empty cells in a column that may be empty
DAY0 = dt.date(2025, 1, 6)
MOMENT0 = dt.datetime(2025, 1, 6, 8, tzinfo=dt.UTC)


def study() -> StudyFacts:
    return StudyFacts(
        slug="bench-export",
        title="Export benchmark (simulated)",
        description="Simulated rows of the real export tables.",
        protocol_version="1",
        status="recruiting",
        ethics_committee="None (simulated)",
        ethics_number="SIM-1",
        ethics_valid_until="",
        consent_versions=(1,),
        data_uses=("homework", "engagement"),
        withdrawal_policy="keep",
    )


def _value(v: Variable, rng: random.Random) -> Any:
    if rng.random() < MISSING and not v.name.endswith("key"):
        return None
    if v.values:
        code = rng.choice(list(v.values))
        return int(code) if v.type == "integer" else code
    if v.type == "integer":
        return rng.randrange(0, 400)
    if v.type == "number":
        return round(rng.random() * 100, 2)
    if v.type == "boolean":
        return rng.random() < 0.7
    if v.type == "date":
        return DAY0 + dt.timedelta(days=rng.randrange(0, 400))
    if v.type == "datetime":
        return MOMENT0 + dt.timedelta(seconds=rng.randrange(0, 400 * 86400))
    if v.name.endswith("key"):
        return f"{v.name[0].upper()}-{rng.getrandbits(48):012x}"
    return rng.choice(("thoughts.0.belief", "Calmer after writing it down", "situation", "en", "long_text"))


def _rows(variables: list[Variable], n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for _ in range(n):
        yield {v.name: _value(v, rng) for v in variables}


def simulated_export(entries: int, seed: int = 15) -> ExportData:
    rng = random.Random(seed)  # simulated data, not a secret  # nosec B311
    book = full_codebook()
    tables = {
        name: frame(book[name], _rows(book[name], int(entries * per), rng)) for name, per in TABLES.items()
    }
    codebook = [v for name in tables for v in book[name]]
    return ExportData(
        study=study(), tables=tables, codebook=codebook, generated_at="2026-12-05T00:00:00+00:00"
    )
