"""The vignette builder: deterministic, varied, and made only of simulated data."""

from __future__ import annotations

import json

import pytest

from emotipal.analysis import simulate, vignettes
from emotipal.definitions.codes import BARRIERS


@pytest.fixture(scope="module")
def templates() -> dict[str, list[dict]]:
    return simulate.load_templates()


@pytest.fixture(scope="module")
def training_set(templates: dict[str, list[dict]]) -> list[dict]:
    return [vignettes.build_vignette(p, s, templates) for p, s in vignettes.default_set()]


def test_same_seed_same_vignette_other_seed_other(templates: dict[str, list[dict]]) -> None:
    first = vignettes.build_vignette("panic-partial-practice", 7, templates)
    again = vignettes.build_vignette("panic-partial-practice", 7, templates)
    other = vignettes.build_vignette("panic-partial-practice", 8, templates)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert json.dumps(first, sort_keys=True) != json.dumps(other, sort_keys=True)


def test_the_set_is_varied(training_set: list[dict]) -> None:
    assert len({v["profile"] for v in training_set}) == len(vignettes.PROFILES) >= 3
    assert len({v["exercise"] for v in training_set}) == len(training_set)
    # Each case's most reported barrier is its profile's main one, and the main barriers differ.
    main = [next(iter(v["barrier_counts"])) for v in training_set]
    assert main == [v["main_barrier"] for v in training_set]
    assert len(set(main)) == len(main)
    shares = {
        round(v["last_homework"]["practised"] / max(1, v["last_homework"]["planned"]), 2)
        for v in training_set
    }
    assert len(shares) >= 3


def test_a_vignette_has_the_whole_history(training_set: list[dict]) -> None:
    for v in training_set:
        assert v["goal"] and v["presenting"]
        assert v["homework"] and all(h["planned"] >= h["practised"] >= 0 for h in v["homework"])
        assert all(len(h["entries"]) == h["practised"] for h in v["homework"])
        assert all(
            e["effort"] in range(5) and e["difficulty"] in range(5)
            for h in v["homework"]
            for e in h["entries"]
        )
        assert v["barriers"] and all(b["barrier"] in BARRIERS for b in v["barriers"])
        assert sum(v["barrier_counts"].values()) == len(v["barriers"])
        weeks = [s["week"] for s in v["scores"]]
        assert weeks == sorted(weeks) and len(weeks) >= 6
        assert all(0 <= s["phq9"] <= 27 and 0 <= s["gad7"] <= 21 for s in v["scores"])
        last = v["last_homework"]
        assert last["key"] == v["homework"][-1]["key"]  # the last homework is the latest one set
        assert last["self_review"]["what_i_did"] and last["self_review"]["week"] <= vignettes.WEEKS


def test_no_real_or_demo_people(training_set: list[dict], templates: dict[str, list[dict]]) -> None:
    """Nothing in a vignette names a person: not the simulated clinic's clients, not the demo's."""
    demo = simulate.simulate_clinic(
        n_therapists=3, n_clients=30, weeks=16, seed=2026, true_r=0.5, templates=templates
    )
    names = {c.display_name for c in demo.clients} | {t.display_name for t in demo.therapists}
    words = set(simulate.FIRST_NAMES) | set(simulate.LAST_NAMES) | set(simulate.THERAPIST_FIRST_NAMES)
    for v in training_set:
        text = json.dumps(v)
        assert "@" not in text
        assert not [n for n in names if n in text]
        assert not [w for w in words if f'"{w}' in text or f" {w} " in text]


def test_unknown_profile_is_refused(templates: dict[str, list[dict]]) -> None:
    with pytest.raises(KeyError):
        vignettes.build_vignette("no-such-profile", 1, templates)
