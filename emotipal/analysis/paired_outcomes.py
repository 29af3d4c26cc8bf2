"""The NHS Talking Therapies outcome of a course: which PHQ-9 and GAD-7 scores form the pair, and the verdict.

Pure Python. NHS Talking Therapies decides recovery, reliable improvement, reliable deterioration and reliable
recovery on the PHQ-9 and the GAD-7 *together* (:func:`emotipal.analysis.outcomes.paired_outcome` states the
rule), comparing the scores of the first and the last session. In EmotiPal the two questionnaires are
separate responses, filled in when the client gets to them, so a "session" is reconstructed:

* an *occasion* is a PHQ-9 and a GAD-7 completed within :data:`PAIR_WINDOW` (7 days) of each other. Both
  questionnaires ask about the last two weeks, so a week apart they still describe one period, and a client
  who answers them on different days of the same week is not lost;
* the *first pair* is the occasion that is complete soonest (the smallest later completion time of its two
  scores), and among those the one whose other score is earliest: the client's start;
* the *last pair* is, among the occasions whose PHQ-9 and GAD-7 are both later than the first pair's, the
  one whose earlier score is the most recent (ties: the one whose later score is the most recent): where
  the client is now. Requiring both scores to be later means no response is compared with itself.

The outcome cannot be computed (``outcome`` is None and ``missing`` says why) without both measures, without
any PHQ-9 and GAD-7 within a week of each other, or with only one such occasion so far. It is never replaced
by a verdict on one measure alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from emotipal.analysis.outcomes import PairedOutcome, paired_outcome

PAIR_WINDOW = dt.timedelta(days=7)

# Why a paired outcome cannot be computed.
NO_SCORES = "no_scores"  # neither measure has a score
NO_PHQ9 = "no_phq9"  # GAD-7 scores only
NO_GAD7 = "no_gad7"  # PHQ-9 scores only
NOT_TOGETHER = "not_together"  # both measures, but never within the window of each other
ONE_OCCASION = "one_occasion"  # one pair so far, nothing later to compare it with

# The headline: recovery as NHS Talking Therapies counts it.
NOT_CASE_AT_START = "not_case_at_start"  # below caseness on both at the start: recovery does not apply
RELIABLE_RECOVERY = "reliable_recovery"
RECOVERY = "recovery"  # recovered, without reliable improvement
NOT_RECOVERED = "not_recovered"  # still at caseness on at least one measure

# The reliable change over the pair.
RELIABLE_IMPROVEMENT = "reliable_improvement"
RELIABLE_DETERIORATION = "reliable_deterioration"
NO_RELIABLE_CHANGE = "no_reliable_change"


@dataclass(frozen=True)
class Scored:
    """One completed questionnaire's total."""

    when: dt.datetime
    score: float
    prorated: bool = False


@dataclass(frozen=True)
class Occasion:
    """A PHQ-9 and a GAD-7 completed within the pairing window of each other."""

    phq9: Scored
    gad7: Scored

    @property
    def start(self) -> dt.datetime:
        return min(self.phq9.when, self.gad7.when)

    @property
    def end(self) -> dt.datetime:
        return max(self.phq9.when, self.gad7.when)

    @property
    def prorated(self) -> bool:
        return self.phq9.prorated or self.gad7.prorated


@dataclass(frozen=True)
class PairedCourse:
    first: Occasion | None
    last: Occasion | None
    outcome: PairedOutcome | None
    missing: str | None  # why there is no outcome (one of the reasons above); None when there is one

    @property
    def recovery(self) -> str | None:
        """The recovery headline, or None when the outcome cannot be computed."""
        return None if self.outcome is None else recovery_headline(self.outcome)

    @property
    def change(self) -> str | None:
        """The reliable change over the pair, or None when the outcome cannot be computed."""
        return None if self.outcome is None else change_headline(self.outcome)


def recovery_headline(outcome: PairedOutcome) -> str:
    if not outcome.case_at_start:
        return NOT_CASE_AT_START
    if outcome.reliable_recovery:
        return RELIABLE_RECOVERY
    return RECOVERY if outcome.recovery else NOT_RECOVERED


def change_headline(outcome: PairedOutcome) -> str:
    if outcome.reliable_improvement:
        return RELIABLE_IMPROVEMENT
    return RELIABLE_DETERIORATION if outcome.reliable_deterioration else NO_RELIABLE_CHANGE


def occasions(
    phq9: Sequence[Scored], gad7: Sequence[Scored], window: dt.timedelta = PAIR_WINDOW
) -> list[Occasion]:
    """Every PHQ-9 and GAD-7 completed within ``window`` of each other (each score may be in several)."""
    return [Occasion(p, g) for p in _by_time(phq9) for g in _by_time(gad7) if abs(p.when - g.when) <= window]


def paired_course(
    phq9: Sequence[Scored], gad7: Sequence[Scored], window: dt.timedelta = PAIR_WINDOW
) -> PairedCourse:
    """The first and last pair of a client's PHQ-9 and GAD-7 scores, and the NHS outcome between them."""
    if not phq9 or not gad7:
        reason = NO_SCORES if not phq9 and not gad7 else NO_PHQ9 if not phq9 else NO_GAD7
        return PairedCourse(first=None, last=None, outcome=None, missing=reason)
    matched = occasions(phq9, gad7, window)
    if not matched:
        return PairedCourse(first=None, last=None, outcome=None, missing=NOT_TOGETHER)
    first = min(matched, key=lambda o: (o.end, o.start))
    later = [o for o in matched if o.phq9.when > first.phq9.when and o.gad7.when > first.gad7.when]
    if not later:
        return PairedCourse(first=first, last=None, outcome=None, missing=ONE_OCCASION)
    last = max(later, key=lambda o: (o.start, o.end))
    outcome = paired_outcome(first.phq9.score, last.phq9.score, first.gad7.score, last.gad7.score)
    return PairedCourse(first=first, last=last, outcome=outcome, missing=None)


def _by_time(scores: Sequence[Scored]) -> list[Scored]:
    # Stable: scores completed at the same instant keep the caller's order, so the choice is reproducible.
    return sorted(scores, key=lambda s: s.when)
