"""A simulated clinic: therapists, clients, homework assignments, practice entries and weekly PHQ-9 scores.

The simulator gives demos, load tests and the analysis code a data set whose ground truth is known. Each
client has latent traits (engagement, quality, true improvement); the observable data (entries, scores) are
generated from them, so an analysis can be checked against the truth written to truth.json.

What --true-r means
-------------------
`true_r` (R) is the population correlation between a reference compliance measure and improvement, both as
the analysis observes them: the objective percentage of planned practices completed (submitted entries /
planned practice days over the whole course; the analysis's figure `objective_percentage`) and the observed
improvement (week-0 PHQ-9 minus the last week's), within therapists (both centred on the therapist's
caseload mean; without therapist effects that is the plain correlation). The observed measures are noisy
versions of the latents - practice is a chance process, PHQ-9 scores carry measurement error - so the
latent correlation is calibrated upwards (`calibrated_latent_r`, recorded as `latent_r`) until the
reference correlation is R; R can be at most about 0.6 and larger values are refused. Every other figure
has its own population value, which `population_truth` computes by a large Monte Carlo sample analysed with
the analysis's own definitions. truth.json calls population values "truth" and the same quantities
computed on the sample "realised".

Therapist effects
-----------------
With `therapist_sd = S` every therapist shifts their clients' engagement latent (probit scale) and
improvement latent (in SDs of the clients' own variation) by normal effects of SD S, correlated
`therapist_r` with each other. They make caseloads differ and, with `therapist_r` not 0, associate
compliance with improvement between therapists; R stays the association within a caseload. With R = 0 and
`therapist_r` = 1 a therapist's clients who practise more improve no more than those who practise less,
yet clients of therapists whose caseloads practise more improve more.

This module is part of the pure analysis package: it must not import Django or any other part of emotipal.
That is why it carries its own answer generator instead of using `emotipal.definitions.fields`; the tests check
that every generated submission validates against that schema.

Everything is keyed by day numbers counted from the clinic start (day 0 is a Monday, so `day % 7` is the
weekday); only datetime answers need a calendar date, and they are anchored at `SIM_START`.

Around the homework the simulator also records what a therapy platform sees (issue 3): weekly sessions (each
client on their own weekday, Monday to Friday); homework set in a session and reviewed in the next one by a
client self-review and a therapist review, both rating the same twelve dimensions on anchored 0..4 scales
(`REVIEW_DIMENSIONS`); barriers reported for missed practice days with the strategy chosen; and, at the end of
treatment (an early discharge, or the last session), a retroactive rating of the whole course by the client
and by the therapist. Client and therapist ratings have independent noise and clients rate themselves
slightly more favourably.

Subjective ratings carry a halo: the rater bias that the literature suspects behind the larger compliance-
outcome correlations of subjective and retroactive compliance ratings. A rater who can see that the client is
getting better credits it to the homework. With `halo = H` a rater perceives each dimension (on a 0..1
"goodness" axis) as

    signal + H * weight * (improvement seen - improvement expected) / HALO_POINTS

where the signal is what happened (for quantity: the share of planned practices submitted), the improvement
seen is the client's PHQ-9 drop from week 0 to the latest score they had answered by the rating's week
(a rater sees the questionnaires that were answered, not the skipped ones), and the improvement expected is
the average drop by that point of treatment (`IMPROVEMENT_MEAN` over the whole course, on a straight line).
So clients who improved more than expected are rated up and those who improved less are rated down; the
average rating stays about the same. Weekly ratings have `weight = HALO_WEEKLY_WEIGHT`; the end-of-treatment
retroactive ratings, made when the whole course and its outcome are known and the practice itself is a
memory, have the larger `HALO_RETRO_WEIGHT`. With H = 0 every rating is the objective signal plus noise.

Weekly PHQ-9 scores lie on each client's straight line from baseline (plus measurement noise and, with
`practice_effect`, the effect of the previous week's practice). Not every one is answered (`Missingness`):
none after an early discharge, some skipped, some clients stopping for good, more often after a high
score. `SimClinic.complete_scores` keeps them all, `SimClinic.scores` (and scores.csv) the answered ones;
truth.json states the population time slope, its SD across clients, the within-person practice effect
and the realised share missing.
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import datetime as dt
import functools
import itertools
import json
import math
import statistics
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from emotipal.analysis.adjusted_change import baseline_adjusted_change
from emotipal.definitions import codes

SIM_START = dt.date(2026, 1, 5)  # a Monday; only used to give datetime answers a calendar date
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "library" / "exercises"
SIMULATED_EMAIL_DOMAIN = "demo.emotipal.invalid"  # .invalid can never be delivered to (RFC 2606)

# --- data model ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimTherapist:
    key: str
    display_name: str
    email: str
    # Latent therapist effects (unobservable; see `simulate_clinic`): added to each of their clients'
    # probit engagement latent and standardised improvement latent.
    engagement_effect: float = 0.0
    improvement_effect: float = 0.0


@dataclass(frozen=True)
class SimClient:
    key: str
    therapist_key: str
    display_name: str
    email: str
    engagement: float  # latent 0..1: how much they practise
    quality: float  # latent 0..1: how well they practise
    baseline_phq9: int
    improvement: float  # true PHQ-9 improvement over the whole course; negative means worsening
    discharged_day: int | None = (
        None  # treatment ended early at this (last) session; None: still in treatment
    )
    arm: str | None = None  # the trial arm allocated (see `ArmDesign`); None: no trial simulated


@dataclass(frozen=True)
class SimAssignment:
    key: str
    client_key: str
    template_slug: str
    start_day: int  # days from clinic start, inclusive
    end_day: int  # inclusive
    times_per_week: int
    minutes_per_practice: int
    practice_weekdays: tuple[int, ...]  # 0 = Monday; len == times_per_week
    rationale: str
    instructions: str
    session_key: str | None = None  # the session in which it was assigned (it starts on that day)
    first_open_delay_hours: float | None = (
        None  # assignment to the client's first opening; None: never opened
    )


@dataclass(frozen=True)
class SimEntry:
    assignment_key: str
    client_key: str
    day: int
    submitted: bool  # False: a draft that was abandoned
    active_seconds: int
    answers: dict[str, Any]
    effort: int | None  # 0..4; None for drafts
    difficulty: int | None
    helpfulness: int | None
    reviewed: bool
    edits_after_submit: int = 0  # changes saved after submitting (0 for drafts)


@dataclass(frozen=True)
class SimScore:
    client_key: str
    week: int
    phq9: int  # 0..27


@dataclass(frozen=True)
class SimSession:
    key: str
    client_key: str
    number: int  # 1, 2, ... in order
    day: int


@dataclass(frozen=True)
class SimSelfReview:
    """The client's look back, before session N+1, at a week of homework set in session N or earlier."""

    key: str
    assignment_key: str
    session_key: str  # the session it prepares for (where the homework is reviewed)
    client_key: str
    day: int  # the day before the session or the session day
    ratings: dict[str, int]  # REVIEW_DIMENSIONS -> 0..4
    helpfulness: int  # 0..4
    what_i_did: str
    what_i_learned: str
    what_got_in_way: str


@dataclass(frozen=True)
class SimTherapistReview:
    key: str
    assignment_key: str
    session_key: str
    day: int  # the session day
    ratings: dict[str, int]  # REVIEW_DIMENSIONS -> 0..4
    note: str


@dataclass(frozen=True)
class SimBarrier:
    """What got in the way of a planned practice that was not submitted, and the remedy chosen."""

    key: str
    client_key: str
    assignment_key: str
    day: int  # the planned practice day
    barrier: str  # one of BARRIERS
    strategy: str | None  # one of STRATEGIES; None when the client chose none
    note: str


@dataclass(frozen=True)
class SimRetroRating:
    """An end-of-treatment rating of the whole course of homework."""

    client_key: str
    rater: str  # "client" or "therapist"
    day: int
    quantity: int  # 0..4
    quality: int  # 0..4


