"""`make bench`: every benchmark module, each in its own process, then BENCHMARKS.md from their measures.

    .venv/bin/python bench/run.py [--quick] [--only http,meta] [--out BENCHMARKS.md]

Each module (bench/bench_<part>.py) times its targets against floors measured in the same run (bench/common.py)
and writes its measures as JSON; a module that fails is reported as a failed row, and the others still run.
Its own process, because each configures Django (or none) its own way: production settings against a fresh
PostgreSQL database for the web, none at all for the analysis.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Measure  # noqa: E402

# In the order of the list; each takes at most a few minutes (make bench: under 15 on 2 cores).
MODULES = ["http", "pages", "analyse", "meta", "export", "reminders"]


def run_module(name: str, quick: bool) -> tuple[list[Measure], float]:
    script = ROOT / "bench" / f"bench_{name}.py"
    began = time.monotonic()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        pass
    try:
        done = subprocess.run(
            [sys.executable, str(script), "--json", out.name, *(["--quick"] if quick else [])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        took = time.monotonic() - began
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
            return [_failed(name, f"the benchmark failed (exit {done.returncode}): {why[0][:200]}")], took
        rows = json.loads(Path(out.name).read_text())
        return [Measure(**row) for row in rows], took
    except subprocess.TimeoutExpired:
        took = time.monotonic() - began
        return [_failed(name, "the benchmark took over 15 minutes and was stopped")], took
    finally:
        Path(out.name).unlink(missing_ok=True)


def _failed(name: str, why: str) -> Measure:
    """A module that could not run: a failed row (and make bench's exit status 1), not a missing one."""
    return Measure(f"bench_{name}", "", None, None, "", "runs", None, False, _reproduce(name), note=why)


def _reproduce(name: str) -> str:
    return f".venv/bin/python bench/bench_{name}.py"


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    digits = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{digits} {unit}".strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(found: list[Measure], timings: dict[str, float], quick: bool) -> str:
    met = sum(1 for m in found if m.met)
    missed = [m for m in found if m.met is False]
    skipped = [m for m in found if m.met is None]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` ({'quick run, ' if quick else ''}"
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC) on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}. Every target is timed against its floor in "
        "the same run, alternately, and the ratio is of medians: absolute times move with the machine's load, "
        "the ratios are what to compare. How each is measured: the docstring of its `bench/bench_<part>.py`.",
        "",
        f"**{met} met, {len(missed)} not met, {len(skipped)} skipped** of {len(found)} measures; "
        f"total {sum(timings.values()) / 60:.1f} min ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        + ").",
        "",
        "| measure | floor | value | floor's value | ratio | target | met | details | reproduce |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in found:
        verdict = {True: "yes", False: "**no**", None: "skipped"}[m.met]
        details = "; ".join(
            [*(f"{k} {v}" for k, v in m.extra.items() if k != "bench s"), *([m.note] if m.note else [])]
        )
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in [
                    m.name,
                    m.floor_name or "–",
                    _figure(m.value, m.unit),
                    _figure(m.floor, m.unit),
                    "–" if m.ratio is None else f"{m.ratio:.2f}",
                    m.target,
                    verdict,
                    details or "–",
                    f"`{m.reproduce}`",
                ]
            )
            + " |"
        )
    if missed or skipped:
        lines += ["", "## Shortfalls and skips, with their causes", ""]
        lines += [f"- **{m.name}**: {m.note or 'no cause recorded'}" for m in missed + skipped]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="comma-separated parts, e.g. http,meta")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else MODULES
    found: list[Measure] = []
    timings: dict[str, float] = {}
    for name in chosen:
        print(f"bench_{name} …", flush=True)
        rows, took = run_module(name, args.quick)
        timings[name] = took
        found += rows
        for m in rows:
            verdict = {True: "met", False: "NOT MET", None: "skipped"}[m.met]
            ratio = "–" if m.ratio is None else f"{m.ratio:.2f}"
            print(f"  {m.name}: ratio {ratio} ({m.target}) {verdict}", flush=True)
        print(f"  ({took:.0f} s)", flush=True)
    Path(args.out).write_text(markdown(found, timings, args.quick))
    print(f"wrote {args.out}")
    crashed = [m.name for m in found if m.target == "runs"]
    return 1 if crashed else 0  # a shortfall is a finding; a benchmark that cannot run is a defect


if __name__ == "__main__":
    sys.exit(main())
