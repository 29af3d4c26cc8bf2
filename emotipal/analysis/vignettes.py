"""Training vignettes: simulated clients for practising how homework is reviewed and set.

A vignette is one simulated client from `emotipal.analysis.simulate` (no real client's data ever enters it):
the homework set so far with how often it was practised and each practice's effort and difficulty, the
barriers reported for missed practices, weekly PHQ-9 scores, and the last homework with the client's own
look back at it. A profile (low mood with avoidance, worry with no time, ...) chooses the exercise, how much
the client practises (the simulated client whose engagement is nearest the profile's target is taken), which
barriers they report and a goal.

Two things are the profile's, not the simulator's, and are said so here: the simulator reports barriers drawn
evenly from all codes, so the vignette re-draws each reported barrier's code from the profile's barrier mix
(same day, same missed practice); and the simulator models PHQ-9 only, so GAD-7 is derived week by week from
the PHQ-9 score with the profile's slope and offset plus rounding noise.

Pure: no Django, no database. The same profile and seed always give the same vignette.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from emotipal.analysis import simulate as sim
from emotipal.definitions.i18n import gettext_noop

WEEKS = 8  # a course of eight weekly sessions; the vignette is the eighth
CLIENTS_PER_DRAW = 12  # simulated clients to choose the best fit for the profile from
VIGNETTE_STREAM = 0x7261  # the vignette's own draws (barrier codes, GAD-7 noise): never shift the simulator's


@dataclass(frozen=True)
class Profile:
    key: str
    title: str
    presenting: str  # what brought the client, in one or two sentences
    goal: str
    exercise: str  # template slug of the exercise the client has been practising
    engagement: float  # 0..1 target: the simulated client nearest this is taken
    barrier_mix: Mapping[str, float]  # barrier code -> weight; the first is the main barrier
    gad7_slope: float  # GAD-7 = slope * PHQ-9 + offset (+ noise), clamped to 0..21
    gad7_offset: float

    @property
    def main_barrier(self) -> str:
        return next(iter(self.barrier_mix))


PROFILES: tuple[Profile, ...] = (
    Profile(
        "low-mood-avoidance",
        gettext_noop("Low mood with avoidance"),
        gettext_noop(
            "Has felt flat for months, stopped seeing friends and spends weekends indoors. Plans activities "
            "but often does not start them."
        ),
        gettext_noop("Get back to one social activity a week"),
        "behavioural-activation",
        0.25,
        {"low_mood": 0.6, "too_hard": 0.25, "no_point": 0.15},
        0.55,
        1.0,
    ),
    Profile(
        "worry-no-time",
        gettext_noop("Worry with no time"),
        gettext_noop(
            "Worries most evenings about work and family, sleeps badly, and says the week is too full to "
            "practise anything."
        ),
        gettext_noop("Fall asleep within half an hour on work nights"),
        "worry-time",
        0.45,
        {"no_time": 0.6, "forgot": 0.25, "something_happened": 0.15},
        0.6,
        6.0,
    ),
    Profile(
        "panic-partial-practice",
        gettext_noop("Panic with partial practice"),
        gettext_noop(
            "Has panic attacks on buses and in shops, and cuts exposure practice short when the fear rises."
        ),
        gettext_noop("Take the bus to work twice a week"),
        "exposure-practice",
        0.5,
        {"too_hard": 0.55, "forgot": 0.25, "something_happened": 0.2},
        0.65,
        5.0,
    ),
    Profile(
        "self-criticism-unsure",
        gettext_noop("Self-criticism, unsure how to practise"),
        gettext_noop(
            "Is harsh with themself after small mistakes and finds it hard to know what to write in a "
            "thought record."
        ),
        gettext_noop("Answer a harsh thought with a fairer one, most days"),
        "thought-record",
        0.4,
        {"unsure_how": 0.55, "no_point": 0.25, "forgot": 0.2},
        0.5,
        3.0,
    ),
    Profile(
        "stress-forgetting",
        gettext_noop("Stress, practice forgotten"),
        gettext_noop(
            "Feels tense most of the day, likes the relaxation exercise in session but forgets it at home."
        ),
        gettext_noop("Feel calm enough to enjoy the evenings again"),
        "relaxation",
        0.3,
        {"forgot": 0.6, "no_time": 0.25, "other": 0.15},
        0.6,
        4.0,
    ),
)
PROFILES_BY_KEY = {p.key: p for p in PROFILES}


def build_vignette(
    profile_key: str, seed: int, templates: Mapping[str, list[dict[str, Any]]] | None = None
) -> dict[str, Any]:
    """The vignette of this profile and seed, as JSON-ready plain data (see the module docstring)."""
    profile = PROFILES_BY_KEY[profile_key]
    fields = (templates if templates is not None else sim.load_templates())[profile.exercise]
    clinic = sim.simulate_clinic(
        n_therapists=1,
        n_clients=CLIENTS_PER_DRAW,
        weeks=WEEKS,
        seed=seed,
        true_r=0.3,
        missing=sim.NO_MISSING,
        templates={profile.exercise: fields},
    )
    reviewed = {r.client_key for r in clinic.self_reviews}
    candidates = [c for c in clinic.clients if c.discharged_day is None and c.key in reviewed]
    if not candidates:  # not seen with WEEKS = 8, but a seed must never fail
        candidates = [c for c in clinic.clients if c.key in reviewed] or list(clinic.clients)
    # Best: the client's last self-review is of their latest homework (the one to review now), who reported
    # barriers, then the engagement nearest the profile's.
    client = min(
        candidates,
        key=lambda c: (
            not _reviews_latest(clinic, c.key),
            not any(b.client_key == c.key for b in clinic.barriers),
            abs(c.engagement - profile.engagement),
            c.key,
        ),
    )
    rng = np.random.default_rng([VIGNETTE_STREAM, seed])
    # The vignette's session is the client's last one (in the last week): the case stops the day before.
    now = max(s.day for s in clinic.sessions if s.client_key == client.key)

    assignments = [a for a in clinic.assignments if a.client_key == client.key and a.start_day < now]
    entries = [e for e in clinic.entries if e.client_key == client.key and e.submitted and e.day < now]
    homework = [_homework(a, entries, now) for a in assignments]

    codes, weights = list(profile.barrier_mix), np.array(list(profile.barrier_mix.values()))
    barriers: list[dict[str, Any]] = []
    for b in clinic.barriers:
        if b.client_key == client.key and b.day < now:
            code = codes[int(rng.choice(len(codes), p=weights / weights.sum()))]
            notes = sim.BARRIER_NOTES[code]
            barriers.append(
                {
                    "week": b.day // 7 + 1,
                    "homework": b.assignment_key.split("-")[-1],
                    "barrier": code,
                    "note": notes[int(rng.integers(len(notes)))],
                }
            )
    scores = []
    for s in sorted((s for s in clinic.scores if s.client_key == client.key), key=lambda s: s.week):
        gad7 = profile.gad7_slope * s.phq9 + profile.gad7_offset + rng.normal(0, 1.0)
        scores.append({"week": s.week + 1, "phq9": s.phq9, "gad7": round(min(21.0, max(0.0, float(gad7))))})

    last_review = max(
        (r for r in clinic.self_reviews if r.client_key == client.key and r.day <= now), key=lambda r: r.day
    )
    last = next(h for h in homework if h["key"] == last_review.assignment_key.split("-")[-1])
    counts = Counter(b["barrier"] for b in barriers)
    # The self-review's "what got in the way" must agree with the re-drawn barriers of that homework.
    in_the_way = last_review.what_got_in_way
    if in_the_way != sim.NOTHING_IN_THE_WAY:
        of_last = Counter(b["barrier"] for b in barriers if b["homework"] == last["key"])
        code = (of_last or counts or Counter({profile.main_barrier: 1})).most_common(1)[0][0]
        in_the_way = sim.BARRIER_NOTES[code][0]
    return {
        "profile": profile.key,
        "seed": seed,
        "title": profile.title,
        "presenting": profile.presenting,
        "goal": profile.goal,
        "exercise": profile.exercise,
        "session": WEEKS,
        "main_barrier": profile.main_barrier,
        "homework": homework,
        "barriers": barriers,
        "barrier_counts": dict(counts.most_common()),
        "scores": scores,
        "last_homework": {
            **last,
            "self_review": {
                "week": last_review.day // 7 + 1,
                "helpfulness": last_review.helpfulness,
                "ratings": dict(last_review.ratings),
                "what_i_did": last_review.what_i_did,
                "what_i_learned": last_review.what_i_learned,
                "what_got_in_way": in_the_way,
            },
        },
    }


def _reviews_latest(clinic: sim.SimClinic, client_key: str) -> bool:
    reviews = [r for r in clinic.self_reviews if r.client_key == client_key]
    assignments = [a for a in clinic.assignments if a.client_key == client_key]
    if not reviews or not assignments:
        return False
    latest = max(assignments, key=lambda a: a.start_day)
    return max(reviews, key=lambda r: r.day).assignment_key == latest.key


def _homework(a: sim.SimAssignment, entries: list[sim.SimEntry], now: int) -> dict[str, Any]:
    """One homework as the case page shows it: what was set, how often it was practised, each practice."""
    planned = [d for d in sim.planned_practice_days(a) if d < now]
    done = sorted((e for e in entries if e.assignment_key == a.key), key=lambda e: e.day)
    return {
        "key": a.key.split("-")[-1],  # "a1", "a2": the client's key is an internal simulator name
        "exercise": a.template_slug,
        "set_week": a.start_day // 7 + 1,
        "times_per_week": a.times_per_week,
        "minutes_per_practice": a.minutes_per_practice,
        "rationale": a.rationale,
        "planned": len(planned),
        "practised": len(done),
        "entries": [
            {
                "week": e.day // 7 + 1,
                "effort": e.effort,
                "difficulty": e.difficulty,
                "helpfulness": e.helpfulness,
            }
            for e in done
        ],
    }


# The seed of each profile's vignette in the training set: chosen once so that each case shows its profile
# clearly (barriers reported, the last homework reviewed by the client in the last week).
DEFAULT_SEEDS = {
    "low-mood-avoidance": 101,
    "worry-no-time": 102,
    "panic-partial-practice": 103,
    "self-criticism-unsure": 104,
    "stress-forgetting": 200,
}


def default_set() -> list[tuple[str, int]]:
    """The vignettes the training mode loads: each profile once, with its own seed."""
    return [(profile.key, DEFAULT_SEEDS[profile.key]) for profile in PROFILES]
