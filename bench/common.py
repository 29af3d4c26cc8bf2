"""What every benchmark reports, and how it times a target against its floor.

A benchmark is never an absolute time: the machine's load moves those 2-3x between runs. Each target is timed
in the same run as a floor that does the same kind of work without EmotiPal's own (the app's bare health
endpoint on the same server, a static page of the same size, a DuckDB query over the same files, pyarrow's
raw write of the same rows, R's metafor on the same studies), interleaved round by round so that a load spike
hits both, and the medians are compared.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Measure:
    """One row of BENCHMARKS.md.

    `ratio` is oriented so that bigger is worse for times and better for rates: for a time it is
    target / floor ("at most 3x"), for a rate target / floor ("at least 0.6"). `met` says whether the target
    in `target` holds; `note` states the cause of a shortfall, or why a measure was skipped.
    """

    name: str
    floor_name: str
    floor: float | None
    value: float | None
    unit: str
    target: str
    ratio: float | None
    met: bool | None
    reproduce: str
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # e.g. queries, memory, p95


def at_most(
    name: str, floor_name: str, floor: float, value: float, unit: str, limit: float, **kw: object
) -> Measure:
    """A cost (a time) that must stay within `limit` times its floor."""
    ratio = value / floor if floor else float("inf")
    return Measure(
        name=name,
        floor_name=floor_name,
        floor=floor,
        value=value,
        unit=unit,
        target=f"≤ {limit:g}× floor",
        ratio=ratio,
        met=ratio <= limit,
        **kw,  # type: ignore[arg-type]
    )


def at_least(
    name: str, floor_name: str, floor: float, value: float, unit: str, limit: float, **kw: object
) -> Measure:
    """A rate (throughput) that must reach `limit` of its floor's rate."""
    ratio = value / floor if floor else 0.0
    return Measure(
        name=name,
        floor_name=floor_name,
        floor=floor,
        value=value,
        unit=unit,
        target=f"≥ {limit:g}× floor",
        ratio=ratio,
        met=ratio >= limit,
        **kw,  # type: ignore[arg-type]
    )


def skipped(name: str, target: str, reproduce: str, why: str) -> Measure:
    return Measure(name, "", None, None, "", target, None, None, reproduce, note=why)


def interleaved(
    target: Callable[[], object], floor: Callable[[], object], rounds: int, warmup: int = 1
) -> tuple[float, float, list[float], list[float]]:
    """Time target and floor alternately `rounds` times; return (median target s, median floor s, samples)."""
    for _ in range(warmup):
        floor()
        target()
    target_s: list[float] = []
    floor_s: list[float] = []
    for i in range(rounds):
        # Alternate which goes first so neither always runs on a warmer cache.
        pair = [(floor, floor_s), (target, target_s)]
        for fn, samples in pair if i % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    return statistics.median(target_s), statistics.median(floor_s), target_s, floor_s


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """The largest peak resident memory of any waited-for child process."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(run: Callable[[bool], list[Measure]]) -> None:
    """A benchmark module run alone: `python bench/bench_x.py [--quick] [--json FILE]` prints its measures
    (and writes them as JSON for bench/run.py)."""
    import argparse
    import dataclasses
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--json", help="write the measures to this file")
    args = parser.parse_args()
    found = run(args.quick)
    for m in found:
        ratio = "-" if m.ratio is None else f"{m.ratio:.3g}"
        verdict = {True: "met", False: "NOT MET", None: "skipped"}[m.met]
        print(
            f"{m.name}: {m.value} {m.unit} vs {m.floor_name} {m.floor}: ratio {ratio} ({m.target}) {verdict}"
        )
        for k, v in m.extra.items():
            print(f"    {k}: {v}")
        if m.note:
            print(f"    note: {m.note}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump([dataclasses.asdict(m) for m in found], out, indent=1)
