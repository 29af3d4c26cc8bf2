"""The allocation log: a replay of an honest log gets the same arms; a tampered arm, state, factor or sequence
number is found and named; the downloadable document and its command line; hypothesis properties."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.trials.allocation import (
    ArmSpec,
    Design,
    DesignError,
    LogEntry,
    TableRow,
    allocate,
    log_document,
    main,
    read_log_document,
    replay,
    replay_document,
)
from tests.analysis.trials.allocation_sim import FACTORS, participants, run

ARMS = (ArmSpec("control"), ArmSpec("emotipal", 2), ArmSpec("waitlist"))


def design(method: str, seed: int = 5) -> Design:
    factors = FACTORS if method in ("stratified", "minimisation") else ()
    return Design(
        method=method, arms=ARMS, seed=seed, factors=factors, weights={"site": 2.0} if factors else {}
    )


@pytest.mark.parametrize("method", ("simple", "blocks", "stratified", "minimisation"))
def test_a_replayed_log_gets_the_same_arms(method: str) -> None:
    d = design(method)
    results, log = run(d, participants(8, 150))
    outcome = replay(d, log)
    assert outcome.ok and outcome.checked == 150 and outcome.diverges_at is None, outcome.reason
    # The log as a platform stores it (JSON in a database) replays as well.
    stored = [LogEntry.from_json(json.loads(json.dumps(entry.to_json()))) for entry in log]
    assert replay(d, stored).ok
    # Each entry alone replays from its recorded state and inputs.
    for entry, result in zip(stored, results, strict=True):
        assert allocate(d, entry.state_before, entry.sequence, entry.factors).arm == result.arm == entry.arm


def tampered(log: list[LogEntry], index: int, **change: Any) -> list[LogEntry]:
    changed = list(log)
    changed[index] = dataclasses.replace(log[index], **change)
    return changed


@pytest.mark.parametrize("method", ("simple", "blocks", "stratified", "minimisation"))
def test_a_tampered_arm_is_found_at_its_sequence(method: str) -> None:
    d = design(method)
    _, log = run(d, participants(9, 60))
    other = next(arm.key for arm in ARMS if arm.key != log[40].arm)
    outcome = replay(d, tampered(log, 40, arm=other))
    assert not outcome.ok and outcome.diverges_at == 41 and outcome.checked == 40
    assert (outcome.expected_arm, outcome.logged_arm) == (log[40].arm, other)
    assert "Allocation 41" in outcome.reason and f"'{other}'" in outcome.reason


@pytest.mark.parametrize("method", ("simple", "blocks", "stratified", "minimisation"))
def test_a_tampered_state_is_found_and_the_changed_entry_named(method: str) -> None:
    d = design(method)
    _, log = run(d, participants(10, 60))
    state = copy.deepcopy(dict(log[30].state_before))
    state["arm_counts"]["control"] += 1
    outcome = replay(d, tampered(log, 30, state_before=state))
    assert not outcome.ok and outcome.diverges_at == 31 and outcome.checked == 30
    assert "Allocation 31" in outcome.reason and "arm_counts.control" in outcome.reason


def test_a_tampered_block_is_found() -> None:
    d = design("stratified")
    _, log = run(d, participants(11, 80))
    index = next(
        i
        for i, entry in enumerate(log)
        if i > 20 and any(s["remaining"] for s in entry.state_before["strata"].values())
    )
    state = copy.deepcopy(dict(log[index].state_before))
    key = next(k for k, s in state["strata"].items() if s["remaining"])
    state["strata"][key]["remaining"][0] = (
        "control" if state["strata"][key]["remaining"][0] != "control" else "waitlist"
    )
    outcome = replay(d, tampered(log, index, state_before=state))
    assert outcome.diverges_at == index + 1 and "remaining[0]" in outcome.reason


def test_tampered_factors_are_found_no_later_than_the_next_entry() -> None:
    d = design("minimisation")
    _, log = run(d, participants(12, 60))
    factors = dict(log[25].factors, site="elsewhere")
    outcome = replay(d, tampered(log, 25, factors=factors))
    assert not outcome.ok and outcome.diverges_at in (26, 27)
    outcome = replay(d, tampered(log, 25, factors={"site": "north"}))
    assert outcome.diverges_at == 26 and "'phq9_band'" in outcome.reason


def test_a_skipped_or_repeated_sequence_number_is_named() -> None:
    d = design("blocks")
    _, log = run(d, participants(13, 30))
    skipped = log[:10] + log[11:]
    outcome = replay(d, skipped)
    assert not outcome.ok and outcome.diverges_at == 12 and outcome.checked == 10
    assert "expected 11" in outcome.reason and "skips" in outcome.reason
    repeated = [*log[:10], log[9], *log[10:]]
    outcome = replay(d, repeated)
    assert outcome.diverges_at == 10 and "expected 11" in outcome.reason and "repeats" in outcome.reason
    late_start = log[1:]
    assert replay(d, late_start).diverges_at == 2


def test_an_empty_log_replays() -> None:
    assert replay(design("simple"), []).ok


def test_the_log_document_round_trips_and_the_command_line_replays_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = design("minimisation")
    _, log = run(d, participants(14, 40))
    document = log_document(d, log, experiment="pilot")
    text = json.dumps(document)
    extra = json.loads(text)
    for entry in extra["entries"]:
        entry["triggered_by"], entry["at"] = "therapist 3", "2026-01-05T10:00:00Z"  # the platform adds these
    assert read_log_document(extra) == (d, tuple(log))
    assert replay_document(extra).ok
    path = tmp_path / "log.json"
    path.write_text(json.dumps(extra), encoding="utf-8")
    assert main([str(path)]) == 0
    assert "All 40 allocations replay" in capsys.readouterr().out
    extra["entries"][7]["arm"] = "waitlist" if extra["entries"][7]["arm"] != "waitlist" else "control"
    path.write_text(json.dumps(extra), encoding="utf-8")
    assert main([str(path)]) == 1
    assert "Allocation 8" in capsys.readouterr().out
    path.write_text("{}", encoding="utf-8")
    assert main([str(path)]) == 2
    assert "not an EmotiPal allocation log" in capsys.readouterr().err
    with pytest.raises(DesignError, match="no 'arm'"):
        LogEntry.from_json({"sequence": 1, "state_before": {}})


# --- Properties -------------------------------------------------------------------------------------------

LEVELS = {"site": ("a", "b", "c"), "phq9_band": ("mild", "severe"), "language": ("en", "es")}


@st.composite
def designs(draw: st.DrawFn) -> Design:
    method = draw(st.sampled_from(("simple", "blocks", "stratified", "minimisation", "table")))
    n_arms = draw(st.integers(2, 4))
    arms = tuple(ArmSpec(f"arm{i}", draw(st.integers(1, 3))) for i in range(n_arms))
    factors = tuple(draw(st.lists(st.sampled_from(FACTORS), min_size=1, max_size=3, unique=True)))
    table: tuple[TableRow, ...] = ()
    if method == "table":
        columns = factors[:1]
        table = tuple(
            TableRow(draw(st.sampled_from([a.key for a in arms])), {c: level for c in columns})
            for level in LEVELS[columns[0]]
            for _ in range(40)
        )
    return Design(
        method=method,
        arms=arms,
        seed=draw(st.integers(0, 2**64 - 1)),
        block_multiples=tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))),
        factors=factors,
        weights={name: draw(st.floats(0.1, 5)) for name in factors if draw(st.booleans())},
        imbalance=draw(st.sampled_from(("range", "variance"))),
        p_best=draw(st.sampled_from((0.6, 0.8, 0.9, 1.0))),
        table=table,
    )


people = st.lists(
    st.fixed_dictionaries({name: st.sampled_from(levels) for name, levels in LEVELS.items()}), max_size=30
)


@settings(max_examples=60, deadline=None)
@given(designs(), people)
def test_every_allocation_is_an_arm_and_every_log_replays(d: Design, group: list[dict[str, str]]) -> None:
    results, log = run(d, group)
    keys = {arm.key for arm in d.arms}
    assert all(result.arm in keys for result in results)
    assert replay(d, log).ok
    assert Design.from_json(json.loads(json.dumps(d.to_json()))) == d
    for result in results:
        if "probabilities" in result.detail:
            assert sum(result.detail["probabilities"].values()) == pytest.approx(1)
            assert result.detail["probabilities"][result.arm] > 0
