"""The research export's Parquet writer at a production-like size, against pyarrow writing the same rows.

    .venv/bin/python bench/bench_export.py [--quick] [--json out.json]

Rows: the export's own tables (entries, entry answers, compliance figures), with their real columns, types and
codebook, filled with simulated values (bench/export_frames.py) through the table builder's `frame`: 200,000
entry rows (--quick: 20,000), 420,000 rows in all. What is timed: `emotipal.research.export.formats.parquet.write`
(the codebook check, each chunk's conversion from the builder's DataFrames to Arrow, the partitioned files with
their metadata). Floor: pyarrow's raw `pq.write_table` of the same columns, as Arrow tables built once before the
timing, one file per table. Rounds alternate target and floor; the rate is rows per second of medians.
Target (issue 15): at least half the floor's rate. Not timed here: building the tables from the database
(`build_export_data`), which this benchmark replaces by the simulated frames.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Measure, at_least, interleaved, main, peak_rss_mb  # noqa: E402

REPRODUCE = ".venv/bin/python bench/bench_export.py"
ENTRIES, QUICK_ENTRIES = 200_000, 20_000
ROUNDS, QUICK_ROUNDS = 5, 3


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emotipal.platform.settings")
    import django

    django.setup()


def measures(quick: bool = False) -> list[Measure]:
    _setup_django()
    import pyarrow.parquet as pq

    from bench.export_frames import simulated_export
    from emotipal.research.export.formats import parquet

    entries = QUICK_ENTRIES if quick else ENTRIES
    began = time.monotonic()
    data = simulated_export(entries)
    built_s = time.monotonic() - began
    rows = sum(len(t) for t in data.tables.values())
    arrow = {name: parquet.table_for(data, name) for name in data.tables}  # the floor's input, not timed
    folder = Path(tempfile.mkdtemp(prefix="emotipal-bench-export-"))

    def target() -> None:
        shutil.rmtree(folder / "export", ignore_errors=True)
        parquet.write(data, folder / "export")

    def floor() -> None:
        out = folder / "floor"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for name, table in arrow.items():
            pq.write_table(table, out / f"{name}.parquet")

    try:
        target_s, floor_s, _t, _f = interleaved(target, floor, QUICK_ROUNDS if quick else ROUNDS)
        written = sorted((folder / "export").rglob("*.parquet"))
        export_mb = sum(p.stat().st_size for p in written) / 1e6
        floor_mb = sum(p.stat().st_size for p in (folder / "floor").iterdir()) / 1e6
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    measure = at_least(
        f"research export to Parquet, {rows:,} rows",
        "pyarrow pq.write_table of the same rows (Arrow built beforehand)",
        rows / floor_s,
        rows / target_s,
        "rows/s",
        0.5,
        reproduce=REPRODUCE,
        extra={
            "tables": ", ".join(f"{n} {len(t):,}" for n, t in data.tables.items()),
            "timed": "parquet.write of simulated tables of the real codebook (conversion to Arrow included)",
            "not timed": "building the tables from the database (build_export_data: queries, decryption, gather)",
            "parts": str(len(written)),
            "MB": f"{export_mb:.1f} (floor {floor_mb:.1f})",
            "s": f"{target_s:.2f} (floor {floor_s:.2f})",
            "simulating s": f"{built_s:.0f}",
            "peak MB": f"{peak_rss_mb():.0f}",
        },
        note=(
            "converting the builder's DataFrames to Arrow, chunk by chunk, beside pyarrow's write of tables "
            "already in Arrow: the nullable Int64/Float64/boolean columns are copied into Arrow arrays, and "
            "each row group's statistics and the codebook metadata are written per part"
        ),
    )
    return [measure]


def run(quick: bool = False) -> list[Measure]:
    began = time.monotonic()
    found = measures(quick)
    for m in found:
        m.extra.setdefault("bench s", f"{time.monotonic() - began:.0f}")
        if m.met:
            m.note = ""
    return found


if __name__ == "__main__":
    main(run)
