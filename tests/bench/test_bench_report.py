"""What `make bench` reports: the verdict of each measure against its floor, and BENCHMARKS.md's table."""

from __future__ import annotations

import pytest

from bench.common import at_least, at_most, interleaved, skipped
from bench.run import markdown


def test_a_time_is_met_only_within_its_limit_of_the_floor() -> None:
    fast = at_most("page", "static page", 10.0, 29.0, "ms", 3, reproduce="x")
    slow = at_most("page", "static page", 10.0, 31.0, "ms", 3, reproduce="x")
    assert fast.met and fast.ratio == pytest.approx(2.9)
    assert not slow.met and slow.ratio == pytest.approx(3.1)
    assert fast.target == "≤ 3× floor"


def test_a_rate_is_met_only_at_its_share_of_the_floor() -> None:
    assert at_least("submit", "/healthz", 1000.0, 600.0, "req/s", 0.6, reproduce="x").met
    missed = at_least("submit", "/healthz", 1000.0, 599.0, "req/s", 0.6, reproduce="x")
    assert not missed.met and missed.ratio == pytest.approx(0.599)


def test_interleaved_alternates_which_runs_first() -> None:
    order: list[str] = []
    interleaved(lambda: order.append("t"), lambda: order.append("f"), rounds=4, warmup=0)
    assert order == ["f", "t", "t", "f", "f", "t", "t", "f"]


def test_the_report_shows_every_measure_and_states_each_shortfall_with_its_cause() -> None:
    found = [
        at_least(
            "API submit, 8 clients",
            "/healthz",
            800.0,
            200.0,
            "req/s",
            0.6,
            reproduce="bench/a.py",
            note="14 queries per submit",
        ),
        at_most("analyse", "DuckDB", 2.0, 4.0, "s", 3, reproduce="bench/b.py", extra={"memory MB": "900"}),
        skipped("REML vs metafor", "≤ 1× metafor", "bench/c.py", "R is not installed"),
    ]
    text = markdown(found, {"http": 90.0, "meta": 30.0}, quick=False)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3
    assert (
        "| API submit, 8 clients | /healthz | 200 req/s | 800 req/s | 0.25 | ≥ 0.6× floor | **no** |"
        in rows[0]
    )
    assert "memory MB 900" in rows[1] and "| yes |" in rows[1]
    assert "| skipped |" in rows[2]
    assert "**1 met, 1 not met, 1 skipped** of 3 measures; total 2.0 min" in text
    causes = text.split("## Shortfalls and skips, with their causes", 1)[1]
    assert "**API submit, 8 clients**: 14 queries per submit" in causes
    assert "**REML vs metafor**: R is not installed" in causes
