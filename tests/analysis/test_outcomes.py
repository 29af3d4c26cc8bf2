"""Questionnaire scoring, reliable change and NHS Talking Therapies outcomes: hand-checked examples and
hypothesis properties.

Pure tests: no database, no Django settings. The PHQ-9 and GAD-7 definitions are written out here as plain
dicts (scoring only; the shipped instruments carry the full wording).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from emotipal.analysis.outcomes import (
    NhsOutcome,
    jacobson_truax,
    nhs_outcome,
    paired_outcome,
    reliable_change_index_threshold,
    trajectory,
)
from emotipal.definitions.instruments import item_range
from emotipal.definitions.scoring import band_for, score_response

REPO_ROOT = Path(__file__).resolve().parents[2]

FREQUENCY = [
    {"value": 0, "label": "Not at all"},
    {"value": 1, "label": "Several days"},
    {"value": 2, "label": "More than half the days"},
    {"value": 3, "label": "Nearly every day"},
]


def phq9(**extra: Any) -> dict[str, Any]:
    return {
        "key": "phq9",
        "name": "PHQ-9",
        "direction": "lower_is_better",
        "options": FREQUENCY,
        "items": [
            {
                "id": f"phq9_{n}",
                "type": "choice",
                "text": f"PHQ-9 item {n}",
                **({"risk": True} if n == 9 else {}),
            }
            for n in range(1, 10)
        ],
        "scoring": {"method": "sum"},
        "bands": [
            {"min": 0, "max": 4, "label": "Minimal"},
            {"min": 5, "max": 9, "label": "Mild"},
            {"min": 10, "max": 14, "label": "Moderate"},
            {"min": 15, "max": 19, "label": "Moderately severe"},
            {"min": 20, "max": 27, "label": "Severe"},
        ],
        "reliable_change": {"reliability": 0.84, "sd": 5.7},
        "nhs": {"caseness": 10, "reliable_change": 6},
        **extra,
    }


def gad7() -> dict[str, Any]:
    return {
        "key": "gad7",
        "name": "GAD-7",
        "direction": "lower_is_better",
        "options": FREQUENCY,
        "items": [{"id": f"gad7_{n}", "type": "choice", "text": f"GAD-7 item {n}"} for n in range(1, 8)],
        "scoring": {"method": "sum"},
        "bands": [
            {"min": 0, "max": 4, "label": "Minimal"},
            {"min": 5, "max": 9, "label": "Mild"},
            {"min": 10, "max": 14, "label": "Moderate"},
            {"min": 15, "max": 21, "label": "Severe"},
        ],
        "nhs": {"caseness": 8, "reliable_change": 4},
    }


def answers_for(prefix: str, values: list[int | None]) -> dict[str, Any]:
    return {f"{prefix}_{n}": value for n, value in enumerate(values, start=1)}


# --- PHQ-9 and GAD-7 at every band edge --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "Minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "Minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "Mild"),
        ([2, 2, 2, 1, 1, 1, 0, 0, 0], 9, "Mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "Moderate"),
        ([3, 3, 2, 2, 2, 1, 1, 0, 0], 14, "Moderate"),
        ([3, 3, 3, 2, 2, 1, 1, 0, 0], 15, "Moderately severe"),
        ([3, 3, 3, 3, 2, 2, 2, 1, 0], 19, "Moderately severe"),
        ([3, 3, 3, 3, 2, 2, 2, 1, 1], 20, "Severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "Severe"),
    ],
)
def test_phq9_total_and_band_at_every_band_edge(values: list[int], total: int, band: str) -> None:
    assert sum(values) == total  # the vector itself is hand-checked
    score = score_response(phq9(), answers_for("phq9", list(values)))
    assert score.complete
    assert score.total == total
    assert score.band == band
    assert score.answered == score.scored_items == 9
    assert score.missing == ()
    assert not score.prorated
    assert score.risk_items == (("phq9_9",) if values[8] > 0 else ())


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "Minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "Minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "Mild"),
        ([2, 2, 2, 1, 1, 1, 0], 9, "Mild"),
        ([2, 2, 2, 2, 1, 1, 0], 10, "Moderate"),
        ([3, 3, 2, 2, 2, 1, 1], 14, "Moderate"),
        ([3, 3, 3, 2, 2, 1, 1], 15, "Severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "Severe"),
    ],
)
def test_gad7_total_and_band_at_every_band_edge(values: list[int], total: int, band: str) -> None:
    assert sum(values) == total
    score = score_response(gad7(), answers_for("gad7", list(values)))
    assert (score.complete, score.total, score.band) == (True, total, band)
    assert score.risk_items == ()


def test_band_lookup_outside_the_bands_and_without_bands() -> None:
    assert band_for(phq9(), 28) is None
    assert band_for(phq9(), -1) is None
    assert band_for(phq9(), None) is None
    assert band_for({"items": []}, 3) is None


def test_answers_from_forms_and_json_are_accepted_as_whole_numbers() -> None:
    score = score_response(gad7(), {"gad7_1": "3", "gad7_2": 2.0, "gad7_3": " 1 "})
    assert score.answered == 3


# --- partial responses and risk ----------------------------------------------------------------------------


def test_partial_response_with_a_risk_answer_flags_risk_but_has_no_total() -> None:
    score = score_response(phq9(), {"phq9_9": 1})
    assert not score.complete
    assert score.total is None
    assert score.band is None
    assert score.risk_items == ("phq9_9",)
    assert score.answered == 1
    assert score.missing == tuple(f"phq9_{n}" for n in range(1, 9))


def test_risk_item_answered_at_its_lowest_value_is_not_risk() -> None:
    assert score_response(phq9(), {"phq9_9": 0}).risk_items == ()
    assert score_response(phq9(), {}).risk_items == ()


def test_blank_answers_count_as_missing() -> None:
    score = score_response(phq9(), {"phq9_1": None, "phq9_2": "", "phq9_3": 2})
    assert score.answered == 1
    assert "phq9_1" in score.missing and "phq9_2" in score.missing


def test_risk_on_a_reverse_scored_item_uses_the_score() -> None:
    # "I feel safe": 0 = not at all ... 3 = completely; reversed, so "not at all" scores 3 and signals risk.
    definition = {
        "key": "safe",
        "name": "Safe",
        "options": FREQUENCY,
        "items": [
            {"id": "safe", "type": "choice", "text": "I feel safe", "reverse": True, "risk": True},
        ],
    }
    assert score_response(definition, {"safe": 0}).risk_items == ("safe",)
    assert score_response(definition, {"safe": 3}).risk_items == ()


def test_risk_on_items_that_are_not_scored_errs_on_the_side_of_the_alert() -> None:
    definition = {
        "key": "check",
        "name": "Check",
        "items": [
            {
                "id": "plan",
                "type": "choice",
                "text": "Plans?",
                "risk": True,
                "options": [{"value": "no", "label": "No"}, {"value": "yes", "label": "Yes"}],
            },
            {"id": "describe", "type": "long_text", "text": "Tell us more", "risk": True},
            {"id": "times", "type": "number", "text": "How many times?", "risk": True},
        ],
    }
    assert score_response(definition, {"plan": "no", "describe": "  ", "times": 0}).risk_items == ()
    flagged = score_response(definition, {"plan": "yes", "describe": "some thoughts", "times": 2})
    assert flagged.risk_items == ("plan", "describe", "times")
    # No scored items at all: nothing is missing and there is no total.
    assert (flagged.complete, flagged.total, flagged.scored_items) == (True, None, 0)


# --- prorating ---------------------------------------------------------------------------------------------


def test_prorating_rule_worked_example() -> None:
    # One of nine items missing, eight answers totalling 13: 13 / 8 x 9 = 14.625, rounded half up to 15.
    definition = phq9(scoring={"method": "sum", "max_missing": 1})
    score = score_response(definition, answers_for("phq9", [3, 2, 2, 2, None, 1, 1, 1, 1]))
    assert score.complete
    assert score.prorated
    assert score.total == 15
    assert score.band == "Moderately severe"
    assert score.missing == ("phq9_5",)
    assert score.answered == 8


def test_prorating_rounds_an_exact_half_up() -> None:
    # Eight answers totalling 4: 4 / 8 x 9 = 4.5 exactly, which goes up to 5 (Mild); round() would give 4.
    definition = phq9(scoring={"method": "sum", "max_missing": 1})
    score = score_response(definition, answers_for("phq9", [1, 1, 1, 1, 0, 0, 0, 0, None]))
    assert (score.total, score.band) == (5, "Mild")


def test_more_missing_than_allowed_gives_no_total() -> None:
    definition = phq9(scoring={"method": "sum", "max_missing": 1})
    score = score_response(definition, answers_for("phq9", [3, 3, 3, 3, 3, 3, 3, None, None]))
    assert (score.complete, score.total, score.band, score.prorated) == (False, None, None, False)


def test_complete_answers_are_not_prorated_even_when_missing_is_allowed() -> None:
    definition = phq9(scoring={"method": "sum", "max_missing": 2})
    score = score_response(definition, answers_for("phq9", [1] * 9))
    assert (score.total, score.prorated) == (9, False)


def test_prorated_total_stays_within_the_possible_range() -> None:
    # A 0-10 item and a 0-1 item: 10 on the first alone would prorate to 20, more than the maximum of 11.
    definition = {
        "key": "mixed",
        "name": "Mixed",
        "scoring": {"max_missing": 1},
        "items": [
            {"id": "big", "type": "scale", "text": "Big", "min": 0, "max": 10},
            {"id": "small", "type": "scale", "text": "Small", "min": 0, "max": 1},
        ],
    }
    assert score_response(definition, {"big": 10}).total == 11


# --- reverse, mean, restricted and subscale scoring ---------------------------------------------------------


def test_reverse_scoring_on_scale_and_choice_items() -> None:
    definition = {
        "key": "rev",
        "name": "Rev",
        "options": FREQUENCY,
        "items": [
            {"id": "a", "type": "scale", "text": "A", "min": 1, "max": 5},
            {"id": "b", "type": "scale", "text": "B", "min": 1, "max": 5, "reverse": True},
            {"id": "c", "type": "choice", "text": "C", "reverse": True},
        ],
    }
    # a = 5; b = 1 + 5 - 5 = 1; c = 0 + 3 - 0 = 3; total 9.
    assert score_response(definition, {"a": 5, "b": 5, "c": 0}).total == 9
    # a = 2; b = 1 + 5 - 2 = 4; c = 0 + 3 - 3 = 0; total 6.
    assert score_response(definition, {"a": 2, "b": 2, "c": 3}).total == 6


def confidence(**extra: Any) -> dict[str, Any]:
    return {
        "key": "confidence",
        "name": "Confidence",
        "direction": "higher_is_better",
        "items": [
            {"id": f"c{n}", "type": "scale", "text": f"Item {n}", "min": 1, "max": 7} for n in range(1, 5)
        ],
        "scoring": {"method": "mean"},
        "bands": [
            {"min": 1.0, "max": 3.0, "label": "Low"},
            {"min": 3.0, "max": 5.0, "label": "Medium"},
            {"min": 5.0, "max": 7.0, "label": "High"},
        ],
        **extra,
    }


def test_mean_scoring_and_bands_that_share_a_boundary() -> None:
    score = score_response(confidence(), {"c1": 1, "c2": 2, "c3": 4, "c4": 6})
    assert score.total == pytest.approx(13 / 4)  # 3.25
    assert score.band == "Medium"
    # Exactly 3.0 is on the boundary of Low and Medium: the band starting there takes it.
    assert score_response(confidence(), {"c1": 3, "c2": 3, "c3": 3, "c4": 3}).band == "Medium"
    assert score_response(confidence(), {"c1": 7, "c2": 7, "c3": 7, "c4": 7}).band == "High"
    assert score_response(confidence(), {"c1": 1, "c2": 1, "c3": 1, "c4": 1}).band == "Low"


def test_mean_with_missing_items_is_the_mean_of_the_answered_ones() -> None:
    definition = confidence(scoring={"method": "mean", "max_missing": 1})
    score = score_response(definition, {"c1": 2, "c2": 3, "c3": 7})
    assert score.total == pytest.approx(4.0)
    assert score.complete and not score.prorated


def test_scoring_items_restrict_the_total() -> None:
    definition = phq9(scoring={"method": "sum", "items": ["phq9_1", "phq9_2"]})
    score = score_response(definition, {"phq9_1": 3, "phq9_2": 2, "phq9_9": 1})
    assert (score.total, score.scored_items, score.complete) == (5, 2, True)
    assert score.risk_items == ("phq9_9",)  # risk does not depend on the total


def test_subscales_need_all_their_items() -> None:
    definition = phq9(
        subscales=[
            {"key": "somatic", "name": "Somatic", "items": ["phq9_3", "phq9_4", "phq9_5"]},
            {"key": "mood", "name": "Mood", "items": ["phq9_1", "phq9_2"], "method": "mean"},
        ]
    )
    score = score_response(definition, {"phq9_1": 3, "phq9_2": 2, "phq9_3": 1, "phq9_4": 1})
    assert score.subscales == {"somatic": None, "mood": 2.5}
    assert not score.complete  # the subscale does not need the whole questionnaire, the total does
    full = score_response(definition, answers_for("phq9", [3, 2, 1, 1, 2, 0, 0, 0, 0]))
    assert full.subscales == {"somatic": 4.0, "mood": 2.5}


def test_subscale_naming_an_unscored_item_is_an_error() -> None:
    definition = phq9(subscales=[{"key": "bad", "items": ["note"]}])
    definition["items"].append({"id": "note", "type": "short_text", "text": "Anything else?"})
    with pytest.raises(ValueError, match="'note'"):
        score_response(definition, {})


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [4, -1, "4", 1.5, True, "often", [1]])
def test_answer_outside_the_options_names_the_item(value: Any) -> None:
    with pytest.raises(ValueError, match="phq9_3"):
        score_response(phq9(), {"phq9_1": 1, "phq9_3": value})


def test_scale_answer_outside_its_range_names_the_item() -> None:
    with pytest.raises(ValueError, match=r"'c2'.*outside its range 1 to 7"):
        score_response(confidence(), {"c1": 1, "c2": 8})
    with pytest.raises(ValueError, match="'c1'"):
        score_response(confidence(), {"c1": 0})


def test_unknown_items_and_bad_unscored_answers_are_rejected() -> None:
    with pytest.raises(ValueError, match="phq9_10"):
        score_response(phq9(), {"phq9_10": 1})
    definition = {
        "key": "x",
        "name": "X",
        "items": [
            {
                "id": "mood",
                "type": "choice",
                "text": "Mood",
                "options": [{"value": "low", "label": "Low"}, {"value": "ok", "label": "OK"}],
            },
            {"id": "hours", "type": "number", "text": "Hours slept", "min": 0, "max": 24},
        ],
    }
    with pytest.raises(ValueError, match="'mood'"):
        score_response(definition, {"mood": "great"})
    with pytest.raises(ValueError, match="'hours'"):
        score_response(definition, {"hours": 25})
    with pytest.raises(ValueError, match="'hours'"):
        score_response(definition, {"hours": "lots"})


# --- reliable change (Jacobson & Truax) --------------------------------------------------------------------

# The worked examples use sd 5.7 and reliability 0.84: illustrative inputs of PHQ-9-like size (the
# instrument's own values are configured per instrument), chosen so the arithmetic is easy to follow:
#   s_diff    = sqrt(2) x 5.7 x sqrt(1 - 0.84) = 1.41421356 x 5.7 x 0.4 = 1.41421356 x 2.28 = 3.22440692
#   threshold = 1.96 x 3.22440692 = 6.31983757 points of raw change
S_DIFF = 3.22440692
RAW_THRESHOLD = 6.31983757


def test_rci_worked_example_reliable_improvement() -> None:
    # 20 -> 10: change -10; rci = -10 / 3.22440692 = -3.10134 (beyond -1.96: reliable, and lower is better).
    change = jacobson_truax(20, 10, sd=5.7, reliability=0.84)
    assert change.rci == pytest.approx(-3.10134, abs=1e-5)
    assert change.s_diff == pytest.approx(S_DIFF)
    assert change.threshold == 1.96
    assert change.change == -10
    assert change.status == "reliable_improvement"


def test_rci_worked_examples_no_change_and_deterioration() -> None:
    # 20 -> 15: rci = -5 / 3.22440692 = -1.55067, within 1.96: no reliable change.
    small = jacobson_truax(20, 15, sd=5.7, reliability=0.84)
    assert small.rci == pytest.approx(-1.55067, abs=1e-5)
    assert small.status == "no_reliable_change"
    # 10 -> 17: rci = 7 / 3.22440692 = 2.17094: reliable, and up is worse on a symptom scale.
    worse = jacobson_truax(10, 17, sd=5.7, reliability=0.84)
    assert worse.rci == pytest.approx(2.17094, abs=1e-5)
    assert worse.status == "reliable_deterioration"
    # On a higher-is-better scale the same rise is an improvement.
    assert jacobson_truax(10, 17, sd=5.7, reliability=0.84, direction="higher_is_better").status == (
        "reliable_improvement"
    )


def test_reliable_change_threshold_worked_example() -> None:
    assert reliable_change_index_threshold(5.7, 0.84) == pytest.approx(RAW_THRESHOLD)
    # Changes of 6 and 7 points fall either side of 6.32.
    assert jacobson_truax(20, 14, sd=5.7, reliability=0.84).status == "no_reliable_change"
    assert jacobson_truax(20, 13, sd=5.7, reliability=0.84).status == "reliable_improvement"


def test_definition_blocks_pass_straight_through() -> None:
    definition = phq9()
    change = jacobson_truax(20, 10, **definition["reliable_change"], direction=definition["direction"])
    assert change.status == "reliable_improvement"
    assert nhs_outcome(15, 9, **definition["nhs"]).reliable_recovery


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sd": 0, "reliability": 0.8},
        {"sd": -1, "reliability": 0.8},
        {"sd": 5, "reliability": 1.0},
        {"sd": 5, "reliability": -0.1},
        {"sd": math.nan, "reliability": 0.8},
        {"sd": 5, "reliability": 0.8, "direction": "up"},
    ],
)
def test_rci_rejects_impossible_parameters(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        jacobson_truax(10, 5, **kwargs)


def test_rci_rejects_missing_scores() -> None:
    with pytest.raises(ValueError, match="after"):
        jacobson_truax(10, math.nan, sd=5, reliability=0.8)


# --- NHS Talking Therapies ---------------------------------------------------------------------------------


def flags(outcome: Any) -> tuple[bool, ...]:
    return (
        outcome.case_at_start,
        outcome.case_at_end,
        outcome.reliable_improvement,
        outcome.reliable_deterioration,
        outcome.recovery,
        outcome.reliable_recovery,
    )


#              start, end,   impr.,  det.,   recov., rel. recov.
@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (15, 9, (True, False, True, False, True, True)),  # down 6 (exactly reliable), below 10 at the end
        (15, 10, (True, True, False, False, False, False)),  # down 5; 10 is still caseness
        (10, 9, (True, False, False, False, True, False)),  # recovered, but by 1 point only
        (9, 3, (False, False, True, False, False, False)),  # reliable improvement, never a case
        (9, 15, (False, True, False, True, False, False)),  # up 6: reliable deterioration
        (9, 14, (False, True, False, False, False, False)),  # up 5: not reliable
        (12, 12, (True, True, False, False, False, False)),
    ],
)
def test_nhs_outcome_on_the_phq9(before: float, after: float, expected: tuple[bool, ...]) -> None:
    assert flags(nhs_outcome(before, after, caseness=10, reliable_change=6)) == expected


def test_nhs_outcome_on_a_higher_is_better_measure() -> None:
    # A wellbeing scale where 40 or less is a case and 3 points is reliable: 38 -> 45 recovers reliably.
    outcome = nhs_outcome(38, 45, caseness=40, reliable_change=3, direction="higher_is_better")
    assert flags(outcome) == (True, False, True, False, True, True)
    assert flags(nhs_outcome(45, 41, caseness=40, reliable_change=3, direction="higher_is_better")) == (
        False,
        False,
        False,
        True,
        False,
        False,
    )


#              start, end,   impr.,  det.,   recov., rel. recov.
@pytest.mark.parametrize(
    ("phq", "gad", "expected"),
    [
        # PHQ-9 down exactly 6 to below 10; GAD-7 from exactly 8 to 7: both recovered, reliably.
        ((10, 4), (8, 7), (True, False, True, False, True, True)),
        # Caseness at the start on the GAD-7 alone (exactly 8); GAD-7 down exactly 4.
        ((9, 9), (8, 4), (True, False, True, False, True, True)),
        # Neither at caseness at the start (PHQ-9 9, GAD-7 7): no recovery possible, but reliable improvement.
        ((9, 3), (7, 7), (False, False, True, False, False, False)),
        # PHQ-9 recovers by 5 (not reliable), GAD-7 unchanged below caseness: recovery, not reliable.
        ((10, 5), (7, 7), (True, False, False, False, True, False)),
        # PHQ-9 improves reliably (6) but GAD-7 deteriorates reliably (4): neither, and GAD-7 9 is a case.
        ((12, 6), (5, 9), (True, True, False, False, False, False)),
        # PHQ-9 recovers reliably but GAD-7 ends exactly at caseness 8: not recovered.
        ((16, 9), (9, 8), (True, True, True, False, False, False)),
        # PHQ-9 ends exactly at caseness 10 with GAD-7 fine: not recovered.
        ((16, 10), (6, 2), (True, True, True, False, False, False)),
        # PHQ-9 up exactly 6, GAD-7 up 3: reliable deterioration.
        ((5, 11), (3, 6), (False, True, False, True, False, False)),
        # Up 5 and 3: just short of reliable on both.
        ((5, 10), (3, 6), (False, True, False, False, False, False)),
    ],
)
def test_paired_outcome_edge_cases(
    phq: tuple[int, int], gad: tuple[int, int], expected: tuple[bool, ...]
) -> None:
    outcome = paired_outcome(phq[0], phq[1], gad[0], gad[1])
    assert flags(outcome) == expected
    assert outcome.phq9 == nhs_outcome(phq[0], phq[1], caseness=10, reliable_change=6)
    assert outcome.gad7 == nhs_outcome(gad[0], gad[1], caseness=8, reliable_change=4)


# --- trajectory --------------------------------------------------------------------------------------------


def test_trajectory_compares_every_point_with_the_earliest() -> None:
    d = dt.date
    points = [(d(2025, 2, 12), 27.0), (d(2025, 1, 1), 20.0), (d(2025, 1, 29), 9.0), (d(2025, 1, 15), 14.0)]
    result = trajectory(
        points, sd=5.7, reliability=0.84, direction="lower_is_better", caseness=10, reliable_change=6
    )
    assert [p.date for p in result] == [d(2025, 1, 1), d(2025, 1, 15), d(2025, 1, 29), d(2025, 2, 12)]
    assert [p.change for p in result] == [0, -6, -11, 7]
    # 6 points is below the Jacobson-Truax threshold of 6.32 but meets the NHS reliable change of 6.
    assert [p.status for p in result] == [
        "no_reliable_change",
        "no_reliable_change",
        "reliable_improvement",
        "reliable_deterioration",
    ]
    assert result[1].rci == pytest.approx(-6 / S_DIFF)
    nhs = [p.nhs for p in result]
    assert all(isinstance(n, NhsOutcome) for n in nhs)
    assert [n.reliable_improvement for n in nhs if n] == [False, True, True, False]
    assert [n.reliable_recovery for n in nhs if n] == [False, False, True, False]
    assert [n.reliable_deterioration for n in nhs if n] == [False, False, False, True]


def test_trajectory_without_nhs_thresholds_and_when_empty() -> None:
    result = trajectory(
        [(dt.date(2025, 1, 1), 5), (dt.date(2025, 2, 1), 6)],
        sd=4,
        reliability=0.8,
        direction="higher_is_better",
    )
    assert [p.nhs for p in result] == [None, None]
    assert trajectory([], sd=4, reliability=0.8, direction="lower_is_better") == []
    with pytest.raises(ValueError, match="both"):
        trajectory([], sd=4, reliability=0.8, direction="lower_is_better", caseness=10)


# --- hypothesis properties ---------------------------------------------------------------------------------


@st.composite
def scored_item(draw: st.DrawFn, n: int) -> dict[str, Any]:
    low = draw(st.integers(0, 2))
    high = low + draw(st.integers(1, 4))
    item: dict[str, Any] = {"id": f"i{n}", "text": f"Item {n}", "reverse": draw(st.booleans())}
    item["risk"] = draw(st.booleans())
    if draw(st.booleans()):
        item.update(type="scale", min=low, max=high)
    else:
        item.update(type="choice", options=[{"value": v, "label": str(v)} for v in range(low, high + 1)])
    return item


@st.composite
def definition_and_answers(
    draw: st.DrawFn, blanks: bool = True, methods: tuple[str, ...] = ("sum", "mean")
) -> tuple[dict[str, Any], dict[str, Any]]:
    count = draw(st.integers(1, 8))
    items = [draw(scored_item(n)) for n in range(count)]
    scoring = {"method": draw(st.sampled_from(methods)), "max_missing": draw(st.integers(0, count))}
    answers: dict[str, Any] = {}
    for item in items:
        low, high = item_range({}, item)
        values = st.integers(low, high)
        answers[item["id"]] = draw(st.none() | values if blanks else values)
    return {"key": "gen", "name": "Gen", "items": items, "scoring": scoring}, answers


@given(definition_and_answers())
def test_total_lies_within_the_possible_range(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    definition, answers = case
    score = score_response(definition, answers)
    ranges = [item_range(definition, item) for item in definition["items"]]
    if score.total is None:
        return
    if definition["scoring"]["method"] == "sum":
        assert sum(lo for lo, _ in ranges) <= score.total <= sum(hi for _, hi in ranges)
        assert float(score.total).is_integer()
    else:
        assert min(lo for lo, _ in ranges) <= score.total <= max(hi for _, hi in ranges)


@given(definition_and_answers())
def test_complete_exactly_when_few_enough_items_are_missing(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    definition, answers = case
    score = score_response(definition, answers)
    assert score.answered + len(score.missing) == score.scored_items == len(definition["items"])
    assert score.missing == tuple(k for k, v in answers.items() if v is None)
    # A total also needs at least one answer, even when everything may be missing.
    assert score.complete == (
        len(score.missing) <= definition["scoring"]["max_missing"] and score.answered > 0
    )
    assert (score.total is not None) == score.complete
    assert score.prorated == (
        score.complete and bool(score.missing) and definition["scoring"]["method"] == "sum"
    )


@given(definition_and_answers(blanks=False, methods=("sum",)))
def test_complete_sum_is_the_plain_sum_of_item_scores(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    definition, answers = case
    expected = 0
    for item in definition["items"]:
        low, high = item_range(definition, item)
        value = answers[item["id"]]
        expected += low + high - value if item["reverse"] else value
    assert score_response(definition, answers).total == expected


@given(definition_and_answers())
def test_risk_items_are_the_risk_items_scored_above_their_lowest(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    definition, answers = case
    expected = []
    for item in definition["items"]:
        value = answers[item["id"]]
        low, high = item_range(definition, item)
        if item["risk"] and value is not None and (low + high - value if item["reverse"] else value) > low:
            expected.append(item["id"])
    assert score_response(definition, answers).risk_items == tuple(expected)


finite = st.floats(-100, 100, allow_nan=False)
sds = st.floats(0.1, 20)
reliabilities = st.floats(0, 0.99)


@given(finite, finite, sds, reliabilities)
def test_rci_sign_and_symmetry(before: float, after: float, sd: float, reliability: float) -> None:
    forward = jacobson_truax(before, after, sd=sd, reliability=reliability)
    backward = jacobson_truax(after, before, sd=sd, reliability=reliability)
    assert forward.rci == pytest.approx(-backward.rci)
    assert math.copysign(1, forward.rci) == math.copysign(1, after - before) or forward.rci == 0
    swapped = {
        "reliable_improvement": "reliable_deterioration",
        "reliable_deterioration": "reliable_improvement",
    }
    assert backward.status == swapped.get(forward.status, forward.status)
    flipped = jacobson_truax(before, after, sd=sd, reliability=reliability, direction="higher_is_better")
    assert flipped.rci == forward.rci
    assert flipped.status == swapped.get(forward.status, forward.status)


@given(finite, finite, sds, reliabilities)
def test_rci_status_agrees_with_the_raw_threshold(
    before: float, after: float, sd: float, reliability: float
) -> None:
    threshold = reliable_change_index_threshold(sd, reliability)
    assume(abs(abs(after - before) - threshold) > 1e-6)  # keep clear of float ties at the boundary
    status = jacobson_truax(before, after, sd=sd, reliability=reliability).status
    assert (status != "no_reliable_change") == (abs(after - before) > threshold)


scores_0_27 = st.integers(0, 27)
scores_0_21 = st.integers(0, 21)


@given(scores_0_27, scores_0_27, scores_0_21, scores_0_21)
def test_paired_outcome_is_consistent(pb: int, pa: int, gb: int, ga: int) -> None:
    outcome = paired_outcome(pb, pa, gb, ga)
    assert not (outcome.reliable_improvement and outcome.reliable_deterioration)
    assert outcome.reliable_recovery == (outcome.recovery and outcome.reliable_improvement)
    assert outcome.recovery == (outcome.case_at_start and not outcome.case_at_end)
    # Swapping start and end swaps improvement and deterioration.
    back = paired_outcome(pa, pb, ga, gb)
    assert (back.reliable_improvement, back.reliable_deterioration) == (
        outcome.reliable_deterioration,
        outcome.reliable_improvement,
    )
