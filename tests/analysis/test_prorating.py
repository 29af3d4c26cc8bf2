"""The documented prorating rule on the shipped PHQ-9 and GAD-7: at most one item missing, mean of the answered
items x the number of items, rounded half up; two missing, no total; the risk item is never filled in."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from emotipal.definitions.scoring import score_response

INSTRUMENTS = Path(__file__).resolve().parents[2] / "emotipal" / "measures" / "instruments"


def shipped(key: str) -> dict[str, Any]:
    return dict(yaml.safe_load((INSTRUMENTS / f"{key}.yaml").read_text(encoding="utf-8")))


PHQ9, GAD7 = shipped("phq9"), shipped("gad7")


def answers(prefix: str, values: list[int | None]) -> dict[str, Any]:
    return {f"{prefix}_{i + 1}": v for i, v in enumerate(values) if v is not None}


def test_one_missing_phq9_item_is_prorated_and_rounded_half_up() -> None:
    # Eight answers totalling 12: 12 / 8 x 9 = 13.5, rounded half up to 14, a moderate score.
    score = score_response(PHQ9, answers("phq9", [None, 2, 2, 2, 2, 1, 1, 1, 1]))
    assert score.prorated and score.complete and score.total == 14 and score.band == "Moderate"
    assert score.missing == ("phq9_1",)


def test_prorating_at_the_caseness_edge() -> None:
    # Eight answered items totalling 8 prorate to 9 (below caseness); totalling 9 they prorate to 10.125 -> 10.
    eight = score_response(PHQ9, answers("phq9", [None, 1, 1, 1, 1, 1, 1, 1, 1]))
    nine = score_response(PHQ9, answers("phq9", [None, 2, 1, 1, 1, 1, 1, 1, 1]))
    assert (eight.total, eight.band, nine.total, nine.band) == (9, "Mild", 10, "Moderate")


def test_two_missing_items_give_no_total() -> None:
    for definition, prefix, n in ((PHQ9, "phq9", 9), (GAD7, "gad7", 7)):
        values: list[int | None] = [3] * n
        values[0] = values[1] = None
        score = score_response(definition, answers(prefix, values))
        assert (score.complete, score.total, score.band, score.prorated) == (False, None, None, False)


def test_one_missing_gad7_item_exact_half_goes_up() -> None:
    # Six answers totalling 9: 9 / 6 x 7 = 10.5 -> 11; totalling 3: 3.5 -> 4.
    assert score_response(GAD7, answers("gad7", [None, 2, 2, 2, 1, 1, 1])).total == 11
    assert score_response(GAD7, answers("gad7", [None, 1, 1, 1, 0, 0, 0])).total == 4


def test_complete_answers_are_never_marked_prorated() -> None:
    score = score_response(GAD7, answers("gad7", [1, 1, 1, 1, 1, 1, 1]))
    assert (score.total, score.prorated) == (7, False)


@pytest.mark.parametrize(("definition", "prefix", "n"), [(PHQ9, "phq9", 9), (GAD7, "gad7", 7)])
def test_every_one_item_gap_follows_the_rule(definition: dict[str, Any], prefix: str, n: int) -> None:
    # The first, a middle and the last item missing (the last is the PHQ-9's risk item), with every pattern
    # of the other answers on the values 0, 1 and 3 (every total, so every remainder of the division).
    for gap in (0, n // 2, n - 1):
        for values in itertools.product((0, 1, 3), repeat=n - 1):
            given: list[int | None] = list(values)
            given.insert(gap, None)
            score = score_response(definition, answers(prefix, given))
            expected = math.floor(Fraction(sum(values) * n, n - 1) + Fraction(1, 2))
            assert (score.total, score.prorated) == (expected, True)


def test_an_unanswered_risk_item_is_never_prorated_into_a_risk_answer() -> None:
    # Item 9 unanswered, the rest high: the total is prorated (24 / 8 x 9 = 27) but no risk item is flagged.
    high = score_response(PHQ9, answers("phq9", [3, 3, 3, 3, 3, 3, 3, 3, None]))
    assert (high.total, high.prorated, high.risk_items, high.missing) == (27, True, (), ("phq9_9",))
    # Item 9 answered with another item missing: the risk answer stands as given.
    risky = score_response(PHQ9, answers("phq9", [None, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert (risky.total, risky.risk_items) == (1, ("phq9_9",))
