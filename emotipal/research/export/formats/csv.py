"""CSV: one file per table (UTF-8, header row, empty cell for a missing value) and codebook.csv.

The tables the analysis reads keep the names and columns of a simulated data set, so this folder is a data
set `emotipal analyse` reads (emotipal/analysis/compliance/dataset.py).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from emotipal.research.export.data import ExportData

CODEBOOK = "codebook.csv"
CODEBOOK_COLUMNS = (
    "variable",
    "table",
    "label",
    "type",
    "unit",
    "values",
    "source",
    "type_of_figure",
    "timing",
    "note",
)


def write(data: ExportData, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in data.tables.items():
        path = out_dir / f"{name}.csv"
        # Dates as ISO 8601, datetimes in UTC with their offset; booleans as True/False (the reader's words).
        table.to_csv(
            path, index=False, encoding="utf-8", date_format="%Y-%m-%dT%H:%M:%S%z", lineterminator="\n"
        )
        written.append(path)
    path = out_dir / CODEBOOK
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CODEBOOK_COLUMNS)
        for v in data.codebook:
            values = json.dumps(v.values, ensure_ascii=False, sort_keys=True) if v.values else ""
            writer.writerow(
                (v.name, v.table, v.label, v.type, v.unit, values, v.source, v.kind, v.timing, v.note)
            )
    written.append(path)
    return written