@dataclass(frozen=True)
class Missingness:
    """Which weekly PHQ-9 questionnaires go unanswered.

    The week-0 (intake) questionnaire is always answered. After an early discharge no more are sent when
    `after_discharge` is set. Each later week, a client still answering first drops out for good (answers
    no more questionnaires) with a probability whose log-odds are logit(`dropout_rate`) + `per_point` *
    (the last answered score - SKIP_REFERENCE); otherwise they skip that week's questionnaire with log-odds
    logit(`skip_rate`) + `per_point` * (the same difference). With `per_point` above 0, clients who felt
    worse at their last answer skip and drop out more often: the scores are missing at random (MAR) given
    the scores already seen, not completely at random (MCAR, `per_point` = 0).
    """

    after_discharge: bool = True
    skip_rate: float = 0.1
    dropout_rate: float = 0.0
    per_point: float = 0.05

    def __post_init__(self) -> None:
        for name in ("skip_rate", "dropout_rate"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must lie in 0..1 (1 excluded)")


NO_MISSING = Missingness(after_discharge=False, skip_rate=0.0, dropout_rate=0.0, per_point=0.0)
SKIP_REFERENCE = 14.0  # the PHQ-9 score at which a questionnaire is skipped with probability skip_rate
MISSING_STREAM = 0x5343  # the missingness draws come from their own stream, so the rest never shifts


ARM_UNITS = ("client", "therapist", "clinic")
# The columns of allocations.csv: the allocation log of a randomised experiment, one row per client.
ALLOCATION_COLUMNS = (
    "experiment",
    "experiment_version",
    "client_key",
    "unit",
    "unit_key",
    "arm",
    "sequence",
    "allocated_day",
    "method",
)
ARM_STREAM = 0xA12E  # the allocation's own random stream: arms never shift the clinic's other draws
SIM_EXPERIMENT = "simulated-trial"


@dataclass(frozen=True)
class ArmDesign:
    """A simulated randomised experiment: arms with allocation ratios, the unit randomised and the effects.

    The first arm is the reference (control); every other arm gets the same effects, relative to it:

    * `effect_engagement`: added to the client's engagement latent, on the probit scale (the client's
      chance to do a planned practice is about 0.05 + 0.9 * Phi(latent)); quality is unaffected, and the
      shift does not carry over to improvement (give both effects for a causal path);
    * `effect_improvement`: PHQ-9 points added to the client's true improvement over the whole course
      (their straight line from baseline falls by that much more; divide by `IMPROVEMENT_SD` = 3 for SD
      units). The true PHQ-9 change (last week minus week 0) is lower by it, less what the 0..27 bounds cut.

    The unit is "client" (each client allocated), "therapist" (a caseload shares an arm) or "clinic"
    (therapist t belongs to clinic t mod `n_clinics`; a clinic's caseloads share an arm). Units are
    allocated in permuted blocks of one round of the ratios; every client is allocated on day 0.
    """

    arms: tuple[tuple[str, int], ...]
    unit: str = "client"
    effect_engagement: float = 0.0
    effect_improvement: float = 0.0
    n_clinics: int = 2
    experiment: str = SIM_EXPERIMENT

    def __post_init__(self) -> None:
        keys = [k for k, _ in self.arms]
        if len(keys) < 2:
            raise ValueError("a trial needs at least two arms")
        if len(set(keys)) != len(keys) or not all(k.strip() for k in keys):
            raise ValueError("arm keys must be unique and not blank")
        if any(int(r) != r or r < 1 for _, r in self.arms):
            raise ValueError("allocation ratios must be whole numbers of at least 1")
        if self.unit not in ARM_UNITS:
            raise ValueError(f"the unit of randomisation must be one of {', '.join(ARM_UNITS)}")
        if self.n_clinics < 1:
            raise ValueError("need at least one clinic")

    @property
    def reference(self) -> str:
        return self.arms[0][0]


@dataclass(frozen=True)
class SimAllocation:
    """One row of allocations.csv (`ALLOCATION_COLUMNS`)."""

    experiment: str
    experiment_version: int
    client_key: str
    unit: str
    unit_key: str
    arm: str
    sequence: int  # the unit's place in the allocation sequence, from 1
    allocated_day: int
    method: str


def parse_arms(text: str) -> tuple[tuple[str, int], ...]:
    """`"a:1,b:2"` -> (("a", 1), ("b", 2)); a missing ratio is 1. Raises ValueError with a clear message."""
    arms: list[tuple[str, int]] = []
    for part in text.split(","):
        key, _, ratio = part.strip().partition(":")
        try:
            value = int(ratio) if ratio.strip() else 1
        except ValueError:
            raise ValueError(f"'{part.strip()}' is not an arm as key:ratio (e.g. a:1)") from None
        arms.append((key.strip(), value))
    return tuple(arms)


def allocate_arms(
    design: ArmDesign,
    client_keys: Sequence[str],
    therapist_keys: Sequence[str],
    therapist_of: Sequence[int],
    seed: int,
) -> list[SimAllocation]:
    """Allocate the units of `design` in permuted blocks (one round of the ratios each); one row per client.

    `therapist_of[i]` is the index in `therapist_keys` of client i's therapist.
    """
    if design.unit == "client":
        unit_of = list(client_keys)
    elif design.unit == "therapist":
        unit_of = [therapist_keys[t] for t in therapist_of]
    else:
        unit_of = [f"k{t % design.n_clinics + 1:02d}" for t in therapist_of]
    units = sorted(set(unit_of))
    block = [key for key, ratio in design.arms for _ in range(int(ratio))]
    rng = np.random.default_rng([seed, ARM_STREAM])
    sequence: list[str] = []
    while len(sequence) < len(units):
        sequence.extend(block[j] for j in rng.permutation(len(block)))
    order = rng.permutation(len(units))  # the units in the order they were allocated
    arm_of = {units[u]: (sequence[n], n + 1) for n, u in enumerate(order)}
    method = f"simulated: permuted blocks of {len(block)} {design.unit}s"
    return [
        SimAllocation(
            design.experiment, 1, key, design.unit, unit, arm_of[unit][0], arm_of[unit][1], 0, method
        )
        for key, unit in zip(client_keys, unit_of, strict=True)
    ]


@dataclass(frozen=True)
class SimClinic:
    name: str
    therapists: tuple[SimTherapist, ...]
    clients: tuple[SimClient, ...]
    assignments: tuple[SimAssignment, ...]
    entries: tuple[SimEntry, ...]
    scores: tuple[SimScore, ...]
    weeks: int
    seed: int
    true_r: float
    sessions: tuple[SimSession, ...] = ()
    self_reviews: tuple[SimSelfReview, ...] = ()
    therapist_reviews: tuple[SimTherapistReview, ...] = ()
    barriers: tuple[SimBarrier, ...] = ()
    retro_ratings: tuple[SimRetroRating, ...] = ()
    halo: float = 0.3
    therapist_sd: float = 0.0
    therapist_r: float = 0.0
    latent_r: float | None = None  # the calibrated within-therapist latent correlation (None: not recorded)
    # Every weekly PHQ-9 as it would have been answered; `scores` holds the ones actually answered.
    complete_scores: tuple[SimScore, ...] = ()
    missing: Missingness = Missingness()
    practice_effect: float = 0.0
    arms: ArmDesign | None = None  # the simulated trial; None: no arms
    allocations: tuple[SimAllocation, ...] = ()


# --- obviously fictional people --------------------------------------------------------------------------

FIRST_NAMES = (
    "Robin", "Kai", "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie",
    "Quinn", "Avery", "Rowan", "Sasha", "Noor", "Emery", "Finley", "Hayden", "Ira", "Jules",
    "Kendall", "Lane", "Marlo", "Nico", "Oakley", "Parker", "Reese", "Skyler", "Tatum", "Uma",
    "Vesna", "Wren", "Yael", "Zuri", "Ariel", "Blair", "Charlie", "Dana", "Eden", "Frankie",
)  # fmt: skip
LAST_NAMES = (
    "Sample", "Placeholder", "Example", "Testwell", "Mockingham", "Specimen", "Standin", "Prototype",
    "Demo", "Fictive", "Surrogate", "Template", "Draftson", "Pseudonym", "Madeup", "Notreal",
    "Invented", "Imaginary", "Fakely", "Dummyton",
)  # fmt: skip
THERAPIST_FIRST_NAMES = (
    "Ada", "Basil", "Cora", "Desmond", "Elena", "Felix", "Greta", "Hugo", "Iris", "Jonas",
)  # fmt: skip

CLINIC_NAME = "Sample Street Clinic (simulated)"

# --- text bank for answers -------------------------------------------------------------------------------
# Matched against a text field's id in order, first hit wins, so the more specific stems come first
# ("alternative_thought" must not be answered with an automatic thought).
KEYED_PHRASES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("evidence_for", "supports", "for_evidence"),
        (
            "My manager frowned during the review (simulated)",
            "I lost my words once in a meeting last month (simulated)",
            "A friend took a day to reply to my message (simulated)",
        ),
    ),
    (
        ("evidence_against", "against"),
        (
            "I was thanked for the report last week (simulated)",
            "A colleague said the talk went fine (simulated)",
            "Most of my messages get a reply the same day (simulated)",
        ),
    ),
    (
        ("alternative", "balanced", "rational", "reframe", "new_thought"),
        (
            "It went partly well and I can ask for feedback (simulated)",
            "One quiet reply does not mean nobody cares (simulated)",
            "Feeling nervous is not the same as doing badly (simulated)",
        ),
    ),
    (
        ("situation", "trigger", "event", "context", "where"),
        (
            "Felt tense before the meeting at work (simulated)",
            "Sat alone at home on Sunday evening (simulated)",
            "Waited in a queue at the supermarket (simulated)",
            "Got a short reply to a message from a friend (simulated)",
        ),
    ),
    (
        ("thought", "belief"),
        (
            "'I am going to say something wrong' (simulated)",
            "'Nobody wants to hear from me' (simulated)",
            "'I will never get on top of this' (simulated)",
        ),
    ),
    (
        ("emotion", "feeling", "mood"),
        ("Anxious (simulated)", "Low and flat (simulated)", "Irritated (simulated)", "Tense (simulated)"),
    ),
    (
        ("body", "sensation", "physical"),
        ("Tight chest and warm face (simulated)", "Restless legs and shallow breathing (simulated)"),
    ),
    (
        ("fear", "predict", "expect", "worry"),
        (
            "I expected to panic and have to leave (simulated)",
            "I thought people would stare at me (simulated)",
        ),
    ),
    (
        ("safety", "avoid", "behaviour", "behavior"),
        ("Kept my phone in my hand the whole time (simulated)", "Stood near the door (simulated)"),
    ),
    (
        ("outcome", "result", "happened", "actual"),
        (
            "Stayed for twenty minutes and the tension eased (simulated)",
            "Nobody seemed to notice and I finished the task (simulated)",
        ),
    ),
    (
        ("activity", "task", "plan", "step", "action"),
        (
            "Walked around the park for fifteen minutes (simulated)",
            "Called a relative (simulated)",
            "Cooked a simple meal (simulated)",
            "Tidied the desk (simulated)",
        ),
    ),
    (
        ("learn", "reflect", "takeaway", "notice", "insight"),
        (
            "Noticed that the worry faded faster than expected (simulated)",
            "Doing it before thinking too long made it easier (simulated)",
        ),
    ),
)
GENERIC_PHRASES = (
    "Practised the exercise as planned (simulated)",
    "Wrote this down after dinner (simulated)",
    "Nothing unusual to add today (simulated)",
    "It was easier than last time (simulated)",
)
# Long answers from more thorough clients add neutral follow-up sentences to the field's own phrase.
ELABORATIONS = (
    "It was late in the afternoon (simulated)",
    "I wrote this down straight afterwards (simulated)",
    "This has come up a few times this week (simulated)",
    "I tried to stay with it as we discussed in session (simulated)",
)

# Scale pairs (suds_before/suds_after) are "better" when lower unless the stem names something good.
POSITIVE_STEMS = (
    "mood", "pleasure", "enjoy", "mastery", "achieve", "energy", "confiden", "calm", "happ", "wellbeing",
    "satisf", "hope", "motivat", "relax",
)  # fmt: skip
PAIR_SUFFIXES = (("_before", "_after"), ("_pre", "_post"))

RATIONALES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("thought",), "Writing thoughts down helps to notice and test them (simulated)."),
    (("exposure",), "Staying with the fear until it eases teaches that it passes (simulated)."),
    (("activ",), "Doing small rewarding things lifts mood before motivation returns (simulated)."),
)
GENERIC_RATIONALE = "Regular practice between sessions builds the skill (simulated)."
INSTRUCTIONS = (
    "Fill this in on the planned days, soon after practising (simulated).",
    "Take a few quiet minutes; short answers are fine (simulated).",
    "Bring questions about the exercise to the next session (simulated).",
)

# --- reviews, barriers and end-of-treatment ratings ------------------------------------------------------

# The dimensions rated, 0..4, in the client's self-review and the therapist's review (issue 3).
REVIEW_DIMENSIONS = codes.REVIEW_DIMENSIONS
REVERSE_KEYED = frozenset({"difficulty", "obstacles"})  # a higher rating means more of something bad
HALO_DEFAULT = 0.3
# PHQ-9 points of unexpected improvement that shift a retroactive rating across its whole scale at H = 1.
HALO_POINTS = 12.0
HALO_WEEKLY_WEIGHT = 0.5  # weekly reviews: the rater knows the improvement so far, but also the week
HALO_RETRO_WEIGHT = 1.0  # end-of-treatment look back: the outcome is known, the practice is a memory
IMPROVEMENT_MEAN = 4.0  # mean true PHQ-9 improvement over the course (SimClient.improvement = 4 + 3 z)
IMPROVEMENT_SD = 3.0
CLIENT_BIAS = 0.3  # clients rate themselves this much more favourably, in scale points
CLIENT_RATING_SD = 0.6
THERAPIST_RATING_SD = 0.5

BARRIERS = codes.BARRIERS
STRATEGIES = codes.STRATEGIES
MATCHING_STRATEGIES = codes.MATCHING_STRATEGIES
BARRIER_RATE = 0.4  # share of missed planned practices for which the client says what got in the way
STRATEGY_RATE = 0.75  # share of reported barriers for which a strategy is chosen
MATCHING_RATE = 0.85  # share of chosen strategies that fit the barrier
BARRIER_NOTES: dict[str, tuple[str, ...]] = {
    "forgot": ("It slipped my mind until bedtime (simulated)", "Did not see the reminder (simulated)"),
    "no_time": ("Work ran late (simulated)", "Busy day with family visiting (simulated)"),
    "too_hard": ("Felt too anxious to start (simulated)", "The step felt too big today (simulated)"),
    "no_point": ("Could not see how this would help (simulated)",),
    "unsure_how": ("Was not sure what to write in the boxes (simulated)",),
    "low_mood": (
        "Too tired and flat to do anything (simulated)",
        "Stayed in bed most of the day (simulated)",
    ),
    "something_happened": ("Had to deal with something unexpected (simulated)", "Was ill (simulated)"),
    "other": ("Something else got in the way (simulated)",),
}
LEARNED_PHRASES = (
    "The worry eased sooner than I expected (simulated)",
    "Starting small made it easier to keep going (simulated)",
    "My mood lifted a bit after doing something (simulated)",
    "Writing it down helped me see it differently (simulated)",
    "Not much new this week (simulated)",
)
NOTHING_IN_THE_WAY = "Nothing much got in the way (simulated)"
SOMETHING_IN_THE_WAY = "Some days were harder to fit in (simulated)"
THERAPIST_NOTES = (  # by the week's share of planned practices submitted: low, middle, high
    (
        "Little practice this week; we looked at what got in the way (simulated)",
        "Agreed a smaller first step for next week (simulated)",
    ),
    (
        "About half done; planned fixed times with a reminder (simulated)",
        "Some practice; talked the reason for the task through again (simulated)",
    ),
    (
        "Practised as planned; went over what was learned (simulated)",
        "Good week of practice; keep going as agreed (simulated)",
    ),
)


# --- answers ---------------------------------------------------------------------------------------------


@dataclass
class _AnswerContext:
    rng: np.random.Generator
    quality: float
    completeness: float  # probability that an optional field is answered
    minutes: int
    day: int


