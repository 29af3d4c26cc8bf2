"""The clinic simulator: determinism, plausible data, valid answers and a known ground truth.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.analysis.simulate import (
    BARRIERS,
    HALO_POINTS,
    HALO_RETRO_WEIGHT,
    HALO_WEEKLY_WEIGHT,
    IMPROVEMENT_MEAN,
    MATCHING_STRATEGIES,
    REVIEW_DIMENSIONS,
    STRATEGIES,
    TEMPLATE_DIR,
    SimAssignment,
    SimClient,
    SimClinic,
    SimEntry,
    SimTherapist,
    engagement_fractions,
    latent_correlation,
    load_templates,
    main,
    observed_improvements,
    planned_practice_days,
    realised_correlation,
    simulate_answers,
    simulate_clinic,
    weekly_completion,
    write_dataset,
)
from emotipal.definitions.fields import check_template_fields, validate_answers

REPO_ROOT = Path(__file__).resolve().parents[2]


def _scale(fid: str, lo: int = 0, hi: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "type": "scale",
        "label": fid,
        "min": lo,
        "max": hi,
        "anchors": {lo: "low", hi: "high"},
        **extra,
    }


def _options(*values: str) -> list[dict[str, str]]:
    return [{"value": v, "label": v.title()} for v in values]


# Small stand-ins for the shipped exercises, covering every field type and the before/after pairs.
TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "thought-record": [
        {"id": "situation", "type": "short_text", "label": "Situation", "required": True},
        {
            "id": "thoughts",
            "type": "group",
            "label": "Thoughts",
            "required": True,
            "max_items": 3,
            "fields": [
                {"id": "automatic_thought", "type": "long_text", "label": "Thought", "required": True},
                _scale("belief", 0, 100),
            ],
        },
        {"id": "alternative_thought", "type": "long_text", "label": "Alternative", "max_length": 30},
        _scale("mood_before", required=True),
        _scale("mood_after"),
    ],
    "exposure-practice": [
        {"id": "when", "type": "datetime", "label": "When", "required": True},
        {"id": "prediction", "type": "short_text", "label": "Prediction", "max_length": 12},
        _scale("suds_before", 0, 100, required=True),
        _scale("suds_after", 0, 100, required=True),
        {"id": "minutes", "type": "duration", "label": "Minutes", "min": 5, "max": 30},
        {
            "id": "kind",
            "type": "choice",
            "label": "Kind",
            "options": _options("alone", "with_help"),
            "required": True,
        },
        {
            "id": "tags",
            "type": "multi_choice",
            "label": "Tags",
            "options": _options("a", "b", "c"),
            "required": True,
        },
        {"id": "weight", "type": "number", "label": "Decimal only", "min": 0.2, "max": 0.7},
        {"id": "count", "type": "number", "label": "Unbounded"},
    ],
    "behavioural-activation": [
        {
            "id": "activities",
            "type": "group",
            "label": "Activities",
            "min_items": 2,
            "max_items": 4,
            "fields": [
                {"id": "activity", "type": "short_text", "label": "Activity"},
                _scale("pleasure"),
                _scale("mastery"),
            ],
        },
        {"id": "notes", "type": "long_text", "label": "Notes"},
    ],
}


@pytest.fixture(scope="module")
def clinic() -> SimClinic:
    return simulate_clinic(templates=TEMPLATES)


def test_stand_in_templates_follow_the_schema() -> None:
    for fields in TEMPLATES.values():
        check_template_fields(fields)


def test_same_seed_same_clinic_and_different_seed_different_clinic(clinic: SimClinic) -> None:
    assert simulate_clinic(templates=TEMPLATES) == clinic
    # Template order must not matter: slugs are sorted before use.
    assert simulate_clinic(templates=dict(reversed(list(TEMPLATES.items())))) == clinic
    other = simulate_clinic(templates=TEMPLATES, seed=8)
    assert other.entries != clinic.entries
    assert other.scores != clinic.scores


def test_people_are_unique_and_obviously_fictional() -> None:
    big = simulate_clinic(templates=TEMPLATES, n_clients=900, n_therapists=25, weeks=2)
    people: list[SimTherapist | SimClient] = [*big.therapists, *big.clients]
    assert len({p.display_name for p in people}) == len(people)
    assert len({p.email for p in people}) == len(people)
    assert len({p.key for p in people}) == len(people)
    assert all(p.email.endswith(".invalid") for p in people)
    assert big.therapists[0].display_name == "Dr. Ada Example"
    assert all(c.therapist_key in {t.key for t in big.therapists} for c in big.clients)
    caseloads = Counter(c.therapist_key for c in big.clients)
    assert max(caseloads.values()) - min(caseloads.values()) <= 1


def test_scores_are_weekly_and_within_phq9_range(clinic: SimClinic) -> None:
    assert all(0 <= s.phq9 <= 27 and isinstance(s.phq9, int) for s in clinic.scores)
    for c in clinic.clients:
        assert 10 <= c.baseline_phq9 <= 22
        assert 0.0 <= c.engagement <= 1.0 and 0.0 <= c.quality <= 1.0
        complete = [s.week for s in clinic.complete_scores if s.client_key == c.key]
        assert complete == list(range(clinic.weeks))
        # The answered ones: week 0 always, none after an early discharge (the default missingness).
        weeks = [s.week for s in clinic.scores if s.client_key == c.key]
        assert weeks[0] == 0 and set(weeks) <= set(complete)
        if c.discharged_day is not None:
            assert max(weeks) <= c.discharged_day // 7
    assert set(clinic.scores) < set(clinic.complete_scores)


def test_assignments_are_plausible(clinic: SimClinic) -> None:
    per_client = Counter(a.client_key for a in clinic.assignments)
    assert set(per_client) == {c.key for c in clinic.clients}
    assert all(1 <= n <= 3 for n in per_client.values())
    for a in clinic.assignments:
        assert a.template_slug in TEMPLATES
        assert 0 <= a.start_day <= a.end_day < clinic.weeks * 7
        assert 2 <= a.times_per_week <= 7 and 10 <= a.minutes_per_practice <= 45
        assert len(a.practice_weekdays) == a.times_per_week
        assert list(a.practice_weekdays) == sorted(set(a.practice_weekdays))
        assert all(0 <= d <= 6 for d in a.practice_weekdays)
        assert "(simulated)" in a.rationale and "(simulated)" in a.instructions


def test_entries_fall_on_planned_days_with_sensible_ratings(clinic: SimClinic) -> None:
    assignments = {a.key: a for a in clinic.assignments}
    assert len({(e.assignment_key, e.day) for e in clinic.entries}) == len(clinic.entries)
    for e in clinic.entries:
        assert e.day in planned_practice_days(assignments[e.assignment_key])
        assert e.active_seconds > 0
        ratings = (e.effort, e.difficulty, e.helpfulness)
        if e.submitted:
            assert all(r is not None and 0 <= r <= 4 for r in ratings)
        else:
            assert ratings == (None, None, None)
            assert not e.reviewed
    assert any(not e.submitted for e in clinic.entries), "some drafts should be abandoned"


def test_most_older_submissions_are_reviewed(clinic: SimClinic) -> None:
    end = clinic.weeks * 7
    older = [e.reviewed for e in clinic.entries if e.submitted and end - e.day > 14]
    newest = [e.reviewed for e in clinic.entries if e.submitted and end - e.day <= 1]
    assert np.mean(older) > 0.7
    assert not any(newest)


def test_every_submission_validates_against_its_template(clinic: SimClinic) -> None:
    slug_of = {a.key: a.template_slug for a in clinic.assignments}
    submitted = [e for e in clinic.entries if e.submitted]
    assert submitted
    for e in submitted:
        result = validate_answers(TEMPLATES[slug_of[e.assignment_key]], e.answers)
        assert result.ok, (e, result.errors)


def test_higher_quality_reports_improvement_on_before_after_scales_more_often() -> None:
    fields = TEMPLATES["exposure-practice"] + [_scale("calm_before"), _scale("calm_after")]

    def improved_share(quality: float) -> tuple[float, float]:
        rng = np.random.default_rng(0)
        suds, calm = [], []
        for _ in range(400):
            a = simulate_answers(fields, rng, quality=quality)
            suds.append(a["suds_after"] < a["suds_before"])  # distress: lower is better
            if "calm_before" in a and "calm_after" in a:
                calm.append(a["calm_after"] > a["calm_before"])  # a good thing: higher is better
        return float(np.mean(suds)), float(np.mean(calm))

    low, high = improved_share(0.1), improved_share(0.9)
    assert high[0] > low[0] + 0.25
    assert high[1] > low[1] + 0.25


def test_latent_correlation_matches_the_calibrated_latent_r() -> None:
    big = simulate_clinic(templates=TEMPLATES, n_clients=400, true_r=0.5, seed=11)
    # The latents correlate more strongly than the observed measures, so that these reach true_r.
    assert big.latent_r is not None and 0.6 < big.latent_r < 0.9
    # Sample correlation of two normals at n = 400 has SD about (1 - rho^2)/sqrt(n) < 0.03.
    assert abs(latent_correlation(big) - big.latent_r) < 0.1


@pytest.mark.parametrize("seed", [11, 12])
def test_realised_correlation_follows_true_r(seed: int) -> None:
    # The observed reference measure (share of planned practices submitted) and improvement (week-0 minus
    # last-week PHQ-9) correlate at true_r in the population (SD about 0.04 at n = 400; the tight check is
    # in test_simulate_truth.py).
    related = simulate_clinic(templates=TEMPLATES, n_clients=400, weeks=12, true_r=0.5, seed=seed)
    unrelated = simulate_clinic(templates=TEMPLATES, n_clients=400, weeks=12, true_r=0.0, seed=seed)
    assert abs(realised_correlation(related) - 0.5) < 0.15
    assert abs(realised_correlation(unrelated)) < 0.15


def test_realised_quantities(clinic: SimClinic) -> None:
    fractions = engagement_fractions(clinic)
    improvements = observed_improvements(clinic)
    assert set(fractions) == set(improvements) == {c.key for c in clinic.clients}
    assert all(0.0 <= f <= 1.0 for f in fractions.values())
    # On the complete scores: week 0 minus the last week, adjusted to the average baseline by the
    # least-squares slope of the last score on the week-0 score.
    keys = [c.key for c in clinic.clients]
    phq = {(s.client_key, s.week): s.phq9 for s in clinic.complete_scores}
    first = np.array([phq[k, 0] for k in keys], dtype=float)
    last = np.array([phq[k, clinic.weeks - 1] for k in keys], dtype=float)
    slope = np.polyfit(first, last, 1)[0]
    expected = first - last - (1 - slope) * (first - first.mean())
    assert [improvements[k] for k in keys] == pytest.approx(list(expected))
    assert np.mean(list(improvements.values())) == pytest.approx(np.mean(first - last))


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        simulate_clinic(templates={})
    with pytest.raises(ValueError):
        simulate_clinic(templates=TEMPLATES, true_r=1.5)
    with pytest.raises(ValueError):
        simulate_clinic(templates=TEMPLATES, weeks=1)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_write_dataset(tmp_path: Path, clinic: SimClinic) -> None:
    paths = write_dataset(clinic, tmp_path / "out")
    names = {p.name for p in paths}
    assert names == {
        "therapists.csv",
        "clients.csv",
        "assignments.csv",
        "entries.csv",
        "scores.csv",
        "sessions.csv",
        "self_reviews.csv",
        "therapist_reviews.csv",
        "barriers.csv",
        "retro_ratings.csv",
        "truth.json",
    }
    assert all(p.exists() for p in paths)

    clients = _read_csv(tmp_path / "out" / "clients.csv")
    assert len(clients) == len(clinic.clients)
    assert {"truth_engagement", "truth_quality", "truth_improvement"} <= set(clients[0])
    entries = _read_csv(tmp_path / "out" / "entries.csv")
    assert len(entries) == len(clinic.entries)
    assert json.loads(entries[0]["answers"]) == clinic.entries[0].answers
    assert len(_read_csv(tmp_path / "out" / "scores.csv")) == len(clinic.scores)
    assignments = _read_csv(tmp_path / "out" / "assignments.csv")
    assert json.loads(assignments[0]["practice_weekdays"]) == list(clinic.assignments[0].practice_weekdays)

    truth = json.loads((tmp_path / "out" / "truth.json").read_text())
    assert truth["seed"] == clinic.seed and truth["true_r"] == clinic.true_r
    assert math.isclose(
        truth["realised"]["reference_all_clients_r"], realised_correlation(clinic), abs_tol=1e-6
    )
    assert truth["truth"]["reference_within_r"] == clinic.true_r
    assert truth["truth"]["figures"] is None  # computed only on request (truth_clients)


def test_cli_writes_a_dataset_from_yaml_templates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template_dir = tmp_path / "exercises"
    template_dir.mkdir()
    for slug, fields in TEMPLATES.items():
        (template_dir / f"{slug}.yaml").write_text(
            yaml.safe_dump({"slug": slug, "title": slug, "fields": fields})
        )
    out = tmp_path / "data"
    argv = ["--clients", "12", "--weeks", "6", "--therapists", "2", "--true-r", "0.3", "--seed", "5"]
    assert main([*argv, "--out", str(out), "--templates", str(template_dir), "--truth-clients", "300"]) == 0
    truth = json.loads((out / "truth.json").read_text())
    assert truth["true_r"] == 0.3 and truth["truth"]["monte_carlo"]["n_clients"] == 300
    assert len(_read_csv(out / "clients.csv")) == 12
    assert "realised within-therapist r of objective_percentage" in capsys.readouterr().out

    assert main(["--out", str(out), "--templates", str(tmp_path / "empty")]) == 2


@pytest.mark.skipif(not load_templates(TEMPLATE_DIR), reason="no exercise YAML files yet")
def test_answers_validate_against_the_shipped_exercises() -> None:
    templates = load_templates(TEMPLATE_DIR)
    shipped = simulate_clinic(templates=templates, n_clients=40, seed=3)
    slug_of = {a.key: a.template_slug for a in shipped.assignments}
    for e in shipped.entries:
        if e.submitted:
            result = validate_answers(templates[slug_of[e.assignment_key]], e.answers)
            assert result.ok, (slug_of[e.assignment_key], result.errors)


# --- sessions, reviews, barriers and end-of-treatment ratings (issue 3) ----------------------------------


def _check_structure(clinic: SimClinic) -> None:
    """Invariants of the therapy record that hold for any arguments."""
    clients = {c.key: c for c in clinic.clients}
    sessions = {s.key: s for s in clinic.sessions}
    assert len(sessions) == len(clinic.sessions)
    assignments = {a.key: a for a in clinic.assignments}

    # Weekly sessions, numbered 1.. from week 0 on the client's own weekday (Mon-Fri), to the last week or
    # to an early discharge.
    for c in clinic.clients:
        own = sorted((s for s in clinic.sessions if s.client_key == c.key), key=lambda s: s.number)
        assert [s.number for s in own] == list(range(1, len(own) + 1))
        assert 0 <= own[0].day <= 4
        assert [s.day for s in own] == [own[0].day + 7 * k for k in range(len(own))]
        if c.discharged_day is None:
            assert len(own) == clinic.weeks
        else:
            assert own[-1].day == c.discharged_day
            assert c.discharged_day < (clinic.weeks - 1) * 7  # before the last week

    # Homework is set in a session of the same client and starts that day; none runs past a discharge.
    for a in clinic.assignments:
        assert a.session_key is not None
        session = sessions[a.session_key]
        assert session.client_key == a.client_key
        assert session.day <= a.start_day
        assert session.day == a.start_day
        discharged = clients[a.client_key].discharged_day
        assert discharged is None or a.end_day < discharged
        if a.first_open_delay_hours is not None:
            assert a.first_open_delay_hours >= 0
    first_entry: dict[str, int] = {}
    for e in clinic.entries:
        first_entry[e.assignment_key] = min(e.day, first_entry.get(e.assignment_key, e.day))
        assert 0 <= e.edits_after_submit <= 2
        assert e.submitted or e.edits_after_submit == 0
    for key, day in first_entry.items():
        a = assignments[key]
        assert a.first_open_delay_hours is not None, "practised but never opened"
        assert a.first_open_delay_hours <= (day - a.start_day) * 24 + 8

    # Reviews: all twelve dimensions on 0..4, never before the homework started, in the session after the
    # one that set it, at most one of each kind per assignment and session.
    due = weekly_completion(clinic)
    for kind in (clinic.self_reviews, clinic.therapist_reviews):
        keys = [r.key for r in kind]
        assert len(set(keys)) == len(keys)
        pairs = [(r.assignment_key, r.session_key) for r in kind]
        assert len(set(pairs)) == len(pairs)
        for r in kind:
            a, session = assignments[r.assignment_key], sessions[r.session_key]
            assert set(r.ratings) == set(REVIEW_DIMENSIONS)
            assert all(isinstance(v, int) and 0 <= v <= 4 for v in r.ratings.values())
            assert session.client_key == a.client_key
            assert r.day >= a.start_day
            assert session.day - 1 <= r.day <= session.day
            assert sessions[a.session_key or ""].number < session.number
            assert (r.assignment_key, r.session_key) in due
    for sr in clinic.self_reviews:
        assert sr.client_key == assignments[sr.assignment_key].client_key
        assert 0 <= sr.helpfulness <= 4
        assert all(t.endswith("(simulated)") for t in (sr.what_i_did, sr.what_i_learned, sr.what_got_in_way))
    for tr in clinic.therapist_reviews:
        assert tr.day == sessions[tr.session_key].day
        assert tr.note.endswith("(simulated)")
    for (akey, skey), (done, planned) in due.items():
        assert 0 <= done <= planned
        assert sessions[skey].client_key == assignments[akey].client_key

    # Barriers only for planned practices with nothing submitted, in the agreed codes.
    submitted = {(e.assignment_key, e.day) for e in clinic.entries if e.submitted}
    assert len({(b.assignment_key, b.day) for b in clinic.barriers}) == len(clinic.barriers)
    for b in clinic.barriers:
        a = assignments[b.assignment_key]
        assert b.client_key == a.client_key
        assert b.day in planned_practice_days(a)
        assert (b.assignment_key, b.day) not in submitted
        assert b.barrier in BARRIERS
        assert b.strategy is None or b.strategy in STRATEGIES
        assert b.note.endswith("(simulated)")

    # Retroactive ratings: one by the client and one by the therapist for every client, at the end of
    # treatment: the day of an early discharge, else the last session.
    last_session = {s.client_key: s.day for s in sorted(clinic.sessions, key=lambda s: s.day)}
    assert sorted((rr.client_key, rr.rater) for rr in clinic.retro_ratings) == sorted(
        (c.key, rater) for c in clinic.clients for rater in ("client", "therapist")
    )
    for rr in clinic.retro_ratings:
        discharged = clients[rr.client_key].discharged_day
        assert rr.day == (discharged if discharged is not None else last_session[rr.client_key])
        assert rr.day // 7 == (clinic.weeks - 1 if discharged is None else discharged // 7)
        assert 0 <= rr.quantity <= 4 and 0 <= rr.quality <= 4


def test_therapy_record_is_consistent(clinic: SimClinic) -> None:
    _check_structure(clinic)
    assert clinic.self_reviews and clinic.therapist_reviews and clinic.barriers and clinic.retro_ratings
    assert len({s.day % 7 for s in clinic.sessions if s.number == 1}) > 1, "session weekdays differ"
    assert any(e.edits_after_submit for e in clinic.entries)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    weeks=st.integers(2, 9),
    n_clients=st.integers(1, 6),
    halo=st.floats(0, 1),
)
def test_therapy_record_is_consistent_for_any_arguments(
    seed: int, weeks: int, n_clients: int, halo: float
) -> None:
    _check_structure(
        simulate_clinic(templates=TEMPLATES, seed=seed, weeks=weeks, n_clients=n_clients, halo=halo)
    )


@pytest.fixture(scope="module")
def big_clinic() -> SimClinic:
    return simulate_clinic(templates=TEMPLATES, n_clients=300, weeks=12, seed=21)


def test_rates_of_reviews_discharges_and_barriers(big_clinic: SimClinic) -> None:
    due = weekly_completion(big_clinic)
    therapist_share = len(big_clinic.therapist_reviews) / len(due)
    self_share = len(big_clinic.self_reviews) / len(due)
    assert therapist_share > 0.9  # almost always
    assert 0.55 < self_share < therapist_share  # most of the time

    # Low-engagement clients do their self-review less often.
    engagement = {c.key: c.engagement for c in big_clinic.clients}
    client_of = {a.key: a.client_key for a in big_clinic.assignments}
    reviewed = {(r.assignment_key, r.session_key) for r in big_clinic.self_reviews}
    low = [pair in reviewed for pair in due if engagement[client_of[pair[0]]] < 0.3]
    high = [pair in reviewed for pair in due if engagement[client_of[pair[0]]] > 0.7]
    assert np.mean(low) < np.mean(high) - 0.1

    discharged = sum(c.discharged_day is not None for c in big_clinic.clients)
    assert 0.22 < discharged / len(big_clinic.clients) < 0.45

    submitted = {(e.assignment_key, e.day) for e in big_clinic.entries if e.submitted}
    missed = sum(
        (a.key, d) not in submitted for a in big_clinic.assignments for d in planned_practice_days(a)
    )
    assert 0.33 < len(big_clinic.barriers) / missed < 0.47  # about 40%
    assert set(Counter(b.barrier for b in big_clinic.barriers)) == set(BARRIERS)
    assert set(MATCHING_STRATEGIES) == set(BARRIERS)
    assert all(set(fits) <= set(STRATEGIES) for fits in MATCHING_STRATEGIES.values())
    strategies = [b for b in big_clinic.barriers if b.strategy is not None]
    assert 0.6 < len(strategies) / len(big_clinic.barriers) < 0.9  # a strategy is not always chosen
    fitting = [b.strategy in MATCHING_STRATEGIES[b.barrier] for b in strategies]
    assert np.mean(fitting) > 0.75
    forgot = Counter(b.strategy for b in strategies if b.barrier == "forgot")
    assert forgot.most_common(1)[0][0] == "schedule_reminder"


def test_clients_rate_themselves_slightly_higher(big_clinic: SimClinic) -> None:
    therapist = {(r.assignment_key, r.session_key): r for r in big_clinic.therapist_reviews}
    pairs = [
        (sr, therapist[k])
        for sr in big_clinic.self_reviews
        if (k := (sr.assignment_key, sr.session_key)) in therapist
    ]
    for dim in ("quantity", "quality"):
        gap = np.mean([sr.ratings[dim] - tr.ratings[dim] for sr, tr in pairs])
        assert 0.1 < gap < 0.6, (dim, gap)
    # Independent noise: client and therapist disagree on many weeks.
    assert np.mean([sr.ratings["quantity"] != tr.ratings["quantity"] for sr, tr in pairs]) > 0.3


def _latest_answered(clinic: SimClinic) -> dict[tuple[str, int], int]:
    """(client, week) -> the latest PHQ-9 answered by that week: what a rater sees (skips carry forward)."""
    answered = {(s.client_key, s.week): s.phq9 for s in clinic.scores}
    latest: dict[tuple[str, int], int] = {}
    for c in clinic.clients:
        value = answered[c.key, 0]
        for w in range(clinic.weeks):
            value = answered.get((c.key, w), value)
            latest[c.key, w] = value
    return latest


def _unexpected_improvement(clinic: SimClinic, week_of: dict[str, int] | None = None) -> dict[str, float]:
    """Per client: the observed PHQ-9 drop from week 0 to `week_of[client]` (default the last week)."""
    phq = _latest_answered(clinic)
    last = clinic.weeks - 1
    out = {}
    for c in clinic.clients:
        week = last if week_of is None else week_of[c.key]
        out[c.key] = phq[c.key, 0] - phq[c.key, week] - IMPROVEMENT_MEAN * week / last
    return out


def _halo_slope(ratings: list[int], objective: list[float], seen: list[float]) -> float:
    """Scale points a rating gains per PHQ-9 point of unexpected improvement, the objective figure held fixed.

    The coefficient of `seen` in the least-squares fit rating ~ 1 + objective + seen. The simulator's value
    before rounding and clipping to 0..4 is 4 * halo * weight / HALO_POINTS.
    """
    design = np.column_stack([np.ones(len(objective)), objective, seen])
    coef, *_ = np.linalg.lstsq(design, np.asarray(ratings, dtype=float), rcond=None)
    return float(coef[2])


def _expected_slope(halo: float, weight: float) -> float:
    return 4.0 * halo * weight / HALO_POINTS


def _weekly_halo(clinic: SimClinic) -> tuple[float, float]:
    """(r of weekly therapist quantity ratings with the week's objective share, their halo slope).

    The halo slope is on the improvement the therapist could see at that session beyond what was expected
    by then.
    """
    due = weekly_completion(clinic)
    sessions = {s.key: s for s in clinic.sessions}
    client_of = {a.key: a.client_key for a in clinic.assignments}
    phq = _latest_answered(clinic)
    last = clinic.weeks - 1
    ratings, fractions, seen = [], [], []
    for r in clinic.therapist_reviews:
        done, planned = due[r.assignment_key, r.session_key]
        key, week = client_of[r.assignment_key], sessions[r.session_key].day // 7
        ratings.append(r.ratings["quantity"])
        fractions.append(done / planned)
        seen.append(phq[key, 0] - phq[key, week] - IMPROVEMENT_MEAN * week / last)
    return float(np.corrcoef(ratings, fractions)[0, 1]), _halo_slope(ratings, fractions, seen)


def _retro_halo(clinic: SimClinic, rater: str) -> float:
    """The halo slope of the retroactive quantity rating on the unexpected improvement seen at the end."""
    fractions = engagement_fractions(clinic)
    end_week = {rr.client_key: rr.day // 7 for rr in clinic.retro_ratings}
    seen = _unexpected_improvement(clinic, end_week)
    rated = [rr for rr in clinic.retro_ratings if rr.rater == rater]
    return _halo_slope(
        [rr.quantity for rr in rated],
        [fractions[rr.client_key] for rr in rated],
        [seen[rr.client_key] for rr in rated],
    )


@pytest.fixture(scope="module")
def halo_pair() -> tuple[SimClinic, SimClinic]:
    kwargs: dict[str, Any] = {"templates": TEMPLATES, "n_clients": 300, "weeks": 10, "seed": 4}
    return simulate_clinic(halo=0.0, **kwargs), simulate_clinic(halo=1.0, **kwargs)


def test_without_halo_ratings_reflect_only_the_objective_practice(
    halo_pair: tuple[SimClinic, SimClinic],
) -> None:
    objective, _ = halo_pair
    tracks_week, slope = _weekly_halo(objective)
    assert tracks_week > 0.8  # about 0.9: the rating is the week's share of practices plus noise
    assert abs(slope) < 0.03  # and nothing of the improvement (0.17 at full halo)
    for rater in ("client", "therapist"):
        assert abs(_retro_halo(objective, rater)) < 0.05  # (0.33 at full halo)


def test_halo_inflates_ratings_by_improvement_most_in_retroactive_ratings(
    halo_pair: tuple[SimClinic, SimClinic],
) -> None:
    objective, halo = halo_pair
    # The objective data do not depend on the halo; only the subjective ratings do.
    assert objective.entries == halo.entries
    assert objective.barriers == halo.barriers
    assert objective.scores == halo.scores
    assert objective.therapist_reviews != halo.therapist_reviews

    tracks_week, weekly = _weekly_halo(halo)
    assert tracks_week > 0.6  # the week still counts ...
    # ... but clients who improved more than expected are rated up (rounding and the 0..4 bounds shave
    # some 30% off the simulator's slope).
    assert (
        0.7 * _expected_slope(1.0, HALO_WEEKLY_WEIGHT)
        < weekly
        < 1.2 * _expected_slope(1.0, HALO_WEEKLY_WEIGHT)
    )
    for rater in ("client", "therapist"):
        # At the end the outcome is known and the halo weighs more.
        retro = _retro_halo(halo, rater)
        assert retro > 1.4 * weekly  # about 1.75 times; the 0..4 bounds cap the larger shifts more
        assert (
            0.5 * _expected_slope(1.0, HALO_RETRO_WEIGHT)
            < retro
            < 1.2 * _expected_slope(1.0, HALO_RETRO_WEIGHT)
        )

    # The average rating hardly moves: clients who improved less than expected are rated down.
    for kind in ("therapist_reviews", "self_reviews"):
        means = [np.mean([r.ratings["quantity"] for r in getattr(c, kind)]) for c in halo_pair]
        assert abs(means[1] - means[0]) < 0.25


def _client_level_r(clinic: SimClinic) -> dict[str, float]:
    """Across clients, r of improvement with the objective share, mean weekly and retroactive ratings."""
    improvement = observed_improvements(clinic)
    client_of = {a.key: a.client_key for a in clinic.assignments}
    weekly: dict[str, list[int]] = {c.key: [] for c in clinic.clients}
    for r in clinic.therapist_reviews:
        weekly[client_of[r.assignment_key]].append(r.ratings["quantity"])
    retro = {rr.client_key: rr.quantity for rr in clinic.retro_ratings if rr.rater == "therapist"}
    figures = {
        "objective": engagement_fractions(clinic),
        "weekly": {k: float(np.mean(v)) for k, v in weekly.items() if v},
        "retroactive": {k: float(v) for k, v in retro.items()},
    }
    out = {}
    for name, values in figures.items():
        keys = sorted(values)
        out[name] = float(np.corrcoef([values[k] for k in keys], [improvement[k] for k in keys])[0, 1])
    return out


def test_halo_orders_the_compliance_outcome_correlations() -> None:
    kwargs: dict[str, Any] = {"templates": TEMPLATES, "n_clients": 400, "weeks": 8, "seed": 9}
    plain = _client_level_r(simulate_clinic(halo=0.0, **kwargs))
    biased = _client_level_r(simulate_clinic(halo=0.6, **kwargs))
    assert biased["objective"] == plain["objective"]
    # Without halo the ratings are noisier versions of the objective share: no larger correlations.
    assert plain["weekly"] < plain["objective"] + 0.05
    assert plain["retroactive"] < plain["objective"] + 0.05
    # With halo: retroactive > contemporaneous > objective (about 0.6, 0.45 and 0.3).
    assert biased["retroactive"] > biased["weekly"] + 0.05
    assert biased["weekly"] > biased["objective"] + 0.05


def test_quality_ratings_follow_latent_quality(big_clinic: SimClinic) -> None:
    quality = {c.key: c.quality for c in big_clinic.clients}
    client_of = {a.key: a.client_key for a in big_clinic.assignments}
    ratings = [r.ratings["quality"] for r in big_clinic.therapist_reviews]
    latent = [quality[client_of[r.assignment_key]] for r in big_clinic.therapist_reviews]
    assert np.corrcoef(ratings, latent)[0, 1] > 0.6


def test_old_constructors_still_work() -> None:
    # The demo loader and other callers build these without the newer fields.
    client = SimClient("c1", "t1", "Robin Sample", "r@x.invalid", 0.5, 0.5, 15, 4.0)
    assignment = SimAssignment("a1", "c1", "thought-record", 0, 13, 3, 20, (0, 2, 4), "why", "how")
    entry = SimEntry("a1", "c1", 0, True, 60, {}, 2, 2, 2, False)
    assert client.discharged_day is None
    assert assignment.session_key is None and assignment.first_open_delay_hours is None
    assert entry.edits_after_submit == 0
    clinic = SimClinic("x", (), (client,), (assignment,), (entry,), (), 2, 0, 0.5)
    assert clinic.sessions == () and clinic.retro_ratings == ()


def test_new_tables_are_written(tmp_path: Path, clinic: SimClinic) -> None:
    write_dataset(clinic, tmp_path)
    sessions = _read_csv(tmp_path / "sessions.csv")
    assert len(sessions) == len(clinic.sessions)
    assert set(sessions[0]) == {"key", "client_key", "number", "day"}
    for name, reviews in (
        ("self_reviews.csv", clinic.self_reviews),
        ("therapist_reviews.csv", clinic.therapist_reviews),
    ):
        rows = _read_csv(tmp_path / name)
        assert len(rows) == len(reviews)
        assert set(REVIEW_DIMENSIONS) <= set(rows[0]) and "ratings" not in rows[0]
        assert {d: int(rows[0][d]) for d in REVIEW_DIMENSIONS} == reviews[0].ratings
    assert "helpfulness" in _read_csv(tmp_path / "self_reviews.csv")[0]
    barriers = _read_csv(tmp_path / "barriers.csv")
    assert len(barriers) == len(clinic.barriers)
    assert {b["barrier"] for b in barriers} <= set(BARRIERS)
    assert len(_read_csv(tmp_path / "retro_ratings.csv")) == len(clinic.retro_ratings)
    clients = _read_csv(tmp_path / "clients.csv")
    assert {c["discharged_day"] for c in clients} - {""}
    assignments = _read_csv(tmp_path / "assignments.csv")
    assert {"session_key", "first_open_delay_hours"} <= set(assignments[0])
    assert "edits_after_submit" in _read_csv(tmp_path / "entries.csv")[0]
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["halo"] == clinic.halo
    assert truth["halo_weights"] == {"weekly": HALO_WEEKLY_WEIGHT, "retroactive": HALO_RETRO_WEIGHT}
    assert truth["halo_weights"]["retroactive"] > truth["halo_weights"]["weekly"]

    # An empty table still has its header.
    short = dataclasses.replace(simulate_clinic(templates=TEMPLATES, n_clients=2, weeks=2), retro_ratings=())
    write_dataset(short, tmp_path / "short")
    header = (tmp_path / "short" / "retro_ratings.csv").read_text().splitlines()
    assert header == ["client_key,rater,day,quantity,quality"]


def test_halo_is_checked_and_taken_from_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        simulate_clinic(templates=TEMPLATES, halo=1.5)
    template_dir = tmp_path / "exercises"
    template_dir.mkdir()
    (template_dir / "thought-record.yaml").write_text(
        yaml.safe_dump({"slug": "thought-record", "fields": TEMPLATES["thought-record"]})
    )
    argv = ["--clients", "4", "--weeks", "4", "--templates", str(template_dir), "--truth-clients", "0"]
    assert main([*argv, "--halo", "0.8", "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "truth.json").read_text())["halo"] == 0.8
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--halo", "2", "--out", str(tmp_path / "bad")])
    assert exc.value.code == 2


# --- the answer generator against arbitrary schema-conforming templates ----------------------------------

FIELD_IDS = [
    "situation",
    "automatic_thought",
    "notes",
    "mood_before",
    "mood_after",
    "suds_pre",
    "suds_post",
    "x",
]


@st.composite
def _field(draw: st.DrawFn, fid: str, nested: bool) -> dict[str, Any]:
    types = ["short_text", "long_text", "number", "scale", "choice", "multi_choice", "duration", "datetime"]
    if fid.endswith(("_before", "_after", "_pre", "_post")):
        types = ["scale"] * 4 + types  # make before/after scale pairs common
    if not nested:
        types.append("group")
    ftype = draw(st.sampled_from(types))
    spec: dict[str, Any] = {"id": fid, "type": ftype, "label": fid, "required": draw(st.booleans())}
    if ftype in ("short_text", "long_text") and draw(st.booleans()):
        spec["max_length"] = draw(st.integers(1, 300))
    elif ftype == "number":
        lo = draw(st.one_of(st.none(), st.floats(-1000, 1000), st.integers(-50, 50)))
        hi = draw(st.one_of(st.none(), st.floats(0, 1000), st.integers(0, 100)))
        if lo is not None:
            spec["min"] = lo
        if hi is not None:
            spec["max"] = hi if lo is None else max(lo, hi)
    elif ftype == "scale":
        lo = draw(st.integers(-5, 5))
        hi = lo + draw(st.integers(1, 100))
        spec.update(min=lo, max=hi, anchors={lo: "low", hi: "high"})
    elif ftype in ("choice", "multi_choice"):
        spec["options"] = _options(*[f"o{i}" for i in range(draw(st.integers(2, 5)))])
    elif ftype == "duration" and draw(st.booleans()):
        lo = draw(st.integers(0, 60))
        spec.update(min=lo, max=lo + draw(st.integers(0, 600)))
    elif ftype == "group":
        lo = draw(st.integers(0, 3))
        spec.update(
            min_items=lo, max_items=max(lo, 1) + draw(st.integers(0, 3)), fields=draw(_fields(nested=True))
        )
    return spec


@st.composite
def _fields(draw: st.DrawFn, nested: bool = False) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.sampled_from(FIELD_IDS), min_size=1, max_size=6, unique=True))
    return [draw(_field(fid, nested)) for fid in ids]


@settings(max_examples=150, deadline=None)
@given(fields=_fields(), seed=st.integers(0, 2**32), quality=st.floats(0, 1))
def test_generated_answers_validate_for_any_template(
    fields: list[dict[str, Any]], seed: int, quality: float
) -> None:
    check_template_fields(fields)  # the strategy only makes valid templates
    answers = simulate_answers(fields, np.random.default_rng(seed), quality=quality, minutes=25, day=30)
    result = validate_answers(fields, answers)
    assert result.ok, (answers, result.errors)
