"""REML random-effects meta-analysis at k = 10,000 studies, against R's metafor on the same studies.

    .venv/bin/python bench/bench_meta.py [--quick] [--json out.json]

Studies: simulated once with a seeded numpy generator (true tau² 0.05, vi uniform on 0.01-0.2, two moderators
x1 ~ N(0, 1) and x2 ~ U(0, 1)) and written to one CSV that both sides read. What is timed on EmotiPal's side:
`emotipal.analysis.meta.fit` (REML) and what a user reads from it - the estimate with its standard error, CI and
test (`coefficients`), the Q test and the prediction interval; the arrays are read from the CSV beforehand.
Floor: `Rscript` running metafor's `rma(yi, vi, method="REML")` on the same CSV, timed inside R around the
`rma` call only (`proc.time`), so R's start-up and `read.csv` are not counted against it. Rounds alternate
target and floor; the two tau² must agree to 1e-6 (relative).

metafor's `rma.uni` builds the k x k matrix P = W - W X (X'W X)^-1 X'W and multiplies it by itself at every
Fisher-scoring step (P %*% P, O(k³)): 5 s at k = 1,000, 25 s at k = 2,000 on the 2-core machine, which puts
k = 10,000 at tens of minutes and ~3 GB. It is therefore given a time budget at k = 10,000 and stopped at the
end of it; the floor is then a lower bound (the budget) and the ratio an upper bound. The agreement of tau²
and a timed ratio are measured at k = 1,000, without and with moderators, in the same run.

Target (issue 15): EmotiPal no slower than metafor (ratio <= 1). A second row times the whole
`emotipal meta FILE.csv --yi yi --vi vi --format json` command (start-up, CSV reading, the model, the Q-profile
CI of tau², the publication-bias tests, trim and fill, the report) against the same floor.
Skipped with a note where Rscript or metafor is absent.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Measure, at_most, interleaved, main, peak_rss_mb, skipped  # noqa: E402

REPRODUCE = ".venv/bin/python bench/bench_meta.py"
K, QUICK_K = 10_000, 1_000
SMALL_K = 1_000  # where metafor finishes in seconds: tau² agreement and a timed ratio
ROUNDS, QUICK_ROUNDS = 5, 2
R_ROUNDS = 2  # metafor rounds at SMALL_K (about 5-8 s each)
R_BUDGET_S = 40.0  # metafor at K: stopped after this many seconds
TAU2_RTOL = 1e-6
TARGET = "≤ 1× floor"

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
invisible(gc(reset = TRUE))
t0 <- proc.time()[["elapsed"]]
if (args[2] == "mods") {
  r <- rma(yi, vi, mods = ~ x1 + x2, data = d, method = "REML")
} else {
  r <- rma(yi, vi, data = d, method = "REML")
}
t1 <- proc.time()[["elapsed"]]
mem <- sum(gc()[, 6])
cat(sprintf("seconds %.6f\ntau2 %.17g\nbeta %.17g\nmaxmb %.1f\n", t1 - t0, r$tau2, r$b[1], mem))
"""


def simulate(k: int, path: Path, seed: int = 15) -> None:
    """k studies with true tau² 0.05 and vi ~ U(0.01, 0.2), effects 0.3 + 0.1 x1 - 0.2 x2 + u + e."""
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.2, k)
    x1 = rng.normal(size=k)
    x2 = rng.uniform(size=k)
    yi = 0.3 + 0.1 * x1 - 0.2 * x2 + rng.normal(0.0, np.sqrt(0.05), k) + rng.normal(0.0, np.sqrt(vi))
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["study", "yi", "vi", "x1", "x2"])
        for i in range(k):
            writer.writerow(
                [f"s{i + 1}", repr(float(yi[i])), repr(float(vi[i])), repr(float(x1[i])), repr(float(x2[i]))]
            )