def simulate_answers(
    fields: Sequence[Mapping[str, Any]],
    rng: np.random.Generator,
    *,
    quality: float = 0.5,
    minutes: int = 20,
    day: int = 0,
) -> dict[str, Any]:
    """Answers to a template's `fields` that pass `emotipal.definitions.fields.validate_answers`.

    Required fields are always answered; optional ones more often by higher-quality clients, who also
    write more and report more improvement on *_before/*_after scales.
    """
    completeness = _clamp(0.35 + 0.6 * quality + rng.normal(0.0, 0.1), 0.05, 1.0)
    ctx = _AnswerContext(rng=rng, quality=quality, completeness=completeness, minutes=minutes, day=day)
    return _fill(fields, ctx)


def _fill(fields: Sequence[Mapping[str, Any]], ctx: _AnswerContext) -> dict[str, Any]:
    by_id = {spec["id"]: spec for spec in fields}
    partner = _before_after_pairs(fields)
    answers: dict[str, Any] = {}
    done: set[str] = set()  # the second half of a before/after pair is decided with the first
    for spec in fields:
        fid = spec["id"]
        if fid in done:
            continue
        if spec["type"] == "group":
            items = _group_items(spec, ctx)
            if items or spec.get("required") or spec.get("min_items", 0) > 0:
                answers[fid] = items
            continue
        if fid in partner:
            before_id, after_id = partner[fid]
            before, after = _before_after_values(by_id[before_id], by_id[after_id], ctx)
            done.update((before_id, after_id))
            for pid, value in ((before_id, before), (after_id, after)):
                if by_id[pid].get("required") or ctx.rng.random() < ctx.completeness:
                    answers[pid] = value
            continue
        if spec.get("required") or ctx.rng.random() < ctx.completeness:
            answers[fid] = _value(spec, ctx)
    return answers


def _group_items(spec: Mapping[str, Any], ctx: _AnswerContext) -> list[dict[str, Any]]:
    lo, hi = spec.get("min_items", 0), spec.get("max_items", 20)
    if spec.get("required"):
        lo = max(lo, 1)  # the schema treats a required group as needing one entry
    extra = int(ctx.rng.binomial(2, ctx.quality)) + int(ctx.rng.random() < 0.3)
    n = min(hi, lo + extra)
    items = []
    for _ in range(n):
        item = _fill(spec["fields"], ctx)
        if not item:
            # An all-blank row does not count as an entry, so make sure each row says something.
            first = spec["fields"][0]
            item[first["id"]] = _value(first, ctx)
        items.append(item)
    return items


def _before_after_pairs(fields: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """Map both ids of each scale pair like suds_before/suds_after to (before_id, after_id)."""
    scales = {spec["id"] for spec in fields if spec["type"] == "scale"}
    pairs: dict[str, tuple[str, str]] = {}
    for fid in scales:
        for before_suffix, after_suffix in PAIR_SUFFIXES:
            if fid.endswith(before_suffix):
                after_id = fid[: -len(before_suffix)] + after_suffix
                if after_id in scales:
                    pairs[fid] = pairs[after_id] = (fid, after_id)
    return pairs


def _before_after_values(
    before_spec: Mapping[str, Any], after_spec: Mapping[str, Any], ctx: _AnswerContext
) -> tuple[int, int]:
    # Work on a 0..1 "goodness" axis so that both directions and differing bounds are handled alike.
    stem = before_spec["id"].rsplit("_", 1)[0].lower()
    higher_is_better = any(s in stem for s in POSITIVE_STEMS)
    rng = ctx.rng
    before_good = rng.uniform(0.0, 0.55)  # people reach for the exercise when things are not great
    if rng.random() < 0.35 + 0.6 * ctx.quality:
        after_good = min(1.0, before_good + rng.uniform(0.12, 0.5))
    else:  # no real change: about the same, or a little worse
        after_good = max(0.0, before_good - rng.uniform(-0.04, 0.12))

    def to_scale(spec: Mapping[str, Any], good: float) -> int:
        lo, hi = spec["min"], spec["max"]
        position = good if higher_is_better else 1.0 - good
        return _round_within(lo + position * (hi - lo), lo, hi)

    return to_scale(before_spec, before_good), to_scale(after_spec, after_good)


def _value(spec: Mapping[str, Any], ctx: _AnswerContext) -> Any:
    rng = ctx.rng
    ftype = spec["type"]
    if ftype in ("short_text", "long_text"):
        phrases = _phrases_for(spec["id"])
        text = phrases[int(rng.integers(len(phrases)))]
        if ftype == "long_text":
            extra = int(rng.binomial(2, ctx.quality))
            picked = [ELABORATIONS[i] for i in rng.permutation(len(ELABORATIONS))[:extra].tolist()]
            text = ". ".join([text, *picked]) + "."
        limit = spec.get("max_length", 200 if ftype == "short_text" else 5000)
        return _truncate(text, limit)
    if ftype == "scale":
        return int(rng.integers(spec["min"], spec["max"] + 1))
    if ftype == "number":
        return _number(spec, rng)
    if ftype == "duration":
        lo, hi = spec.get("min", 0), spec.get("max", 1440)
        minutes = ctx.minutes * (0.5 + 0.7 * ctx.quality) * rng.lognormal(0, 0.25)
        return _round_within(minutes, lo, hi)
    if ftype == "choice":
        return spec["options"][int(rng.integers(len(spec["options"])))]["value"]
    if ftype == "multi_choice":
        options = spec["options"]
        k = int(rng.integers(1, min(3, len(options)) + 1))
        return [options[i]["value"] for i in sorted(rng.permutation(len(options))[:k].tolist())]
    if ftype == "datetime":
        minute_of_day = int(rng.integers(7 * 12, 22 * 12)) * 5  # 07:00..21:55 in five-minute steps
        moment = dt.datetime.combine(SIM_START + dt.timedelta(days=ctx.day), dt.time()) + dt.timedelta(
            minutes=minute_of_day
        )
        return moment.isoformat(timespec="minutes")
    raise ValueError(f"cannot simulate a field of type {ftype!r}")


@functools.cache
def _phrases_for(field_id: str) -> tuple[str, ...]:
    lowered = field_id.lower()
    for stems, phrases in KEYED_PHRASES:
        if any(stem in lowered for stem in stems):
            return phrases
    return GENERIC_PHRASES


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]  # end on a word boundary where possible
    return cut.strip() or text[:limit]


def _number(spec: Mapping[str, Any], rng: np.random.Generator) -> int | float:
    # Unbounded sides get a range of ten next to the bound that is given (or 0..10 with none).
    given_lo: float | None = spec.get("min")
    given_hi: float | None = spec.get("max")
    lo = given_lo if given_lo is not None else (given_hi - 10 if given_hi is not None else 0)
    hi = given_hi if given_hi is not None else lo + 10
    # Whole numbers read more naturally; fall back to a decimal only if the range holds no integer.
    int_lo, int_hi = math.ceil(lo), math.floor(hi)
    if int_lo <= int_hi:
        return int(rng.integers(int_lo, int_hi + 1))
    value = round(float(rng.uniform(lo, hi)), 2)
    return value if lo <= value <= hi else float(lo)


# np.clip on a single number is slow and returns numpy scalars; these run ~100k times per clinic.
def _clamp(value: float, lo: float, hi: float) -> float:
    return float(min(max(value, lo), hi))


def _round_within(value: float, lo: int, hi: int) -> int:
    return int(min(max(round(value), lo), hi))


# --- the clinic ------------------------------------------------------------------------------------------


