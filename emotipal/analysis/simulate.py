"""A simulated clinic: therapists, clients, homework assignments, practice entries and weekly PHQ-9 scores.

The simulator gives demos, load tests and the analysis code a data set whose ground truth is known. Each
client has latent traits (engagement, quality, true improvement); the observable data (entries, scores) are
generated from them, so an analysis can be checked against `true_r`, the population correlation between
the engagement latent and the improvement latent.

This module is part of the pure analysis package: it must not import Django or any other part of emotipal.
That is why it carries its own answer generator instead of using `emotipal.library.schema`; the tests check
that every generated submission validates against that schema.

Everything is keyed by day numbers counted from the clinic start (day 0 is a Monday, so `day % 7` is the
weekday); only datetime answers need a calendar date, and they are anchored at `SIM_START`.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import functools
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

SIM_START = dt.date(2026, 1, 5)  # a Monday; only used to give datetime answers a calendar date
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "library" / "exercises"
SIMULATED_EMAIL_DOMAIN = "demo.emotipal.invalid"  # .invalid can never be delivered to (RFC 2606)

# --- data model ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimTherapist:
    key: str
    display_name: str
    email: str


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


@dataclass(frozen=True)
class SimScore:
    client_key: str
    week: int
    phq9: int  # 0..27


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
    """Answers to a template's `fields` that pass `emotipal.library.schema.validate_answers`.

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
    templates: Mapping[str, list[dict[str, Any]]],
) -> SimClinic:
    """Simulate a clinic. The same arguments always give the same clinic."""
    if not templates:
        raise ValueError("at least one template is needed")
    if n_therapists < 1 or n_clients < 1:
        raise ValueError("need at least one therapist and one client")
    if weeks < 2:
        raise ValueError("need at least two weeks (a baseline and a follow-up score)")
    if not -1.0 <= true_r <= 1.0:
        raise ValueError("true_r is a correlation and must lie in -1..1")

    rng = np.random.default_rng(seed)
    slugs = sorted(templates)  # sorted so that dict order cannot change the result

    # Latents: a standard-normal engagement latent and an improvement latent correlated with it by
    # construction, so corr(z_engagement, z_improvement) = true_r in the population.
    z_engagement = rng.standard_normal(n_clients)
    z_improvement = true_r * z_engagement + math.sqrt(1.0 - true_r**2) * rng.standard_normal(n_clients)
    # Quality is mildly tied to engagement (people who practise more tend to practise better) but does
    # not enter the outcome, so true_r stays the only engagement-outcome link.
    z_quality = 0.3 * z_engagement + math.sqrt(1.0 - 0.3**2) * rng.standard_normal(n_clients)
    baselines = rng.integers(10, 23, size=n_clients)  # 10..22 inclusive
    therapist_of = rng.permutation(n_clients) % n_therapists  # balanced caseloads, random membership
    # Therapists differ in how diligently and how quickly they review submitted entries.
    review_rates = rng.uniform(0.75, 0.98, size=n_therapists)
    review_lags = rng.integers(2, 9, size=n_therapists)
    client_names = _client_names(n_clients, rng)
    # One independent stream per client: a change in one client's draws (e.g. a longer template) does
    # not shift every client after it.
    client_rngs = rng.spawn(n_clients)

    phi = NormalDist().cdf
    therapists = tuple(
        SimTherapist(
            key=f"t{i + 1:02d}",
            display_name=f"Dr. {first} {last}",
            email=f"dr.{_email_local(first, last)}@{SIMULATED_EMAIL_DOMAIN}",
        )
        for i, (first, last) in enumerate(_therapist_names(n_therapists))
    )
    width = max(3, len(str(n_clients)))
    clients: list[SimClient] = []
    assignments: list[SimAssignment] = []
    entries: list[SimEntry] = []
    scores: list[SimScore] = []
    for i in range(n_clients):
        display_name, email = client_names[i]
        t = int(therapist_of[i])
        client = SimClient(
            key=f"c{i + 1:0{width}d}",
            therapist_key=therapists[t].key,
            display_name=display_name,
            email=email,
            engagement=phi(float(z_engagement[i])),
            quality=phi(float(z_quality[i])),
            baseline_phq9=int(baselines[i]),
            improvement=4.0 + 3.0 * float(z_improvement[i]),
        )
        crng = client_rngs[i]
        client_assignments = _assignments(client, slugs, weeks, crng)
        clients.append(client)
        assignments.extend(client_assignments)
        entries.extend(
            _entries(
                client,
                client_assignments,
                templates,
                weeks,
                crng,
                review_rate=float(review_rates[t]),
                review_lag=int(review_lags[t]),
            )
        )
        scores.extend(_scores(client, weeks, crng))

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
    )


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