def read_columns(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {c: np.array([float(r[c]) for r in rows]) for c in ("yi", "vi", "x1", "x2")}


def r_available() -> str | None:
    """None when Rscript with metafor can run, else why not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript is not installed (apt: r-base-core r-cran-metafor)"
    done = subprocess.run([rscript, "-e", "library(metafor)"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return "R's metafor package is not installed (apt: r-cran-metafor)"
    return None


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (VmHWM), 0 once they are gone."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total = max(total, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return total


def run_metafor(
    script: Path, csv_path: Path, model: str, budget: float | None = None
) -> dict[str, float] | None:
    """One Rscript run: the seconds inside R around rma, tau², the intercept and R's peak MB (R's gc "max
    used"); None if it did not finish within ``budget`` seconds."""
    proc = subprocess.Popen(
        ["Rscript", str(script), str(csv_path), model],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"Rscript failed: {err.strip()}")
    values = dict(line.split(" ", 1) for line in out.strip().splitlines())
    return {key: float(v) for key, v in values.items()}


def metafor_budget(script: Path, csv_path: Path, budget: float) -> tuple[dict[str, float] | None, float]:
    """metafor at a size where it may not finish: (its result or None, peak MB seen before stopping it)."""
    proc = subprocess.Popen(
        ["Rscript", str(script), str(csv_path), "plain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    began = time.monotonic()
    peak = 0.0
    while proc.poll() is None and time.monotonic() - began < budget:
        peak = max(peak, _vm_hwm_mb(proc.pid))
        time.sleep(0.5)
    if proc.poll() is None:
        peak = max(peak, _vm_hwm_mb(proc.pid))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, peak
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"Rscript failed: {err.strip()}")
    values = {key: float(v) for key, v in (line.split(" ", 1) for line in out.strip().splitlines())}
    return values, max(peak, values.get("maxmb", 0.0))


def user_fit(yi: np.ndarray, vi: np.ndarray, X: np.ndarray | None = None) -> float:
    """What a user computes: the REML fit, the estimate's SE, CI and test, the Q test, the prediction."""
    from emotipal.analysis.meta import fit

    res = fit(yi, vi, X, names=None if X is None else ["intrcpt", "x1", "x2"], method="REML")
    coefs = res.coefficients
    _ = (
        coefs[0].se,
        coefs[0].ci_low,
        coefs[0].ci_high,
        coefs[0].p,
        res.qe,
        res.qe_p,
        res.i2,
        res.predict(None if X is None else X[0]),
    )
    return res.tau2


def traced_peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _agree(ours: float, theirs: float) -> bool:
    return abs(ours - theirs) <= TAU2_RTOL * abs(theirs) + 1e-12


def _timed_row(
    name: str, k: int, csv_path: Path, script: Path, model: str, rounds: int
) -> tuple[Measure, float]:
    """Target and metafor interleaved on the same CSV; returns the row and EmotiPal's median seconds."""
    cols = read_columns(csv_path)
    X = None if model == "plain" else np.column_stack([np.ones(k), cols["x1"], cols["x2"]])
    r_runs: list[dict[str, float]] = []
    tau2: list[float] = []

    def target() -> None:
        tau2.append(user_fit(cols["yi"], cols["vi"], X))

    def floor() -> None:
        got = run_metafor(script, csv_path, model)
        assert got is not None
        r_runs.append(got)

    # Imports and caches warm on EmotiPal's side (each metafor run is a new R process anyway).
    user_fit(cols["yi"], cols["vi"], X)
    target_s, _wall, _t, _f = interleaved(target, floor, rounds, warmup=0)
    floor_s = float(np.median([r["seconds"] for r in r_runs]))
    ours, theirs = tau2[-1], r_runs[-1]["tau2"]
    agree = _agree(ours, theirs)
    peak = traced_peak_mb(lambda: user_fit(cols["yi"], cols["vi"], X))
    measure = at_most(
        name,
        f'metafor rma(yi, vi{", mods = ~ x1 + x2" if X is not None else ""}, method="REML"), timed inside R',
        floor_s,
        target_s,
        "s",
        1.0,
        reproduce=REPRODUCE,
        extra={
            "k": f"{k:,}",
            "rounds": str(rounds),
            "tau2": f"{ours:.10g} (metafor {theirs:.10g}, {'agree' if agree else 'DISAGREE'} to {TAU2_RTOL:g})",
            "tracemalloc peak MB (EmotiPal fit)": f"{peak:.1f}",
            "metafor max used MB (R gc)": f"{max(r['maxmb'] for r in r_runs):.0f}",
        },
        note="" if agree else "tau² differs from metafor's by more than 1e-6 (relative)",
    )
    if not agree:
        measure.met = False
    return measure, target_s


def measures(quick: bool = False) -> list[Measure]:
    k = QUICK_K if quick else K
    rounds = QUICK_ROUNDS if quick else ROUNDS
    why = r_available()
    folder = Path(tempfile.mkdtemp(prefix="emotipal-bench-meta-"))
    found: list[Measure] = []
    try:
        big = folder / f"studies-{k}.csv"
        simulate(k, big)
        script = folder / "rma.R"
        script.write_text(R_SCRIPT)
        cols = read_columns(big)
        main_name = f"REML random-effects meta-analysis, k = {k:,} studies"
        cli_name = f"emotipal meta CLI run (REML, k = {k:,}, JSON report)"
        cli_cmd = [str(ROOT / ".venv" / "bin" / "emotipal"), "meta", str(big), "--yi", "yi", "--vi", "vi"]
        cli_cmd += ["--format", "json"]

        def cli() -> None:
            subprocess.run(cli_cmd, check=True, stdout=subprocess.DEVNULL)

        if why is not None:
            return [
                skipped(main_name, TARGET, REPRODUCE, f"skipped: {why}"),
                skipped(cli_name, TARGET, REPRODUCE, f"skipped: {why}"),
            ]

        if quick:
            row, target_s = _timed_row(main_name, k, big, script, "plain", rounds)
            found.append(row)
            floor_s = row.floor or 0.0
            floor_label = row.floor_name
            bound = False
        else:
            # metafor at k = 10,000: one attempt within the budget (it is O(k³)).
            got, r_peak = metafor_budget(script, big, R_BUDGET_S)
            user_fit(cols["yi"], cols["vi"])  # imports warm
            samples = []
            for _ in range(rounds):
                start = time.perf_counter()
                ours = user_fit(cols["yi"], cols["vi"])
                samples.append(time.perf_counter() - start)
            target_s = float(np.median(samples))
            peak = traced_peak_mb(lambda: user_fit(cols["yi"], cols["vi"]))
            bound = got is None
            floor_s = R_BUDGET_S if got is None else got["seconds"]
            floor_label = 'metafor rma(yi, vi, method="REML"), timed inside R'
            extra = {
                "k": f"{k:,}",
                "rounds": str(rounds),
                "tracemalloc peak MB (EmotiPal fit)": f"{peak:.1f}",
                "metafor peak MB": f"{r_peak:.0f}" + (" when stopped" if bound else ""),
            }
            if got is None:
                extra["metafor"] = (
                    f"did not finish within {R_BUDGET_S:g} s and was stopped: its time is > {R_BUDGET_S:g} s, "
                    "so the floor is a lower bound and the ratio an upper bound"
                )
                extra["tau2"] = f"{ours:.10g} (agreement with metafor checked at k = {SMALL_K:,} below)"
            else:
                extra["tau2"] = f"{ours:.10g} (metafor {got['tau2']:.10g})"
            row = at_most(
                main_name,
                floor_label + (" (> budget)" if bound else ""),
                floor_s,
                target_s,
                "s",
                1.0,
                reproduce=REPRODUCE,
                extra=extra,
            )
            if got is not None and not _agree(ours, got["tau2"]):
                row.met = False
                row.note = "tau² differs from metafor's by more than 1e-6 (relative)"
            found.append(row)
            small = folder / f"studies-{SMALL_K}.csv"
            simulate(SMALL_K, small)
            for model, label in (("plain", ""), ("mods", ", 2 moderators (mixed-effects)")):
                small_row, _ = _timed_row(
                    f"REML meta-analysis{label}, k = {SMALL_K:,} (tau² checked against metafor)",
                    SMALL_K,
                    small,
                    script,
                    model,
                    R_ROUNDS,
                )
                found.append(small_row)

        cli_rounds = 2 if quick else 3
        cli()  # warm the file cache and the imports
        cli_samples = []
        for _ in range(cli_rounds):
            start = time.perf_counter()
            cli()
            cli_samples.append(time.perf_counter() - start)
        cli_s = float(np.median(cli_samples))
        found.append(
            at_most(
                cli_name,
                floor_label + (" (> budget)" if bound else "") + ", same floor as above",
                floor_s,
                cli_s,
                "s",
                1.0,
                reproduce=REPRODUCE,
                extra={
                    "timed": "the whole command as a subprocess: Python start-up, CSV reading, REML fit, Q-profile "
                    "CI of tau², fail-safe N, Egger, rank correlation, trim and fill, JSON report",
                    "not timed on metafor's side": "R's start-up, read.csv, confint, regtest, ranktest, trimfill",
                    "rounds": str(cli_rounds),
                },
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for m in found:
        m.extra.setdefault("peak MB (this process)", f"{peak_rss_mb():.0f}")
    return found


def run(quick: bool = False) -> list[Measure]:
    began = time.monotonic()
    found = measures(quick)
    for m in found:
        m.extra.setdefault("bench s", f"{time.monotonic() - began:.0f}")
        if m.met and not m.note.startswith("skipped"):
            m.note = ""
    return found


if __name__ == "__main__":
    main(run)