def simulate_clinic(
    *,
    n_therapists: int = 3,
    n_clients: int = 30,
    weeks: int = 16,
    seed: int = 7,
    true_r: float = 0.5,
    halo: float = HALO_DEFAULT,
    therapist_sd: float = 0.0,
    therapist_r: float = 0.0,
    missing: Missingness | None = None,
    practice_effect: float = 0.0,
    templates: Mapping[str, list[dict[str, Any]]],
    record_around_homework: bool = True,
    arms: ArmDesign | None = None,
    entry_details: bool = True,
) -> SimClinic:
    """Simulate a clinic. The same arguments always give the same clinic.

    `true_r` is the population correlation, within therapists, of the reference compliance measure
    (`REFERENCE_FIGURE`: the share of planned practices submitted) with the observed improvement (week-0
    minus last-week PHQ-9); see "What --true-r means" in the module docstring. It is reached by calibrating
    the latent correlation (`calibrated_latent_r`), which is recorded as `SimClinic.latent_r`.

    `halo` (0..1) is how strongly the subjective ratings (self-reviews, therapist reviews, retroactive
    ratings) are inflated by the client's observed improvement (see the module docstring): 0 means they
    track the objective figures plus noise; the retroactive ratings are inflated most.

    `therapist_sd` (0..`MAX_THERAPIST_SD`) is the SD of the therapists' effects on their clients'
    engagement latent (probit scale) and improvement latent (in SDs of the clients' own variation, so
    `IMPROVEMENT_SD * therapist_sd` PHQ-9 points); `therapist_r` is the correlation of a therapist's two
    effects. With `true_r = 0` and `therapist_r > 0` compliance and improvement are associated only between
    therapists, never within a caseload.

    `record_around_homework=False` leaves out what does not affect practice or scores (first openings,
    barriers, reviews, retroactive ratings); the calibration uses it because it is faster.

    `missing` says which weekly PHQ-9 questionnaires go unanswered (default `Missingness()`: none after a
    discharge, and about one in ten skipped, more often after a high score; `NO_MISSING` for none). The
    missingness has its own random stream: a clinic with and one without missing scores are otherwise
    the same, so an analysis of the incomplete data can be compared with one of the complete data.

    `practice_effect` is the within-person effect of practice on the next week's score: PHQ-9 points added
    to a client's week t + 1 score per 10 percentage points of week t's planned practices submitted
    (negative: practice helps; 0, the default, leaves the scores on each client's straight line).

    `arms` simulates a randomised experiment (`ArmDesign`): each client is allocated an arm (by client,
    therapist or clinic; recorded in `SimClinic.allocations`), and the non-reference arms shift the
    engagement latent and the true improvement. The allocation has its own random stream, and without
    effects the clinic is the one simulated without arms.

    `entry_details=False` simulates only which practices were done and submitted: each entry's answers,
    ratings, review flag and edits are left empty and its active time is the planned time (whether a
    practice is done, the reviews and the scores follow the same model, with other random draws). A faster
    path for power simulations, whose outcomes never read them.
    """
    missing = Missingness() if missing is None else missing
    if not templates:
        raise ValueError("at least one template is needed")
    if n_therapists < 1 or n_clients < 1:
        raise ValueError("need at least one therapist and one client")
    if weeks < 2:
        raise ValueError("need at least two weeks (a baseline and a follow-up score)")
    if not -1.0 <= true_r <= 1.0:
        raise ValueError("true_r is a correlation and must lie in -1..1")
    if not 0.0 <= halo <= 1.0:
        raise ValueError("halo must lie in 0..1")
    if not 0.0 <= therapist_sd <= MAX_THERAPIST_SD:
        raise ValueError(f"therapist_sd must lie in 0..{MAX_THERAPIST_SD:g}")
    if not -1.0 <= therapist_r <= 1.0:
        raise ValueError("therapist_r is a correlation and must lie in -1..1")
    latent_r = calibrated_latent_r(true_r, weeks=weeks, therapist_sd=therapist_sd, therapist_r=therapist_r)

    rng = np.random.default_rng(seed)
    slugs = sorted(templates)  # sorted so that dict order cannot change the result

    # Latents, within a caseload: a standard-normal engagement latent and an improvement latent correlated
    # with it at latent_r, the value that makes the reference correlation equal true_r.
    z_engagement = rng.standard_normal(n_clients)
    z_improvement = latent_r * z_engagement + math.sqrt(1.0 - latent_r**2) * rng.standard_normal(n_clients)
    quality_noise = rng.standard_normal(n_clients)
    baselines = rng.integers(10, 23, size=n_clients)  # 10..22 inclusive
    therapist_of = rng.permutation(n_clients) % n_therapists  # balanced caseloads, random membership
    # Between caseloads: each therapist shifts their clients' engagement and improvement latents (their own
    # stream, so that the other draws are the same with and without therapist effects).
    engagement_effect, improvement_effect = _therapist_effects(n_therapists, therapist_sd, therapist_r, seed)
    z_engagement = z_engagement + engagement_effect[therapist_of]
    z_improvement = z_improvement + improvement_effect[therapist_of]
    # Quality is mildly tied to engagement (people who practise more tend to practise better) but does
    # not enter the outcome, so engagement stays the only compliance-outcome link.
    z_quality = 0.3 * z_engagement + math.sqrt(1.0 - 0.3**2) * quality_noise
    allocations: list[SimAllocation] = []
    arm_of: list[str | None] = [None] * n_clients
    width = max(3, len(str(n_clients)))
    if arms is not None:
        allocations = allocate_arms(
            arms,
            [f"c{i + 1:0{width}d}" for i in range(n_clients)],
            [f"t{t + 1:02d}" for t in range(n_therapists)],
            [int(t) for t in therapist_of],
            seed,
        )
        arm_of = [a.arm for a in allocations]
        treated = np.array([a != arms.reference for a in arm_of], dtype=float)
        # After quality is drawn: the arm changes how much clients practise, not how well.
        z_engagement = z_engagement + arms.effect_engagement * treated
        z_improvement = z_improvement + arms.effect_improvement / IMPROVEMENT_SD * treated
    # Therapists differ in how diligently and how quickly they review submitted entries.
    review_rates = rng.uniform(0.75, 0.98, size=n_therapists)
    review_lags = rng.integers(2, 9, size=n_therapists)
    client_names = _client_names(n_clients, rng)
    # One independent stream per client: a change in one client's draws (e.g. a longer template) does
    # not shift every client after it.
    client_rngs = rng.spawn(n_clients)
    skip_draws = np.random.default_rng([seed, MISSING_STREAM]).random((n_clients, weeks, 2))

    phi = NormalDist().cdf
    therapists = tuple(
        SimTherapist(
            key=f"t{i + 1:02d}",
            display_name=f"Dr. {first} {last}",
            email=f"dr.{_email_local(first, last)}@{SIMULATED_EMAIL_DOMAIN}",
            engagement_effect=float(engagement_effect[i]),
            improvement_effect=float(improvement_effect[i]),
        )
        for i, (first, last) in enumerate(_therapist_names(n_therapists))
    )
    clients: list[SimClient] = []
    sessions: list[SimSession] = []
    assignments: list[SimAssignment] = []
    entries: list[SimEntry] = []
    scores: list[SimScore] = []
    complete_scores: list[SimScore] = []
    self_reviews: list[SimSelfReview] = []
    therapist_reviews: list[SimTherapistReview] = []
    barriers: list[SimBarrier] = []
    retro_ratings: list[SimRetroRating] = []
    for i in range(n_clients):
        display_name, email = client_names[i]
        t = int(therapist_of[i])
        crng = client_rngs[i]
        key = f"c{i + 1:0{width}d}"
        session_weekday = int(crng.integers(0, 5))  # Monday..Friday
        discharge_week = _discharge_week(weeks, crng)
        client = SimClient(
            key=key,
            therapist_key=therapists[t].key,
            display_name=display_name,
            email=email,
            engagement=phi(float(z_engagement[i])),
            quality=phi(float(z_quality[i])),
            baseline_phq9=int(baselines[i]),
            improvement=IMPROVEMENT_MEAN + IMPROVEMENT_SD * float(z_improvement[i]),
            discharged_day=None if discharge_week is None else discharge_week * 7 + session_weekday,
            arm=arm_of[i],
        )
        last_week = weeks - 1 if discharge_week is None else discharge_week
        client_sessions = [
            SimSession(key=f"{key}-s{w + 1:02d}", client_key=key, number=w + 1, day=w * 7 + session_weekday)
            for w in range(last_week + 1)
        ]
        client_assignments = _assignments(client, slugs, weeks, crng, sessions=client_sessions)
        week_effect = _week_effects(weeks, crng)
        client_entries = _entries(
            client,
            client_assignments,
            templates,
            weeks,
            crng,
            review_rate=float(review_rates[t]),
            review_lag=int(review_lags[t]),
            week_effect=week_effect,
            details=entry_details,
        )
        shift = practice_effect * _weekly_shares(client_assignments, client_entries, weeks)
        client_scores = _scores(client, weeks, crng, shift=np.concatenate([[0.0], shift[:-1]]))
        complete_scores.extend(client_scores)
        answered = _answered(client_scores, discharge_week, missing, skip_draws[i])
        scores.extend(answered)
        # What raters can see of the outcome: the observed PHQ-9 drop from week 0, week by week.
        seen = _improvement_seen(answered, weeks)
        if not record_around_homework:  # the calibration needs only the practice and the scores
            clients.append(client)
            sessions.extend(client_sessions)
            assignments.extend(client_assignments)
            entries.extend(client_entries)
            continue

        # What the platform records around the homework: first openings, barriers, reviews, retro ratings.
        client_assignments = _with_first_open(client, client_assignments, client_entries, crng)
        submitted_days = _submitted_days(client_assignments, client_entries)
        client_barriers = _barriers(client, client_assignments, submitted_days, week_effect, crng)
        reviews = _reviews(
            client,
            client_sessions,
            client_assignments,
            submitted_days,
            client_barriers,
            weeks,
            halo,
            crng,
            seen=seen,
        )
        clients.append(client)
        sessions.extend(client_sessions)
        assignments.extend(client_assignments)
        entries.extend(client_entries)
        barriers.extend(client_barriers)
        self_reviews.extend(reviews[0])
        therapist_reviews.extend(reviews[1])
        retro_ratings.extend(
            _retro_ratings(
                client, client_sessions[-1].day, client_assignments, submitted_days, halo, crng, seen=seen
            )
        )

    return SimClinic(
        name=CLINIC_NAME,
        therapists=therapists,
        clients=tuple(clients),
        assignments=tuple(assignments),
        entries=tuple(entries),
        scores=tuple(scores),
        weeks=weeks,
        seed=seed,
        true_r=true_r,
        sessions=tuple(sessions),
        self_reviews=tuple(self_reviews),
        therapist_reviews=tuple(therapist_reviews),
        barriers=tuple(barriers),
        retro_ratings=tuple(retro_ratings),
        halo=halo,
        therapist_sd=therapist_sd,
        therapist_r=therapist_r,
        latent_r=latent_r,
        complete_scores=tuple(complete_scores),
        missing=missing,
        practice_effect=practice_effect,
        arms=arms,
        allocations=tuple(allocations),
    )


