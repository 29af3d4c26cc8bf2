"""The guideline steps' arithmetic: phases, steps that do not apply, missed steps in order."""

from __future__ import annotations

import pytest

from emotipal.definitions.competence import (
    OBSERVER_ITEMS,
    OBSERVER_SCALE,
    PHASES,
    STEP_KEYS,
    missed,
    score,
    steps_of,
)


def test_every_phase_has_steps_and_every_key_is_unique() -> None:
    assert len(set(STEP_KEYS)) == len(STEP_KEYS)
    assert all(steps_of(phase) for phase in PHASES)
    assert {item.phase for item in OBSERVER_ITEMS} == set(PHASES)
    assert all(set(item.anchors) == set(OBSERVER_SCALE) for item in OBSERVER_ITEMS)


def test_score_counts_done_out_of_applicable() -> None:
    result = score({"goal_linked", "rationale_given", "obstacles_anticipated"}, {"client_view_first"})
    assert (result["design"].done, result["design"].applicable) == (2, 3)
    assert (result["plan"].done, result["plan"].applicable) == (1, 6)
    assert (result["review"].done, result["review"].applicable) == (0, 3)
    assert result["design"].share == pytest.approx(2 / 3)


def test_a_phase_where_nothing_applies_has_no_share() -> None:
    review_keys = {s.key for s in steps_of("review")}
    assert score(set(), review_keys)["review"].share is None


def test_missed_lists_applicable_steps_not_done_in_guideline_order() -> None:
    done = set(STEP_KEYS) - {"backup_plan", "goal_linked", "client_view_first"}
    assert [s.key for s in missed(done, {"client_view_first"})] == ["goal_linked", "backup_plan"]


def test_unknown_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        score({"made_up"})
