"""The NHS Talking Therapies outcome on the PHQ-9 and GAD-7 together: every band edge of the pair, the issue's
example, an exhaustive comparison with a hand-written reference of the rule, and how the pair of scores is
chosen from a client's responses. Pure tests: no database, no Django."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emotipal.analysis import paired_outcomes as paired
from emotipal.analysis.outcomes import nhs_outcome, paired_outcome
from emotipal.analysis.paired_outcomes import Scored, occasions, paired_course

PHQ9_RANGE = range(28)
GAD7_RANGE = range(22)


def reference(p0: int, p1: int, g0: int, g1: int) -> tuple[bool, bool, bool, bool, bool, bool]:
    """The rule as the NHS Talking Therapies Manual states it, written out independently of the code.

    (case at start, case at end, reliable improvement, reliable deterioration, recovery, reliable recovery)
    """
    phq_better, gad_better = p0 - p1 >= 6, g0 - g1 >= 4  # PHQ-9 down 6 or more, GAD-7 down 4 or more
    phq_worse, gad_worse = p1 - p0 >= 6, g1 - g0 >= 4
    case_start = p0 >= 10 or g0 >= 8
    case_end = p1 >= 10 or g1 >= 8
    improved = (phq_better and not gad_worse) or (gad_better and not phq_worse)
    worse = (phq_worse and not gad_better) or (gad_worse and not phq_better)
    recovered = case_start and not case_end
    return case_start, case_end, improved, worse, recovered, recovered and improved


def flags(p0: int, p1: int, g0: int, g1: int) -> tuple[bool, ...]:
    o = paired_outcome(p0, p1, g0, g1)
    return (
        o.case_at_start,
        o.case_at_end,
        o.reliable_improvement,
        o.reliable_deterioration,
        o.recovery,
        o.reliable_recovery,
    )


def test_issue_example_phq9_recovers_but_gad7_stays_at_caseness() -> None:
    # PHQ-9 15 -> 5 alone would read "reliable recovery"; with GAD-7 12 -> 10 the client is still a case.
    outcome = paired_outcome(15, 5, 12, 10)
    assert nhs_outcome(15, 5, caseness=10, reliable_change=6).reliable_recovery  # what the card used to say
    assert not outcome.recovery and not outcome.reliable_recovery
    assert (
        outcome.case_at_end and outcome.reliable_improvement
    )  # improved reliably on the PHQ-9, no worse on GAD-7
    assert paired.recovery_headline(outcome) == paired.NOT_RECOVERED


#   (PHQ-9 first, last), (GAD-7 first, last): (start case, end case, impr., det., recovery, reliable recovery)
EDGES = [
    # Caseness at the start: PHQ-9 9/10 with GAD-7 below (7); GAD-7 7/8 with PHQ-9 below (9).
    ((9, 9), (7, 7), (False, False, False, False, False, False)),
    ((10, 9), (7, 7), (True, False, False, False, True, False)),
    ((9, 9), (8, 7), (True, False, False, False, True, False)),
    # Caseness at the end: PHQ-9 ends at 9 (below) or 10 (case); GAD-7 ends at 7 or 8.
    ((16, 9), (7, 7), (True, False, True, False, True, True)),
    ((16, 10), (7, 7), (True, True, True, False, False, False)),
    ((9, 9), (12, 7), (True, False, True, False, True, True)),
    ((9, 9), (12, 8), (True, True, True, False, False, False)),
    # PHQ-9 reliable change edge: down 5 is not reliable, down 6 is; up 5 is not, up 6 is.
    ((15, 10), (5, 5), (True, True, False, False, False, False)),
    ((15, 9), (5, 5), (True, False, True, False, True, True)),
    ((4, 9), (5, 5), (False, False, False, False, False, False)),
    ((4, 10), (5, 5), (False, True, False, True, False, False)),
    # GAD-7 reliable change edge: down 3 / 4, up 3 / 4.
    ((5, 5), (10, 7), (True, False, False, False, True, False)),
    ((5, 5), (11, 7), (True, False, True, False, True, True)),
    ((5, 5), (3, 6), (False, False, False, False, False, False)),
    ((5, 5), (3, 7), (False, False, False, True, False, False)),
    # The other measure moving the other way: a reliable change on one with a reliable change the other way
    # on the other is neither improvement nor deterioration; just short of reliable the other way, it counts.
    ((16, 10), (3, 7), (True, True, False, False, False, False)),  # PHQ-9 -6, GAD-7 +4
    ((16, 10), (3, 6), (True, True, True, False, False, False)),  # PHQ-9 -6, GAD-7 +3
    ((16, 11), (3, 7), (True, True, False, True, False, False)),  # PHQ-9 -5, GAD-7 +4
    ((4, 10), (12, 8), (True, True, False, False, False, False)),  # PHQ-9 +6, GAD-7 -4
    ((4, 10), (11, 8), (True, True, False, True, False, False)),  # PHQ-9 +6, GAD-7 -3
    ((4, 9), (12, 8), (True, True, True, False, False, False)),  # PHQ-9 +5, GAD-7 -4
    # Recovery with the improvement coming from the other measure only (PHQ-9 at caseness, unchanged-ish).
    ((10, 9), (12, 4), (True, False, True, False, True, True)),
    # Both reliably better, both still at caseness.
    ((27, 20), (21, 17), (True, True, True, False, False, False)),
]


@pytest.mark.parametrize(("phq", "gad", "expected"), EDGES)
def test_every_band_edge_of_the_pair(
    phq: tuple[int, int], gad: tuple[int, int], expected: tuple[bool, ...]
) -> None:
    assert flags(*phq, *gad) == expected
    assert reference(*phq, *gad) == expected  # the reference agrees with the hand-written expectations


def test_the_rule_equals_the_reference_on_every_combination_of_scores() -> None:
    # 28 x 28 PHQ-9 pairs and 22 x 22 GAD-7 pairs: 379,456 combinations, every one compared.
    disagreements = [
        (p0, p1, g0, g1)
        for p0, p1 in itertools.product(PHQ9_RANGE, repeat=2)
        for g0, g1 in itertools.product(GAD7_RANGE, repeat=2)
        if flags(p0, p1, g0, g1) != reference(p0, p1, g0, g1)
    ]
    assert disagreements == []


def test_the_audits_count_of_wrong_single_measure_recoveries() -> None:
    # The audit: of 87,120 combinations where the PHQ-9 card said recovery, 55,440 are not recovered on the
    # pair (every one with GAD-7 at caseness at the end: 180 PHQ-9 pairs x 22 starts x 14 ends).
    card_says_recovery = [
        (p0, p1)
        for p0, p1 in itertools.product(PHQ9_RANGE, repeat=2)
        if nhs_outcome(p0, p1, caseness=10, reliable_change=6).recovery
    ]
    wrong = sum(
        not reference(p0, p1, g0, g1)[4]
        for p0, p1 in card_says_recovery
        for g0, g1 in itertools.product(GAD7_RANGE, repeat=2)
    )
    assert (len(card_says_recovery) * len(GAD7_RANGE) ** 2, wrong) == (87_120, 55_440)


@given(st.integers(0, 27), st.integers(0, 27), st.integers(0, 21), st.integers(0, 21))
def test_recovery_never_without_caseness_at_start_and_never_with_either_at_caseness_at_end(
    p0: int, p1: int, g0: int, g1: int
) -> None:
    o = paired_outcome(p0, p1, g0, g1)
    assert not (o.reliable_improvement and o.reliable_deterioration)
    assert o.recovery == (o.case_at_start and p1 < 10 and g1 < 8)
    assert o.reliable_recovery <= o.recovery and o.reliable_recovery <= o.reliable_improvement
    # Swapping start and end swaps improvement and deterioration.
    back = paired_outcome(p1, p0, g1, g0)
    assert (back.reliable_improvement, back.reliable_deterioration) == (
        o.reliable_deterioration,
        o.reliable_improvement,
    )


# --- which scores form the pair ---------------------------------------------------------------------------

DAY0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def at(days: float, score: float, prorated: bool = False) -> Scored:
    return Scored(when=DAY0 + dt.timedelta(days=days), score=score, prorated=prorated)


def test_first_and_most_recent_pairs_of_a_weekly_course() -> None:
    phq = [at(0, 15), at(7, 13), at(14, 9), at(21, 5)]
    gad = [at(0.1, 12), at(7.1, 11), at(14.1, 10), at(21.1, 10)]
    course = paired_course(phq, gad)
    assert course.first == paired.Occasion(phq[0], gad[0]) and course.last == paired.Occasion(phq[3], gad[3])
    assert course.outcome == paired_outcome(15, 5, 12, 10)
    assert (course.recovery, course.change) == (paired.NOT_RECOVERED, paired.RELIABLE_IMPROVEMENT)


def test_scores_seven_days_apart_pair_and_a_second_more_do_not() -> None:
    assert paired_course([at(0, 15), at(30, 5)], [at(7, 12), at(37, 4)]).missing is None
    late = Scored(when=DAY0 + dt.timedelta(days=7, seconds=1), score=12)
    course = paired_course([at(0, 15)], [late])
    assert course.missing == paired.NOT_TOGETHER and course.outcome is None


def test_a_measure_that_stopped_pairs_with_the_last_score_of_the_other_within_the_week() -> None:
    # GAD-7 stopped after day 30; the latest PHQ-9 (day 60) has no GAD-7 near it, so the day-30 pair is the last.
    phq = [at(0, 18), at(30, 11), at(60, 4)]
    gad = [at(1, 14), at(28, 9)]
    course = paired_course(phq, gad)
    assert course.last == paired.Occasion(phq[1], gad[1])
    assert course.outcome == paired_outcome(18, 11, 14, 9)


def test_the_baseline_is_the_earliest_complete_pair() -> None:
    # PHQ-9 on day 0 and again on day 6, GAD-7 on day 6: both pairs complete on day 6; the earlier PHQ-9 wins.
    phq, gad = [at(0, 20), at(6, 16), at(40, 6)], [at(6, 15), at(40, 5)]
    assert paired_course(phq, gad).first == paired.Occasion(phq[0], gad[0])


@pytest.mark.parametrize(
    ("phq", "gad", "reason"),
    [
        ([], [], paired.NO_SCORES),
        ([at(0, 15), at(30, 5)], [], paired.NO_GAD7),
        ([], [at(0, 12), at(30, 4)], paired.NO_PHQ9),
        ([at(0, 15)], [at(30, 12)], paired.NOT_TOGETHER),
        ([at(0, 15)], [at(1, 12)], paired.ONE_OCCASION),
        # A later GAD-7 but no later PHQ-9: one response would be compared with itself, so no second pair.
        ([at(0, 15)], [at(1, 12), at(5, 4)], paired.ONE_OCCASION),
    ],
)
def test_when_the_paired_outcome_cannot_be_computed(
    phq: list[Scored], gad: list[Scored], reason: str
) -> None:
    course = paired_course(phq, gad)
    assert (course.outcome, course.missing, course.recovery, course.change) == (None, reason, None, None)


def test_order_of_the_responses_does_not_matter_and_prorating_is_carried() -> None:
    phq = [at(21, 5, prorated=True), at(0, 15)]
    gad = [at(21, 6), at(0, 12)]
    course = paired_course(phq, gad)
    assert course.outcome == paired_outcome(15, 5, 12, 6)
    assert course.last is not None and course.last.prorated and course.first is not None
    assert not course.first.prorated
    assert course.recovery == paired.RELIABLE_RECOVERY


series = st.lists(
    st.builds(
        Scored,
        when=st.integers(0, 120 * 24).map(lambda hours: DAY0 + dt.timedelta(hours=hours)),
        score=st.integers(0, 21).map(float),
    ),
    max_size=6,
)


@given(series, series)
def test_the_chosen_pairs_follow_the_documented_rule(phq: list[Scored], gad: list[Scored]) -> None:
    course = paired_course(phq, gad)
    matched = occasions(phq, gad)
    week = paired.PAIR_WINDOW
    if not phq or not gad:
        assert course.first is None
        return
    assert (course.missing == paired.NOT_TOGETHER) == (not matched)
    if course.first is None:
        return
    first = course.first
    assert abs(first.phq9.when - first.gad7.when) <= week
    # No pair is complete earlier; among those complete as early, none starts earlier.
    assert all((o.end, o.start) >= (first.end, first.start) for o in matched)
    later = [o for o in matched if o.phq9.when > first.phq9.when and o.gad7.when > first.gad7.when]
    assert (course.missing == paired.ONE_OCCASION) == (not later)
    if course.last is None:
        return
    last = course.last
    assert last in later and abs(last.phq9.when - last.gad7.when) <= week
    assert all((o.start, o.end) <= (last.start, last.end) for o in later)
    assert course.outcome == paired_outcome(
        first.phq9.score, last.phq9.score, first.gad7.score, last.gad7.score
    )