def _therapist_effects(n: int, sd: float, r: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each therapist's shift of the engagement and the improvement latent: normal, SD `sd`, correlation `r`."""
    if sd == 0.0:
        return np.zeros(n), np.zeros(n)
    draws = np.random.default_rng([THERAPIST_STREAM, seed]).standard_normal((2, n))
    return sd * draws[0], sd * (r * draws[0] + math.sqrt(1.0 - r * r) * draws[1])


def _email_local(*parts: str) -> str:
    return ".".join(p.lower() for p in parts)


def _therapist_names(n: int) -> list[tuple[str, str]]:
    # Walk both lists in step (Ada Example, Basil Placeholder, ...) and cycle the surname once they run out.
    names = [
        (THERAPIST_FIRST_NAMES[i % len(THERAPIST_FIRST_NAMES)], LAST_NAMES[(i + 2) % len(LAST_NAMES)])
        for i in range(n)  # +2 so that the first one is "Dr. Ada Example"
    ]
    return _dedupe(names)


def _client_names(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(display name, email) pairs, unique; a number is appended once the 800 combinations run out."""
    combos = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    order = rng.permutation(len(combos))
    result = []
    for i in range(n):
        first, last = combos[int(order[i % len(combos)])]
        round_ = i // len(combos)
        suffix = str(round_ + 1) if round_ else ""
        display = f"{first} {last}{' ' + suffix if suffix else ''}"
        result.append((display, f"{_email_local(first, last)}{suffix}@{SIMULATED_EMAIL_DOMAIN}"))
    return result


def _dedupe(names: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for first, last in names:
        candidate, k = (first, last), 2
        while candidate in seen:
            candidate, k = (first, f"{last}{k}"), k + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _discharge_week(weeks: int, rng: np.random.Generator) -> int | None:
    """About a third of clients end treatment early: the week of their last session, or None."""
    discharged = rng.random() < 1 / 3
    lo, hi = max(2, weeks // 3), weeks - 1  # after at least two weeks of homework, before the last week
    if not discharged or lo >= hi:
        return None
    return int(rng.integers(lo, hi))


def _assignments(
    client: SimClient,
    slugs: list[str],
    weeks: int,
    rng: np.random.Generator,
    *,
    sessions: Sequence[SimSession],
) -> list[SimAssignment]:
    """1-3 assignments: a new one every 4-6 weeks, each lasting 2-6 weeks (they may overlap).

    Each is set in a session (`sessions[w]` is the session of week w) and starts that day; none is set in
    the last session, and homework ends by the day before a discharge session.
    """
    last_day = weeks * 7 - 1 if client.discharged_day is None else client.discharged_day - 1
    week = int(rng.integers(0, min(2, weeks - 1)))
    result: list[SimAssignment] = []
    previous: str | None = None
    while len(result) < 3 and week < len(sessions) - 1:
        choices = [s for s in slugs if s != previous] or slugs  # vary the homework when possible
        slug = choices[int(rng.integers(len(choices)))]
        start = sessions[week].day
        end = min(start + int(rng.integers(2, 7)) * 7 - 1, last_day)  # up to the day before a session
        times = int(rng.integers(2, 8))
        result.append(
            SimAssignment(
                key=f"{client.key}-a{len(result) + 1}",
                client_key=client.key,
                template_slug=slug,
                start_day=start,
                end_day=end,
                times_per_week=times,
                minutes_per_practice=5 * int(rng.integers(2, 10)),  # 10..45
                practice_weekdays=tuple(sorted(rng.permutation(7)[:times].tolist())),
                rationale=_rationale(slug),
                instructions=INSTRUCTIONS[int(rng.integers(len(INSTRUCTIONS)))],
                session_key=sessions[week].key,
            )
        )
        previous = slug
        week += int(rng.integers(4, 7))
    return result


def _rationale(slug: str) -> str:
    for stems, text in RATIONALES:
        if any(stem in slug for stem in stems):
            return text
    return GENERIC_RATIONALE


def planned_practice_days(assignment: SimAssignment) -> list[int]:
    """The days on which the assignment asks the client to practise."""
    weekdays = set(assignment.practice_weekdays)
    return [d for d in range(assignment.start_day, assignment.end_day + 1) if d % 7 in weekdays]


def _entries(
    client: SimClient,
    client_assignments: list[SimAssignment],
    templates: Mapping[str, list[dict[str, Any]]],
    weeks: int,
    rng: np.random.Generator,
    *,
    review_rate: float,
    review_lag: int,
    week_effect: np.ndarray | None = None,
    details: bool = True,
) -> list[SimEntry]:
    end_of_clinic = weeks * 7
    if week_effect is None:
        week_effect = _week_effects(weeks, rng)
    abandon_p = 0.05 + 0.15 * (1.0 - client.quality)
    result: list[SimEntry] = []
    for a in client_assignments:
        fields = templates[a.template_slug]
        for day in planned_practice_days(a):
            # Novelty fades: practice drops off a little with each week of the same homework.
            weeks_in = (day - a.start_day) // 7
            p = 0.05 + 0.9 * client.engagement + week_effect[day // 7] - 0.02 * weeks_in
            if rng.random() >= _clamp(p, 0.01, 0.99):
                continue
            submitted = bool(rng.random() >= abandon_p)
            if not details:  # the fast path: whether a practice was done, without what was written in it
                result.append(
                    SimEntry(
                        a.key,
                        client.key,
                        day,
                        submitted,
                        a.minutes_per_practice * 60,
                        {},
                        None,
                        None,
                        None,
                        False,
                    )
                )
                continue
            answers = simulate_answers(
                fields, rng, quality=client.quality, minutes=a.minutes_per_practice, day=day
            )
            planned_seconds = a.minutes_per_practice * 60
            effort: int | None
            difficulty: int | None
            helpfulness: int | None
            if submitted:
                seconds = planned_seconds * (0.5 + 0.7 * client.quality) * rng.lognormal(0.0, 0.3)
                effort = _rating(0.5 + 3.5 * client.quality, 0.7, rng)
                difficulty = _rating(2.8 - 2.0 * client.quality, 0.9, rng)
                helpfulness = _rating(0.8 + 3.0 * client.quality, 0.9, rng)
                age = end_of_clinic - day
                # Old entries are reviewed at the therapist's usual rate; the newest ones are still waiting.
                reviewed = bool(age >= review_lag and rng.random() < review_rate)
                # Now and then a client goes back to correct or add to a submitted entry.
                edits = int(rng.integers(1, 3)) if rng.random() < 0.08 else 0
            else:
                # A draft keeps the first few answers typed before the client gave up.
                keep = int(rng.integers(0, len(answers) + 1))
                answers = dict(list(answers.items())[:keep])
                seconds = planned_seconds * rng.uniform(0.05, 0.4)
                effort = difficulty = helpfulness = None  # drafts have no ratings yet
                reviewed = False
                edits = 0
            result.append(
                SimEntry(
                    assignment_key=a.key,
                    client_key=client.key,
                    day=day,
                    submitted=submitted,
                    active_seconds=max(1, round(seconds)),
                    answers=answers,
                    effort=effort,
                    difficulty=difficulty,
                    helpfulness=helpfulness,
                    reviewed=reviewed,
                    edits_after_submit=edits,
                )
            )
    return result


def _week_effects(weeks: int, rng: np.random.Generator) -> np.ndarray:
    """Life gets in the way: every week has some noise and about one in eight is clearly worse."""
    return rng.normal(0.0, 0.1, size=weeks) - 0.35 * (rng.random(weeks) < 0.12)


BAD_WEEK = -0.2  # a week effect below this is one of the clearly worse weeks


def _rating(mean: float, sd: float, rng: np.random.Generator) -> int:
    return _round_within(mean + rng.normal(0.0, sd), 0, 4)


def _scores(
    client: SimClient, weeks: int, rng: np.random.Generator, *, shift: np.ndarray | None = None
) -> list[SimScore]:
    """Weekly PHQ-9: a straight line from baseline down by `improvement`, plus measurement noise.

    `shift` (per week, PHQ-9 points) is added before rounding: the effect of the previous week's practice.
    """
    noise = rng.normal(0.0, 2.0, size=weeks)
    if shift is not None:
        noise = noise + shift
    return [
        SimScore(
            client_key=client.key,
            week=w,
            phq9=_round_within(client.baseline_phq9 - client.improvement * w / (weeks - 1) + noise[w], 0, 27),
        )
        for w in range(weeks)
    ]


def _weekly_shares(
    assignments: Sequence[SimAssignment], entries: Sequence[SimEntry], weeks: int
) -> np.ndarray:
    """Per week: tenths of the week's planned practices submitted (capped at 1 = 10 tenths; 0 if none planned).

    The analysis's weekly engagement, in its unit of 10 percentage points.
    """
    planned, done = np.zeros(weeks), np.zeros(weeks)
    for a in assignments:
        for d in planned_practice_days(a):
            if d // 7 < weeks:
                planned[d // 7] += 1
    for e in entries:
        if e.submitted and e.day // 7 < weeks:
            done[e.day // 7] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(planned > 0, np.minimum(1.0, done / planned), 0.0)
    return 10.0 * share


def _answered(
    scores: Sequence[SimScore], discharge_week: int | None, missing: Missingness, draws: np.ndarray
) -> list[SimScore]:
    """The weekly scores the client actually gave (see `Missingness`); week 0 is always answered.

    `draws` holds two uniforms per week: for dropping out and for skipping.
    """
    skip, dropout = _log_odds(missing.skip_rate), _log_odds(missing.dropout_rate)
    answered: list[SimScore] = []
    for s in scores:
        if s.week == 0:
            answered.append(s)
            continue
        if missing.after_discharge and discharge_week is not None and s.week > discharge_week:
            break
        shift = missing.per_point * (answered[-1].phq9 - SKIP_REFERENCE)
        if draws[s.week, 0] < _logistic(dropout + shift):
            break
        if draws[s.week, 1] >= _logistic(skip + shift):
            answered.append(s)
    return answered


def _log_odds(p: float) -> float:
    return math.log(p / (1.0 - p)) if p > 0 else -math.inf


def _logistic(log_odds: float) -> float:
    return 0.0 if log_odds == -math.inf else 1.0 / (1.0 + math.exp(-log_odds))


# --- around the homework: first openings, barriers, reviews, end-of-treatment ratings ---------------------


def _submitted_days(assignments: Sequence[SimAssignment], entries: Sequence[SimEntry]) -> dict[str, set[int]]:
    days: dict[str, set[int]] = {a.key: set() for a in assignments}
    for e in entries:
        if e.submitted:
            days[e.assignment_key].add(e.day)
    return days


def _with_first_open(
    client: SimClient,
    assignments: Sequence[SimAssignment],
    entries: Sequence[SimEntry],
    rng: np.random.Generator,
) -> list[SimAssignment]:
    """Set each assignment's delay to first opening: hours for engaged clients, days for the others."""
    first_entry: dict[str, int] = {}
    for e in entries:
        first_entry[e.assignment_key] = min(e.day, first_entry.get(e.assignment_key, e.day))
    median_hours = 3.0 + 45.0 * (1.0 - client.engagement)
    result = []
    for a in assignments:
        draw = median_hours * float(rng.lognormal(0.0, 0.7))
        first = first_entry.get(a.key)
        delay: float | None
        if first is None:  # never practised: often never opened either
            opened = rng.random() < 0.4 and draw <= (a.end_day - a.start_day + 1) * 24
            delay = draw if opened else None
        else:
            # Opened by the first practice at the latest: set in a morning session, practised in the evening.
            latest = (first - a.start_day) * 24 + 8.0
            delay = draw if draw <= latest else latest * float(rng.uniform(0.5, 1.0))
        result.append(
            dataclasses.replace(a, first_open_delay_hours=None if delay is None else round(delay, 2))
        )
    return result


def _barriers(
    client: SimClient,
    assignments: Sequence[SimAssignment],
    submitted_days: Mapping[str, set[int]],
    week_effect: np.ndarray,
    rng: np.random.Generator,
) -> list[SimBarrier]:
    """For some planned practices with nothing submitted: what got in the way, and the remedy chosen."""
    e, q = client.engagement, client.quality
    # Weights in BARRIERS order: forgetting and lack of time are common to everyone; a hard or pointless-
    # seeming task goes with low quality or engagement; bad weeks bring low mood and life events.
    usual = np.array(
        [0.25, 0.22, 0.05 + 0.2 * (1 - q), 0.02 + 0.15 * (1 - e), 0.03 + 0.12 * (1 - q), 0.1, 0.05, 0.05]
    )
    bad = usual + np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.15, 0.3, 0.0])
    cumulative = {False: np.cumsum(usual) / usual.sum(), True: np.cumsum(bad) / bad.sum()}
    result: list[SimBarrier] = []
    for a in assignments:
        done = submitted_days[a.key]
        for day in planned_practice_days(a):
            if day in done or rng.random() >= BARRIER_RATE:
                continue
            weights = cumulative[bool(week_effect[day // 7] < BAD_WEEK)]
            code = BARRIERS[min(int(np.searchsorted(weights, rng.random(), side="right")), len(BARRIERS) - 1)]
            strategy: str | None = None
            if rng.random() < STRATEGY_RATE:
                fitting = MATCHING_STRATEGIES[code]
                others = tuple(s for s in STRATEGIES if s not in fitting)
                if rng.random() < MATCHING_RATE or not others:  # the first fitting one is the most popular
                    strategy = fitting[0] if rng.random() < 0.5 else fitting[int(rng.integers(len(fitting)))]
                else:
                    strategy = others[int(rng.integers(len(others)))]
            notes = BARRIER_NOTES[code]
            result.append(
                SimBarrier(
                    key=f"{client.key}-b{len(result) + 1:03d}",
                    client_key=client.key,
                    assignment_key=a.key,
                    day=day,
                    barrier=code,
                    strategy=strategy,
                    note=notes[int(rng.integers(len(notes)))],
                )
            )
    return result


def _review_windows(
    sessions: Sequence[SimSession], assignments: Sequence[SimAssignment]
) -> Iterator[tuple[SimSession, SimSession, SimAssignment, list[int]]]:
    """(previous session, session, assignment, its planned practice days in between) for every review.

    Homework is reviewed in session N+1 when it was set in session N or earlier and had not ended before
    session N; the review covers the planned practices from session N up to the day before session N+1.
    """
    ordered = sorted(sessions, key=lambda s: s.number)
    for previous, session in itertools.pairwise(ordered):
        for a in assignments:
            if a.start_day > previous.day or a.end_day < previous.day:
                continue
            weekdays = set(a.practice_weekdays)
            planned = [
                d for d in range(previous.day, min(session.day - 1, a.end_day) + 1) if d % 7 in weekdays
            ]
            if planned:
                yield previous, session, a, planned


_REVERSE = np.array([d in REVERSE_KEYED for d in REVIEW_DIMENSIONS])
_NOT_REVERSED = np.zeros(2, dtype=bool)


def _improvement_seen(scores: Sequence[SimScore], weeks: int) -> np.ndarray:
    """Per week: the observed PHQ-9 drop since week 0 minus the drop expected by then (PHQ-9 points).

    `scores` are the answered ones (week 0 first): a rater sees the latest score answered by then.
    """
    by_week = {s.week: s.phq9 for s in scores}
    phq = np.empty(weeks)
    latest = float(by_week[0])
    for w in range(weeks):
        latest = float(by_week.get(w, latest))
        phq[w] = latest
    expected = IMPROVEMENT_MEAN * np.arange(weeks) / (weeks - 1)
    return (phq[0] - phq) - expected


def _halo_shift(halo: float, weight: float, unexpected_improvement: float) -> float:
    """How far the halo moves a rating on the 0..1 goodness axis (positive: rated more favourably)."""
    return halo * weight * unexpected_improvement / HALO_POINTS


def _subjective(
    signals: np.ndarray,
    inflation: float,
    rng: np.random.Generator,
    *,
    bias: float,
    sd: float,
    reverse: np.ndarray,
) -> list[int]:
    """0..4 ratings of 0..1 "goodness" signals as a rater sees them, moved by `inflation` (the halo).

    Reverse-keyed dimensions are rated the other way round (4 = very difficult), and a favourable bias
    lowers those.
    """
    perceived = signals + inflation
    points = np.where(reverse, 4.0 * (1.0 - perceived) - bias, 4.0 * perceived + bias)
    points = points + rng.normal(0.0, sd, size=len(signals))
    return [int(v) for v in np.clip(np.rint(points), 0, 4)]


def _reviews(
    client: SimClient,
    sessions: Sequence[SimSession],
    assignments: Sequence[SimAssignment],
    submitted_days: Mapping[str, set[int]],
    barriers: Sequence[SimBarrier],
    weeks: int,
    halo: float,
    rng: np.random.Generator,
    *,
    seen: np.ndarray | None = None,
) -> tuple[list[SimSelfReview], list[SimTherapistReview]]:
    """The client's self-review (usually) and the therapist's review (almost always) of each week.

    `seen` is the unexpected improvement the raters can see, per week (see `_improvement_seen`); without it
    the ratings carry no halo.
    """
    q, e = client.quality, client.engagement
    # How well each task was understood and agreed with, and how specific and joint its plan was, are
    # properties of the assignment rather than of the week.
    plan_noise = rng.normal(0.0, 0.1, size=(len(assignments), 2))
    plan_fit = rng.uniform(0.3, 0.95, size=(len(assignments), 2))
    plan = {a.key: (*plan_noise[j], *plan_fit[j]) for j, a in enumerate(assignments)}
    barrier_on = {(b.assignment_key, b.day): b for b in barriers}
    self_review_rate = 0.5 + 0.45 * e
    last_day = max(1, weeks * 7 - 1)
    self_reviews: list[SimSelfReview] = []
    therapist_reviews: list[SimTherapistReview] = []
    plans_for_session: dict[str, tuple[bool, int]] = {}
    for _previous, session, a, planned in _review_windows(sessions, assignments):
        if session.key not in plans_for_session:  # one decision per session, covering all its homework
            does_it = bool(rng.random() < self_review_rate)
            plans_for_session[session.key] = (does_it, session.day - 1 if rng.random() < 0.6 else session.day)
        does_self_review, self_day = plans_for_session[session.key]
        done = sum(d in submitted_days[a.key] for d in planned)
        fraction = done / len(planned)
        understanding, agreement, specificity, collaboration = plan[a.key]
        progress = client.improvement * session.day / last_day  # true PHQ-9 improvement so far
        week = min(session.day // 7, weeks - 1)
        inflation = 0.0 if seen is None else _halo_shift(halo, HALO_WEEKLY_WEIGHT, float(seen[week]))
        noise = rng.normal(0.0, 0.08, size=7)
        signals = np.clip(
            np.array(
                [
                    fraction,  # quantity: the objective share of planned practices submitted
                    q + noise[0],  # quality
                    0.25 + 0.5 * q + 0.2 * fraction + noise[1],  # difficulty, as ease
                    0.1 + 0.8 * fraction + noise[2],  # obstacles, as their absence
                    0.45 + 0.45 * q + understanding,
                    0.3 + 0.55 * e + agreement,
                    specificity,
                    collaboration,
                    0.15 + 0.6 * q + 0.15 * fraction + noise[3],  # pleasure
                    0.1 + 0.65 * q + 0.2 * fraction + noise[4],  # mastery
                    0.4 + 0.1 * progress + noise[5],  # progress toward goals
                    0.3 + 0.45 * e + 0.05 * progress + noise[6],  # expected benefit
                ]
            ),
            0.0,
            1.0,
        )
        if does_self_review:
            ratings = _subjective(
                signals, inflation, rng, bias=CLIENT_BIAS, sd=CLIENT_RATING_SD, reverse=_REVERSE
            )
            helpful_signal = np.array([_clamp(0.2 + 0.55 * q + 0.2 * fraction, 0.0, 1.0)])
            helpfulness = _subjective(
                helpful_signal,
                inflation,
                rng,
                bias=CLIENT_BIAS,
                sd=CLIENT_RATING_SD,
                reverse=_NOT_REVERSED[:1],
            )[0]
            in_the_way = [barrier_on[a.key, d] for d in planned if (a.key, d) in barrier_on]
            if in_the_way:
                got_in_way = in_the_way[0].note
            else:
                got_in_way = SOMETHING_IN_THE_WAY if done < len(planned) else NOTHING_IN_THE_WAY
            self_reviews.append(
                SimSelfReview(
                    key=f"{client.key}-sr{len(self_reviews) + 1:03d}",
                    assignment_key=a.key,
                    session_key=session.key,
                    client_key=client.key,
                    day=self_day,
                    ratings=dict(zip(REVIEW_DIMENSIONS, ratings, strict=True)),
                    helpfulness=helpfulness,
                    what_i_did=(
                        f"Practised {done} of {len(planned)} planned times (simulated)"
                        if done
                        else "Did not manage to practise this week (simulated)"
                    ),
                    what_i_learned=LEARNED_PHRASES[int(rng.integers(len(LEARNED_PHRASES)))]
                    if done
                    else LEARNED_PHRASES[-1],
                    what_got_in_way=got_in_way,
                )
            )
        if rng.random() < 0.96:
            ratings = _subjective(signals, inflation, rng, bias=0.0, sd=THERAPIST_RATING_SD, reverse=_REVERSE)
            notes = THERAPIST_NOTES[min(2, int(fraction * 3))]
            therapist_reviews.append(
                SimTherapistReview(
                    key=f"{client.key}-tr{len(therapist_reviews) + 1:03d}",
                    assignment_key=a.key,
                    session_key=session.key,
                    day=session.day,
                    ratings=dict(zip(REVIEW_DIMENSIONS, ratings, strict=True)),
                    note=notes[int(rng.integers(len(notes)))],
                )
            )
    return self_reviews, therapist_reviews


def _retro_ratings(
    client: SimClient,
    last_session_day: int,
    assignments: Sequence[SimAssignment],
    submitted_days: Mapping[str, set[int]],
    halo: float,
    rng: np.random.Generator,
    *,
    seen: np.ndarray | None = None,
) -> list[SimRetroRating]:
    """At the end of treatment, client and therapist rate the quantity and quality of the whole course.

    The end is the last session: an early discharge, or the last session of the simulated period. Looking
    back with the outcome known, the raters' halo weighs the improvement seen by then most heavily.
    """
    planned = sum(len(planned_practice_days(a)) for a in assignments)
    done = sum(len(days) for days in submitted_days.values())
    signals = np.array([done / planned if planned else 0.0, client.quality])
    week = min(last_session_day // 7, len(seen) - 1) if seen is not None else 0
    inflation = 0.0 if seen is None else _halo_shift(halo, HALO_RETRO_WEIGHT, float(seen[week]))
    result = []
    for rater, bias, sd in (
        ("client", CLIENT_BIAS, CLIENT_RATING_SD),
        ("therapist", 0.0, THERAPIST_RATING_SD),
    ):
        quantity, quality = _subjective(signals, inflation, rng, bias=bias, sd=sd, reverse=_NOT_REVERSED)
        result.append(
            SimRetroRating(
                client_key=client.key,
                rater=rater,
                day=last_session_day,
                quantity=quantity,
                quality=quality,
            )
        )
    return result


# --- realised quantities ---------------------------------------------------------------------------------


def engagement_fractions(clinic: SimClinic) -> dict[str, float]:
    """Per client: submitted entries / planned practice days (the observable engagement)."""
    planned = dict.fromkeys((c.key for c in clinic.clients), 0)
    for a in clinic.assignments:
        planned[a.client_key] += len(planned_practice_days(a))
    submitted = dict.fromkeys(planned, 0)
    for e in clinic.entries:
        submitted[e.client_key] += e.submitted
    return {key: submitted[key] / planned[key] if planned[key] else 0.0 for key in planned}


def weekly_completion(clinic: SimClinic) -> dict[tuple[str, str], tuple[int, int]]:
    """(assignment key, session key) -> (submitted, planned) practices in the week before that session.

    One item for every homework review due: the objective figure behind the reviews' quantity ratings.
    """
    sessions: dict[str, list[SimSession]] = {c.key: [] for c in clinic.clients}
    for s in clinic.sessions:
        sessions[s.client_key].append(s)
    assignments: dict[str, list[SimAssignment]] = {c.key: [] for c in clinic.clients}
    for a in clinic.assignments:
        assignments[a.client_key].append(a)
    submitted = _submitted_days(clinic.assignments, clinic.entries)
    return {
        (a.key, session.key): (sum(d in submitted[a.key] for d in planned), len(planned))
        for c in clinic.clients
        for _previous, session, a, planned in _review_windows(sessions[c.key], assignments[c.key])
    }


def observed_improvements(clinic: SimClinic) -> dict[str, float]:
    """Per client: the baseline-adjusted PHQ-9 change from week 0 to the last week (positive = better).

    Computed on the complete scores, before any questionnaire goes unanswered: what the analysis would
    find without missing data. The change (week 0 minus last week) is adjusted to the average baseline by
    the regression of the last score on the week-0 score across clients, the analysis's definition (see
    `emotipal.analysis.compliance.figures.improvements`).
    """
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for s in clinic.complete_scores or clinic.scores:
        if s.week == 0:
            first[s.client_key] = s.phq9
        if s.week == clinic.weeks - 1:
            last[s.client_key] = s.phq9
    keys = [c.key for c in clinic.clients]
    adjusted = baseline_adjusted_change(
        np.array([first[k] for k in keys], dtype=float), np.array([last[k] for k in keys], dtype=float)
    )
    return dict(zip(keys, (float(v) for v in adjusted), strict=True))


def _corr(x: Sequence[float], y: Sequence[float]) -> float:
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xa) < 2 or xa.std() == 0 or ya.std() == 0:
        return float("nan")
    return float(np.corrcoef(xa, ya)[0, 1])


def _within_corr(x: Sequence[float], y: Sequence[float], groups: Sequence[str]) -> float:
    """The pooled within-group correlation: Pearson's r of the values centred on their group's mean."""
    xa, ya, ga = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(groups)
    xc, yc = xa.copy(), ya.copy()
    for g in np.unique(ga):
        members = ga == g
        xc[members] -= xa[members].mean()
        yc[members] -= ya[members].mean()
    sxx, syy = float(xc @ xc), float(yc @ yc)
    return float(xc @ yc) / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def reference_measure(clinic: SimClinic) -> dict[str, float]:
    """Per client with planned practice: the reference compliance measure, submitted / planned practices.

    This is the analysis's `REFERENCE_FIGURE` (there in percent); clients with nothing planned have none.
    """
    planned = dict.fromkeys((c.key for c in clinic.clients), 0)
    for a in clinic.assignments:
        planned[a.client_key] += len(planned_practice_days(a))
    fractions = engagement_fractions(clinic)
    return {key: fractions[key] for key, n in planned.items() if n}


def _reference_pairs(clinic: SimClinic) -> tuple[list[float], list[float], list[str]]:
    measure, improvement = reference_measure(clinic), observed_improvements(clinic)
    both = [c for c in clinic.clients if c.key in measure and c.key in improvement]
    return [measure[c.key] for c in both], [improvement[c.key] for c in both], [c.therapist_key for c in both]


def realised_correlation(clinic: SimClinic) -> float:
    """Sample correlation across all clients of the reference measure and observed improvement.

    With therapist effects this mixes the within- and the between-therapist association; without them its
    population value is `true_r`.
    """
    x, y, _groups = _reference_pairs(clinic)
    return _corr(x, y)


def realised_within_correlation(clinic: SimClinic) -> float:
    """The sample's pooled within-therapist correlation of the reference measure and observed improvement.

    Its population value is `true_r`: this is the number `--true-r` is calibrated to.
    """
    return _within_corr(*_reference_pairs(clinic))


def _latent_deviations(clinic: SimClinic) -> tuple[list[float], list[float], list[str]]:
    """Per client: the engagement and improvement latents less their therapist's effects, and the therapist."""
    inv = NormalDist().inv_cdf
    effect = {t.key: t for t in clinic.therapists}
    engagement, improvement = [], []
    for c in clinic.clients:
        t = effect.get(c.therapist_key)
        probit = inv(min(max(c.engagement, 1e-15), 1.0 - 1e-15))
        engagement.append(probit - (t.engagement_effect if t else 0.0))
        standardised = (c.improvement - IMPROVEMENT_MEAN) / IMPROVEMENT_SD
        improvement.append(standardised - (t.improvement_effect if t else 0.0))
    return engagement, improvement, [c.therapist_key for c in clinic.clients]


def latent_correlation(clinic: SimClinic) -> float:
    """Sample correlation of the two latents within therapists; its population value is `latent_r`."""
    engagement, improvement, _groups = _latent_deviations(clinic)
    return _corr(engagement, improvement)


# --- the truth: what --true-r means, and every figure's population value ---------------------------------

REFERENCE_FIGURE = "objective_percentage"  # the analysis's name for the reference measure
REFERENCE_DEFINITION = (
    "the objective percentage of planned practices completed (submitted entries / planned practice days "
    "over the whole course) against improvement (week-0 PHQ-9 minus the last week's PHQ-9), within "
    "therapists (values centred on the therapist's caseload mean)"
)
MAX_THERAPIST_SD = 2.0
THERAPIST_STREAM = 0x7E57  # the therapist effects' own random stream, beside the clinic's seed
_TRIVIAL_TEMPLATES: dict[str, list[dict[str, Any]]] = {
    # Answers do not affect practice, scores or ratings; the smallest template makes the samples fastest.
    "truth-sample": [{"id": "note", "type": "short_text", "label": "Note", "required": True}]
}
CALIBRATION_CLIENTS = 2000
CALIBRATION_CASELOAD = 40
CALIBRATION_SEED = 1_000_003
TRUTH_CLIENTS = 4000  # the default Monte Carlo sample for each figure's truth (its SE is at most ~0.016)
CLI_TRUTH_CLIENTS = (2000, 5, 20_000)  # `simulate`: max(2000, 5 x --clients), at most 20,000


def default_truth_clients(n_clients: int) -> int:
    """The command line's Monte Carlo sample: small data sets need less precise truths than large ones."""
    least, per_client, most = CLI_TRUTH_CLIENTS
    return max(least, min(per_client * n_clients, most))


TRUTH_CASELOAD = 50
TRUTH_SEED = 1_000_033


@functools.lru_cache(maxsize=64)
def reference_attenuation(weeks: int, therapist_sd: float = 0.0, therapist_r: float = 0.0) -> float:
    """The reference correlation per unit of latent correlation: the factor `calibrated_latent_r` divides by.

    Within a caseload the improvement latent is `latent_r * e + sqrt(1 - latent_r**2) * u` (e the client's
    engagement latent less the therapist effect, u independent), and the observed improvement is linear in
    it plus measurement noise that has nothing to do with engagement. So the pooled within-therapist
    correlation of the reference measure X with the observed improvement Y is exactly
    ``latent_r * corr_w(X, e) * corr_w(Y, u)`` (up to the PHQ-9's 0..27 bounds), and both factors can be
    measured once on a sample with `latent_r = 0`: `CALIBRATION_CLIENTS` simulated clients, fixed seed.
    Both factors are large correlations, so their sampling error is small (about 0.5% of the result).
    """
    sample = simulate_clinic(
        n_therapists=max(1, CALIBRATION_CLIENTS // CALIBRATION_CASELOAD),
        n_clients=CALIBRATION_CLIENTS,
        weeks=weeks,
        seed=CALIBRATION_SEED,
        true_r=0.0,
        halo=0.0,
        therapist_sd=therapist_sd,
        therapist_r=therapist_r,
        templates=_TRIVIAL_TEMPLATES,
        record_around_homework=False,
    )
    measure, improvement = reference_measure(sample), observed_improvements(sample)
    engagement, unrelated, groups = _latent_deviations(sample)
    keep = [i for i, c in enumerate(sample.clients) if c.key in measure and c.key in improvement]
    keys = [sample.clients[i].key for i in keep]
    kept_groups = [groups[i] for i in keep]
    practice = _within_corr([measure[k] for k in keys], [engagement[i] for i in keep], kept_groups)
    outcome = _within_corr([improvement[k] for k in keys], [unrelated[i] for i in keep], kept_groups)
    return practice * outcome


def calibrated_latent_r(
    true_r: float, *, weeks: int, therapist_sd: float = 0.0, therapist_r: float = 0.0
) -> float:
    """The latent within-therapist correlation that makes the reference correlation equal `true_r`.

    Raises ValueError when `true_r` is beyond what the observable measures can show (practice is a chance
    process and the PHQ-9 has measurement error, so even a perfect latent link shows as less).
    """
    if true_r == 0.0:
        return 0.0
    factor = reference_attenuation(weeks, float(therapist_sd), float(therapist_r))
    latent = true_r / factor
    if abs(latent) > 1.0:
        raise ValueError(
            f"true_r = {true_r:g} cannot be reached with {weeks} weeks: the reference measure ({REFERENCE_FIGURE}) "
            f"can correlate with observed improvement at most {factor:.2f} in absolute value, because "
            "practice is a chance process and the PHQ-9 has measurement error"
        )
    return latent


def population_truth(
    *,
    weeks: int,
    true_r: float,
    halo: float,
    therapist_sd: float = 0.0,
    therapist_r: float = 0.0,
    n_clients: int = TRUTH_CLIENTS,
    seed: int = TRUTH_SEED,
    missing: Missingness | None = None,
) -> dict[str, Any]:
    """Every compliance figure's population correlation with improvement, by a large Monte Carlo sample.

    A clinic of `n_clients` (in caseloads of `TRUTH_CASELOAD`) is simulated with the same settings and a
    fixed seed, written in the export format and read back by the analysis, which computes each figure and
    the improvement exactly as it does for any data set; so the truth follows the analysis's definitions.
    The sample is written with its complete scores: the truth is the correlation with the improvement as it
    was, whatever went unanswered (the `missing` setting still shapes what the raters saw, hence the halo).
    ``figures[name]["within"]`` is the pooled within-therapist correlation, ``["all_clients"]`` the
    correlation across all clients (the two differ only with therapist effects); ``overall_within`` is the
    Fisher-z mean of the within values, the estimand of the analysis's overall figure. The Monte Carlo
    standard error of each value is at most ``monte_carlo["max_se"]``.
    """
    return copy.deepcopy(
        _population_truth(
            weeks,
            true_r,
            halo,
            float(therapist_sd),
            float(therapist_r),
            n_clients,
            seed,
            missing or Missingness(),
        )
    )


@functools.lru_cache(maxsize=16)
def _population_truth(
    weeks: int,
    true_r: float,
    halo: float,
    therapist_sd: float,
    therapist_r: float,
    n_clients: int,
    seed: int,
    missing: Missingness,
) -> dict[str, Any]:
    # Imported here: the analysis is only needed for the truth, and it never imports the simulator.
    from emotipal.analysis.compliance.correlations import population_correlations
    from emotipal.analysis.compliance.dataset import load_dataset

    n_therapists = max(1, n_clients // TRUTH_CASELOAD)
    sample = simulate_clinic(
        n_therapists=n_therapists,
        n_clients=n_clients,
        weeks=weeks,
        seed=seed,
        true_r=true_r,
        halo=halo,
        therapist_sd=therapist_sd,
        therapist_r=therapist_r,
        missing=missing,
        templates=_TRIVIAL_TEMPLATES,
    )
    sample = dataclasses.replace(sample, scores=sample.complete_scores)
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(sample, Path(tmp))
        values = population_correlations(load_dataset(tmp))
    within = [v["within"] for v in values.values() if v["within"] is not None]
    overall = math.tanh(statistics.fmean(math.atanh(r) for r in within)) if within else None
    return {
        "figures": {name: {k: _json_float(v) for k, v in pair.items()} for name, pair in values.items()},
        "overall_within": None if overall is None else _json_float(overall),
        "monte_carlo": {
            "n_clients": n_clients,
            "n_therapists": n_therapists,
            "seed": seed,
            # The sampling SE of a correlation r from n pairs is about (1 - r^2) / sqrt(n - 3); the largest
            # over the figures is that of the one nearest 0.
            "max_se": _json_float(
                (1.0 - min(abs(r) for r in within) ** 2) / math.sqrt(n_clients - n_therapists - 2)
            )
            if within
            else None,
        },
    }


# --- output ----------------------------------------------------------------------------------------------


def write_dataset(clinic: SimClinic, out_dir: Path, *, truth_clients: int = 0) -> list[Path]:
    """Write the clinic as CSV files plus truth.json into out_dir; return the paths written.

    With `truth_clients` > 0 truth.json also holds every figure's population value (`population_truth`,
    from a Monte Carlo sample of that many clients; 0 leaves them out, which is much faster).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        _write_csv(
            out_dir / "therapists.csv",
            [
                {
                    "key": t.key,
                    "display_name": t.display_name,
                    "email": t.email,
                    # Unobservable in a real clinic, like the clients' latents.
                    "truth_engagement_effect": t.engagement_effect,
                    "truth_improvement_effect": t.improvement_effect,
                }
                for t in clinic.therapists
            ],
        ),
        _write_csv(
            out_dir / "clients.csv",
            [
                {
                    "key": c.key,
                    "therapist_key": c.therapist_key,
                    "display_name": c.display_name,
                    "email": c.email,
                    # Latent traits are unobservable in a real clinic; the prefix keeps them out of analyses.
                    "truth_engagement": c.engagement,
                    "truth_quality": c.quality,
                    "truth_baseline_phq9": c.baseline_phq9,
                    "truth_improvement": c.improvement,
                    "discharged_day": c.discharged_day,
                    # The arm allocated, only when a trial was simulated (the export's arm column).
                    **({"arm": c.arm} if clinic.arms is not None else {}),
                }
                for c in clinic.clients
            ],
        ),
        _write_csv(
            out_dir / "assignments.csv",
            [
                {**_row(a), "practice_weekdays": json.dumps(list(a.practice_weekdays))}
                for a in clinic.assignments
            ],
        ),
        _write_csv(
            out_dir / "entries.csv",
            [{**_row(e), "answers": json.dumps(e.answers, sort_keys=True)} for e in clinic.entries],
        ),
        _write_csv(out_dir / "scores.csv", [_row(s) for s in clinic.scores]),
        _write_csv(
            out_dir / "sessions.csv",
            [_row(s) for s in clinic.sessions],
            _field_names(SimSession),
        ),
        _write_csv(
            out_dir / "self_reviews.csv",
            [_with_rating_columns(_row(r)) for r in clinic.self_reviews],
            _rating_field_names(SimSelfReview),
        ),
        _write_csv(
            out_dir / "therapist_reviews.csv",
            [_with_rating_columns(_row(r)) for r in clinic.therapist_reviews],
            _rating_field_names(SimTherapistReview),
        ),
        _write_csv(
            out_dir / "barriers.csv",
            [_row(b) for b in clinic.barriers],
            _field_names(SimBarrier),
        ),
        _write_csv(
            out_dir / "retro_ratings.csv",
            [_row(r) for r in clinic.retro_ratings],
            _field_names(SimRetroRating),
        ),
    ]
    truth: dict[str, Any] = {
        "seed": clinic.seed,
        "true_r": clinic.true_r,
        "reference_figure": REFERENCE_FIGURE,
        "n_therapists": len(clinic.therapists),
        "n_clients": len(clinic.clients),
        "weeks": clinic.weeks,
        "halo": clinic.halo,
        "halo_points": HALO_POINTS,
        "halo_weights": {"weekly": HALO_WEEKLY_WEIGHT, "retroactive": HALO_RETRO_WEIGHT},
        "therapist_sd": clinic.therapist_sd,
        "therapist_r": clinic.therapist_r,
        "missing": _missing_settings(clinic),
        "truth": {**_truth_section(clinic, truth_clients), **_trajectory_truth(clinic)},
        "realised": {
            "reference_within_r": _json_float(realised_within_correlation(clinic)),
            "reference_all_clients_r": _json_float(realised_correlation(clinic)),
            "latent_within_r": _json_float(latent_correlation(clinic)),
            "share_missing": _json_float(share_missing(clinic)),
        },
        "definitions": {
            "truth": "population values of the generating model (what the analysis estimates); 'realised' "
            "holds the same quantities computed on this sample",
            "true_r": f"the population correlation of {REFERENCE_DEFINITION}; the simulator calibrates its "
            "latent correlation (truth.latent_within_r) so that this holds",
            "reference_figure": "the analysis's name of the reference compliance measure",
            "truth.reference_within_r": "= true_r",
            "truth.latent_within_r": "population correlation, within therapists, of the clients' engagement "
            "latent (probit(truth_engagement) less the therapist's truth_engagement_effect) and improvement "
            "latent ((truth_improvement - 4) / 3 less the therapist's truth_improvement_effect)",
            "truth.figures": "per compliance figure (the analysis's definitions): 'within' = population pooled "
            "within-therapist correlation with improvement, 'all_clients' = population correlation across all "
            "clients; from a Monte Carlo sample (truth.monte_carlo; null when not computed)",
            "truth.overall_within": "tanh of the mean of atanh(within) over the figures: the analysis's "
            "overall estimand",
            "realised.reference_within_r": "this sample's pooled within-therapist correlation of the reference "
            "measure and improvement",
            "realised.reference_all_clients_r": "the same across all clients, ignoring therapists",
            "realised.latent_within_r": "this sample's correlation of the two latents (therapist effects "
            "removed)",
            "therapist_sd": "SD of the therapists' effects on the engagement latent (probit scale) and on the "
            "improvement latent (SD units; x 3 for PHQ-9 points); 0 = therapists differ only by chance",
            "therapist_r": "correlation of a therapist's engagement effect and improvement effect: the "
            "between-therapist association",
            "truth.time_slope_mean": "population mean across clients of the weekly PHQ-9 slope of their "
            "straight-line trajectory (points per week; negative = improving)",
            "truth.time_slope_sd": "population SD across clients of that slope (therapist effects included)",
            "truth.lagged_within_effect": "PHQ-9 points added to a week's score per 10 percentage points of "
            "the previous week's planned practices submitted (the within-person effect of practice)",
            "missing": "which weekly PHQ-9 go unanswered: none after an early discharge (after_discharge); "
            "each week after week 0 a client still answering stops for good with log-odds "
            "logit(dropout_rate) + per_point * (last answered score - 14), or else skips that week with "
            "log-odds logit(skip_rate) + the same shift: missing at random given the scores already seen",
            "realised.share_missing": "share of the client-weeks (every client, every week) without a PHQ-9 "
            "score in scores.csv",
            "halo": "how strongly every subjective rating (weekly self-review and therapist review, end-of-"
            "treatment retroactive rating) is inflated by the client's observed improvement: a rating's 0..1 "
            "value is the objective figure + halo * weight * (PHQ-9 drop from week 0 to the latest score "
            "answered by then - the drop expected by then) / halo_points, with weight halo_weights['weekly'] or ['retroactive']; "
            "0 = the objective figure plus noise",
        },
    }
    if clinic.arms is not None:
        written.append(
            _write_csv(out_dir / "allocations.csv", [_row(a) for a in clinic.allocations], ALLOCATION_COLUMNS)
        )
        truth["arms"] = _arms_truth(clinic)
        truth["definitions"]["arms"] = (
            "the simulated randomised experiment: arms with their allocation ratios (the first is the "
            "reference), the unit randomised (client, therapist or clinic: therapist t in clinic t mod "
            "n_clinics), and the effects every other arm has relative to the reference: "
            "effect_engagement_probit is added to the engagement latent (probit scale), "
            "effect_improvement_phq9 to the true PHQ-9 improvement over the course (points; the true "
            "last-week minus week-0 change is lower by it); the allocation log is allocations.csv"
        )
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return [*written, truth_path]


def _arms_truth(clinic: SimClinic) -> dict[str, Any]:
    design = clinic.arms
    assert design is not None
    counts = {key: 0 for key, _ in design.arms}
    for a in clinic.allocations:
        counts[a.arm] += 1
    return {
        "experiment": design.experiment,
        "arms": [[key, ratio] for key, ratio in design.arms],
        "reference": design.reference,
        "unit": design.unit,
        "n_clinics": design.n_clinics if design.unit == "clinic" else None,
        "effect_engagement_probit": design.effect_engagement,
        "effect_improvement_phq9": design.effect_improvement,
        "time_slope_difference": round(-design.effect_improvement / (clinic.weeks - 1), 6),
        "n_allocated": counts,
    }


def time_slope_truth(weeks: int, therapist_sd: float = 0.0) -> tuple[float, float]:
    """The population mean and SD across clients of the true weekly PHQ-9 slope (points per week).

    Each client's scores lie on a straight line falling by their `improvement` over the weeks - 1 steps of
    the course, and the improvement is IMPROVEMENT_MEAN + IMPROVEMENT_SD * (a standard normal + their
    therapist's effect, normal with SD `therapist_sd`).
    """
    return -IMPROVEMENT_MEAN / (weeks - 1), IMPROVEMENT_SD * math.sqrt(1.0 + therapist_sd**2) / (weeks - 1)


def share_missing(clinic: SimClinic) -> float:
    """The realised share of the client-weeks (every client, weeks 0 .. weeks - 1) without a PHQ-9 score."""
    expected = len(clinic.clients) * clinic.weeks
    return 1.0 - len(clinic.scores) / expected if expected else 0.0


def _trajectory_truth(clinic: SimClinic) -> dict[str, Any]:
    mean, sd = time_slope_truth(clinic.weeks, clinic.therapist_sd)
    return {
        "time_slope_mean": round(mean, 6),
        "time_slope_sd": round(sd, 6),
        "lagged_within_effect": clinic.practice_effect,
    }


def _missing_settings(clinic: SimClinic) -> dict[str, Any]:
    m = clinic.missing
    return {
        "after_discharge": m.after_discharge,
        "skip_rate": m.skip_rate,
        "dropout_rate": m.dropout_rate,
        "per_point": m.per_point,
    }


def _truth_section(clinic: SimClinic, truth_clients: int) -> dict[str, Any]:
    section: dict[str, Any] = {
        "reference_within_r": clinic.true_r,
        "latent_within_r": None if clinic.latent_r is None else _json_float(clinic.latent_r),
        "figures": None,
        "overall_within": None,
        "monte_carlo": None,
    }
    if truth_clients > 0:
        section.update(
            population_truth(
                weeks=clinic.weeks,
                true_r=clinic.true_r,
                halo=clinic.halo,
                therapist_sd=clinic.therapist_sd,
                therapist_r=clinic.therapist_r,
                n_clients=truth_clients,
                missing=clinic.missing,
            )
        )
    return section


def _json_float(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 6)


def _row(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, without `dataclasses.asdict`'s deep copy (five times faster)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _write_csv(path: Path, rows: list[dict[str, Any]], fieldnames: Sequence[str] | None = None) -> Path:
    # Header from the given names, else from the dataclass-shaped first row; without either an empty
    # table is an empty file.
    with path.open("w", newline="", encoding="utf-8") as fh:
        names = list(fieldnames) if fieldnames is not None else list(rows[0]) if rows else None
        if names is not None:
            writer = csv.DictWriter(fh, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
    return path


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _rating_field_names(cls: type) -> list[str]:
    """A review's columns with its `ratings` spread into one column per dimension."""
    names: list[str] = []
    for name in _field_names(cls):
        names.extend(REVIEW_DIMENSIONS if name == "ratings" else (name,))
    return names


def _with_rating_columns(row: dict[str, Any]) -> dict[str, Any]:
    ratings = row.pop("ratings")
    return {**row, **{d: ratings[d] for d in REVIEW_DIMENSIONS}}


# --- CLI -------------------------------------------------------------------------------------------------


def load_templates(directory: Path = TEMPLATE_DIR) -> dict[str, list[dict[str, Any]]]:
    """Read {slug: fields} from the exercise YAML files (as data; emotipal.library is not imported)."""
    import yaml  # imported here so that the simulator itself works without PyYAML

    templates: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("slug"), str) and isinstance(doc.get("fields"), list):
            templates[doc["slug"]] = doc["fields"]
    return templates


def main(argv: list[str] | None = None) -> int:
    """`emotipal simulate ...`: write a simulated clinic data set. argv excludes the subcommand name."""
    parser = argparse.ArgumentParser(
        prog="emotipal simulate", description="Write a simulated clinic (CSV files + truth.json)."
    )
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--therapists", type=int, default=3)
    parser.add_argument(
        "--true-r",
        type=float,
        default=0.5,
        help="the population correlation, within therapists, of the reference compliance measure - the "
        "objective percentage of planned practices completed (analysis figure objective_percentage) - with "
        "improvement (week-0 minus last-week PHQ-9); the simulator calibrates its latent traits so that this "
        "holds (reachable up to about 0.6; truth.json gives every figure's own population value)",
    )
    parser.add_argument(
        "--halo",
        type=float,
        default=HALO_DEFAULT,
        help="0..1: how strongly subjective and retroactive ratings are inflated by the client's "
        "improvement (0 = none)",
    )
    parser.add_argument(
        "--therapist-sd",
        type=float,
        default=0.0,
        help=f"0..{MAX_THERAPIST_SD:g}: SD of the therapists' effects on their clients' engagement latent "
        "(probit scale) and improvement latent (in SDs of the clients' own spread); default 0: none",
    )
    parser.add_argument(
        "--therapist-r",
        type=float,
        default=0.0,
        help="-1..1: correlation of a therapist's engagement and improvement effects (the association "
        "between therapists; with --true-r 0 it is the only one)",
    )
    parser.add_argument(
        "--truth-clients",
        type=int,
        default=None,
        help="simulated clients in the Monte Carlo sample that gives every figure's truth in truth.json "
        "(default: 5 x --clients, at least 2000 and at most 20000, so that the Monte Carlo SE, about "
        "1/sqrt(N), stays well below the data set's own; 0: leave the figures' truths out)",
    )
    parser.add_argument("--seed", type=int, default=7)
    defaults = Missingness()
    parser.add_argument(
        "--skip-rate",
        type=float,
        default=defaults.skip_rate,
        help="chance that a weekly PHQ-9 (after week 0) is skipped, at a last score of 14 (0 = none)",
    )
    parser.add_argument(
        "--dropout-rate",
        type=float,
        default=defaults.dropout_rate,
        help="weekly chance of stopping the PHQ-9 for good while in treatment, at a last score of 14",
    )
    parser.add_argument(
        "--missing-per-point",
        type=float,
        default=defaults.per_point,
        help="change in the log-odds of skipping or dropping out per PHQ-9 point of the last answered score "
        "(0 = completely at random)",
    )
    parser.add_argument(
        "--scores-after-discharge",
        action="store_true",
        help="keep sending the weekly PHQ-9 after an early discharge (default: none after it)",
    )
    parser.add_argument(
        "--practice-effect",
        type=float,
        default=0.0,
        help="PHQ-9 points added to next week's score per 10 percentage points of this week's practice",
    )
    parser.add_argument(
        "--arms",
        default=None,
        help="simulate a randomised experiment with these arms and allocation ratios, e.g. a:1,b:1 (the "
        "first is the reference); writes allocations.csv and an arm column in clients.csv",
    )
    parser.add_argument(
        "--arm-unit",
        choices=ARM_UNITS,
        default="client",
        help="the unit randomised: each client, each therapist's caseload, or each clinic (default client)",
    )
    parser.add_argument(
        "--arm-clinics",
        type=int,
        default=2,
        help="with --arm-unit clinic: how many clinics the therapists belong to (therapist t in clinic t mod N)",
    )
    parser.add_argument(
        "--arm-effect-engagement",
        type=float,
        default=0.0,
        help="added to the engagement latent (probit scale) of clients in every non-reference arm",
    )
    parser.add_argument(
        "--arm-effect-improvement",
        type=float,
        default=0.0,
        help="PHQ-9 points added to the true improvement over the course of clients in every non-reference arm",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument(
        "--templates", type=Path, default=TEMPLATE_DIR, help="directory of exercise YAML files"
    )
    args = parser.parse_args(argv)
    if args.truth_clients is None:
        args.truth_clients = default_truth_clients(args.clients)
    if args.truth_clients < 0:
        parser.error("--truth-clients must be 0 or more")

    design: ArmDesign | None = None
    if args.arms is not None:
        try:
            design = ArmDesign(
                arms=parse_arms(args.arms),
                unit=args.arm_unit,
                effect_engagement=args.arm_effect_engagement,
                effect_improvement=args.arm_effect_improvement,
                n_clinics=args.arm_clinics,
            )
        except ValueError as exc:
            parser.error(f"--arms: {exc}")
    elif args.arm_effect_engagement or args.arm_effect_improvement:
        parser.error("an arm effect needs --arms")

    templates = load_templates(args.templates)
    if not templates:
        print(f"no exercise templates (*.yaml with slug and fields) in {args.templates}", file=sys.stderr)
        return 2
    try:
        clinic = simulate_clinic(
            n_therapists=args.therapists,
            n_clients=args.clients,
            weeks=args.weeks,
            seed=args.seed,
            true_r=args.true_r,
            halo=args.halo,
            therapist_sd=args.therapist_sd,
            therapist_r=args.therapist_r,
            missing=Missingness(
                after_discharge=not args.scores_after_discharge,
                skip_rate=args.skip_rate,
                dropout_rate=args.dropout_rate,
                per_point=args.missing_per_point,
            ),
            practice_effect=args.practice_effect,
            templates=templates,
            arms=design,
        )
    except ValueError as exc:
        parser.error(str(exc))
    paths = write_dataset(clinic, args.out, truth_clients=args.truth_clients)
    truth_note = (
        f"; every figure's truth from {args.truth_clients} simulated clients" if args.truth_clients else ""
    )
    print(
        f"{len(clinic.clients)} clients, {len(clinic.entries)} entries over {clinic.weeks} weeks; "
        f"realised within-therapist r of {REFERENCE_FIGURE} with improvement = "
        f"{realised_within_correlation(clinic):.3f} (truth: true_r = {clinic.true_r}{truth_note}); "
        f"{len(clinic.sessions)} sessions, {len(clinic.self_reviews)} self-reviews, "
        f"{len(clinic.therapist_reviews)} therapist reviews, {len(clinic.barriers)} barriers (halo = {clinic.halo}); "
        f"{share_missing(clinic):.1%} of the weekly PHQ-9 scores missing"
    )
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