def _assignments(
    client: SimClient, slugs: list[str], weeks: int, rng: np.random.Generator
) -> list[SimAssignment]:
    """1-3 assignments: a new one every 4-6 weeks, each lasting 2-6 weeks (they may overlap)."""
    last_day = weeks * 7 - 1
    week = int(rng.integers(0, min(2, weeks - 1)))
    result: list[SimAssignment] = []
    previous: str | None = None
    while len(result) < 3 and week < weeks - 1:
        choices = [s for s in slugs if s != previous] or slugs  # vary the homework when possible
        slug = choices[int(rng.integers(len(choices)))]
        start = week * 7 + int(rng.integers(0, 3))
        end = min(start + int(rng.integers(2, 7)) * 7 - 1, last_day)
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
) -> list[SimEntry]:
    end_of_clinic = weeks * 7
    # Life gets in the way: every week has some noise and about one in eight is clearly worse.
    week_effect = rng.normal(0.0, 0.1, size=weeks) - 0.35 * (rng.random(weeks) < 0.12)
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
            else:
                # A draft keeps the first few answers typed before the client gave up.
                keep = int(rng.integers(0, len(answers) + 1))
                answers = dict(list(answers.items())[:keep])
                seconds = planned_seconds * rng.uniform(0.05, 0.4)
                effort = difficulty = helpfulness = None  # drafts have no ratings yet
                reviewed = False
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
                )
            )
    return result


def _rating(mean: float, sd: float, rng: np.random.Generator) -> int:
    return _round_within(mean + rng.normal(0.0, sd), 0, 4)


def _scores(client: SimClient, weeks: int, rng: np.random.Generator) -> list[SimScore]:
    """Weekly PHQ-9: a straight line from baseline down by `improvement`, plus measurement noise."""
    noise = rng.normal(0.0, 2.0, size=weeks)
    return [
        SimScore(
            client_key=client.key,
            week=w,
            phq9=_round_within(client.baseline_phq9 - client.improvement * w / (weeks - 1) + noise[w], 0, 27),
        )
        for w in range(weeks)
    ]


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


def observed_improvements(clinic: SimClinic) -> dict[str, float]:
    """Per client: the observed week-0 PHQ-9 minus the last week's (positive = better)."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for s in clinic.scores:
        if s.week == 0:
            first[s.client_key] = s.phq9
        if s.week == clinic.weeks - 1:
            last[s.client_key] = s.phq9
    return {c.key: float(first[c.key] - last[c.key]) for c in clinic.clients}


def _corr(x: Sequence[float], y: Sequence[float]) -> float:
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xa) < 2 or xa.std() == 0 or ya.std() == 0:
        return float("nan")
    return float(np.corrcoef(xa, ya)[0, 1])


def realised_correlation(clinic: SimClinic) -> float:
    """Sample correlation of engagement fraction and observed improvement across clients.

    This is attenuated relative to `true_r`: the probit-to-0..1 mapping, the practice-day noise and the
    PHQ-9 measurement noise all dilute it.
    """
    eng, imp = engagement_fractions(clinic), observed_improvements(clinic)
    keys = [c.key for c in clinic.clients]
    return _corr([eng[k] for k in keys], [imp[k] for k in keys])


def latent_correlation(clinic: SimClinic) -> float:
    """Sample correlation of the two latents on the normal scale; its population value is `true_r`."""
    inv = NormalDist().inv_cdf
    return _corr([inv(c.engagement) for c in clinic.clients], [c.improvement for c in clinic.clients])


# --- output ----------------------------------------------------------------------------------------------


def write_dataset(clinic: SimClinic, out_dir: Path) -> list[Path]:
    """Write the clinic as CSV files plus truth.json into out_dir; return the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        _write_csv(out_dir / "therapists.csv", [dataclasses.asdict(t) for t in clinic.therapists]),
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
                }
                for c in clinic.clients
            ],
        ),
        _write_csv(
            out_dir / "assignments.csv",
            [
                {**dataclasses.asdict(a), "practice_weekdays": json.dumps(list(a.practice_weekdays))}
                for a in clinic.assignments
            ],
        ),
        _write_csv(
            out_dir / "entries.csv",
            [
                {**dataclasses.asdict(e), "answers": json.dumps(e.answers, sort_keys=True)}
                for e in clinic.entries
            ],
        ),
        _write_csv(out_dir / "scores.csv", [dataclasses.asdict(s) for s in clinic.scores]),
    ]
    truth = {
        "seed": clinic.seed,
        "true_r": clinic.true_r,
        "n_therapists": len(clinic.therapists),
        "n_clients": len(clinic.clients),
        "weeks": clinic.weeks,
        "realised_r": _json_float(realised_correlation(clinic)),
        "latent_r": _json_float(latent_correlation(clinic)),
        "definitions": {
            "true_r": "population correlation of the normal engagement latent and the improvement latent",
            "realised_r": "sample correlation across clients of engagement (submitted entries / planned "
            "practice days) and improvement (week-0 PHQ-9 minus last-week PHQ-9)",
            "latent_r": "sample correlation of probit(truth_engagement) and truth_improvement",
        },
    }
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return [*written, truth_path]


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    # Header from the dataclass-shaped first row; an empty table still gets no rows but a valid file.
    with path.open("w", newline="", encoding="utf-8") as fh:
        if rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


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
    parser.add_argument("--true-r", type=float, default=0.5, help="engagement-improvement correlation")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument(
        "--templates", type=Path, default=TEMPLATE_DIR, help="directory of exercise YAML files"
    )
    args = parser.parse_args(argv)

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
            templates=templates,
        )
    except ValueError as exc:
        parser.error(str(exc))
    paths = write_dataset(clinic, args.out)
    print(
        f"{len(clinic.clients)} clients, {len(clinic.entries)} entries over {clinic.weeks} weeks; "
        f"realised r = {realised_correlation(clinic):.3f} (true_r = {clinic.true_r})"
    )
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
