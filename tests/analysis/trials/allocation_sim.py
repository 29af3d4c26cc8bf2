"""Simulated participants and allocation runs for the allocation engine's tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from emotipal.analysis.trials.allocation import Allocated, Design, LogEntry, allocate, initial_state

SITES = ("north", "south", "east", "west")
PHQ9_BANDS = ("mild", "moderate", "moderately severe", "severe")
LANGUAGES = ("en", "es", "ar")
FACTORS = ("site", "phq9_band", "language")


def participants(seed: int, n: int) -> list[dict[str, str]]:
    """``n`` participants with unevenly distributed site, PHQ-9 band and language."""
    rng = np.random.default_rng(seed)
    sites = rng.choice(SITES, n, p=[0.4, 0.3, 0.2, 0.1])
    bands = rng.choice(PHQ9_BANDS, n, p=[0.35, 0.3, 0.2, 0.15])
    languages = rng.choice(LANGUAGES, n, p=[0.6, 0.3, 0.1])
    return [
        {"site": str(s), "phq9_band": str(b), "language": str(lang)}
        for s, b, lang in zip(sites, bands, languages, strict=True)
    ]


def run(design: Design, people: Sequence[Mapping[str, str]]) -> tuple[list[Allocated], list[LogEntry]]:
    """Allocate everyone in order; the results and the log a platform would keep."""
    state = initial_state(design)
    results: list[Allocated] = []
    log: list[LogEntry] = []
    for sequence, person in enumerate(people, start=1):
        result = allocate(design, state, sequence, person)
        log.append(LogEntry(sequence=sequence, factors=dict(person), arm=result.arm, state_before=state))
        results.append(result)
        state = result.state
    return results, log


def arms_of(design: Design, people: Sequence[Mapping[str, str]]) -> list[str]:
    return [result.arm for result in run(design, people)[0]]
