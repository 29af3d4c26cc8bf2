"""The exercise templates shipped in emotipal/library/exercises/ follow the field schema.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from emotipal.library.schema import check_template_fields, validate_answers

EXERCISES_DIR = Path(__file__).resolve().parents[2] / "emotipal" / "library" / "exercises"
TOP_LEVEL_KEYS = {
    "slug",
    "kind",
    "title",
    "summary",
    "estimated_minutes",
    "rationale",
    "instructions",
    "fields",
}
KINDS = {
    "thought-record": "thought_record",
    "exposure-practice": "exposure",
    "behavioural-activation": "behavioural_activation",
}

# A plausible, complete submission for each exercise.
COMPLETE_ANSWERS: dict[str, dict[str, Any]] = {
    "thought-record": {
        "situation": "Tuesday evening, at home alone. My friend hadn't answered my message from the morning.",
        "emotions": [
            {"emotion": "anxious", "intensity": 70},
            {"emotion": "lonely", "intensity": "55"},
        ],
        "thoughts": [
            {"thought": "She's fed up with me.", "belief": 80, "hot": "yes"},
            {"thought": "I always push people away.", "belief": 60, "hot": "no"},
        ],
        "evidence_for": "She usually replies within an hour.",
        "evidence_against": "She said last week she's swamped at work. She invited me to her birthday.",
        "balanced_thought": "She might just be busy; one slow reply doesn't mean she's fed up with me.",
        "balanced_belief": 65,
        "emotions_after": [
            {"emotion": "anxious", "intensity": 40},
            {"emotion": "lonely", "intensity": 35},
        ],
        "hot_thought_belief_after": 35,
        "takeaway": "When I'm tired I read silence as rejection. Check the facts first.",
    },
    "exposure-practice": {
        "situation": "Touched the kitchen bin and didn't wash for an hour",
        "planned_minutes": 60,
        "feared_outcome": "I'd get ill and miss a week of work.",
        "likelihood_before": 70,
        "safety_behaviours": [
            {"behaviour": "Washing my hands", "resisted": "fully"},
            {"behaviour": "Asking my partner if it's OK", "resisted": "partly"},
        ],
        "suds_before": 55,
        "suds_peak": 85,
        "suds_after": 30,
        "actual_minutes": "60",
        "ritual_urge": 90,
        "what_happened": "I felt sick with worry for twenty minutes, then it eased. I did not get ill.",
        "surprise": 6,
        "likelihood_after": 25,
        "learned": "The anxiety went down even though I didn't wash.",
    },
    "behavioural-activation": {
        "mood_before": 3,
        "activities": [
            {
                "activity": "Walk round the park for 10 minutes",
                "when": "2025-03-04T10:00",
                "life_area": "health_body",
                "status": "done",
                "mastery": 6,
                "pleasure": 4,
            },
            {
                "activity": "Call my sister",
                "life_area": "relationships",
                "status": "not_done",
            },
            {
                "activity": "Wash the dishes",
                "life_area": "home_tasks",
                "status": "done_unplanned",
                "mastery": "7",
                "pleasure": 1,
            },
        ],
        "mood_after": 5,
        "noticed": "I didn't want to go out, but I felt a bit lighter after the walk.",
    },
}

# (mutation, error path) pairs: an out-of-range scale value and missing required answers.
OUT_OF_RANGE: dict[str, list[tuple[tuple[Any, ...], Any, str]]] = {
    "thought-record": [
        (("emotions", 0, "intensity"), 150, "emotions.0.intensity"),
        (("thoughts", 1, "belief"), -1, "thoughts.1.belief"),
        (("hot_thought_belief_after",), 101, "hot_thought_belief_after"),
    ],
    "exposure-practice": [
        (("suds_peak",), 101, "suds_peak"),
        (("surprise",), 11, "surprise"),
        (("safety_behaviours", 1, "resisted"), "maybe", "safety_behaviours.1.resisted"),
    ],
    "behavioural-activation": [
        (("activities", 0, "mastery"), 11, "activities.0.mastery"),
        (("mood_after",), -1, "mood_after"),
        (("activities", 2, "life_area"), "sleep", "activities.2.life_area"),
    ],
}
MISSING_REQUIRED: dict[str, list[tuple[tuple[Any, ...], str]]] = {
    "thought-record": [
        (("situation",), "situation"),
        (("emotions", 0, "emotion"), "emotions.0.emotion"),
        (("thoughts", 0, "belief"), "thoughts.0.belief"),
    ],
    "exposure-practice": [
        (("situation",), "situation"),
        (("suds_before",), "suds_before"),
        (("safety_behaviours", 0, "resisted"), "safety_behaviours.0.resisted"),
    ],
    "behavioural-activation": [
        (("mood_before",), "mood_before"),
        (("activities", 1, "activity"), "activities.1.activity"),
        (("activities", 0, "status"), "activities.0.status"),
    ],
}
EMPTY_REQUIRED_GROUP = {
    "thought-record": ["emotions", "thoughts"],
    "exposure-practice": [],
    "behavioural-activation": ["activities"],
}
SLUGS = sorted(COMPLETE_ANSWERS)


def load(slug: str) -> dict[str, Any]:
    with (EXERCISES_DIR / f"{slug}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def set_at(answers: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = answers
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def delete_at(answers: dict[str, Any], path: tuple[Any, ...]) -> None:
    target: Any = answers
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]


def all_specs(fields: list[dict[str, Any]], prefix: str = ""):
    for spec in fields:
        yield prefix + spec["id"], spec
        if spec["type"] == "group":
            yield from all_specs(spec["fields"], prefix + spec["id"] + ".0.")


def test_every_exercise_file_is_covered():
    assert sorted(p.stem for p in EXERCISES_DIR.glob("*.yaml")) == SLUGS


@pytest.mark.parametrize("slug", SLUGS)
def test_top_level_shape(slug):
    data = load(slug)
    assert set(data) == TOP_LEVEL_KEYS
    assert data["slug"] == slug
    assert data["kind"] == KINDS[slug]
    for key in ("title", "summary", "rationale", "instructions"):
        assert isinstance(data[key], str) and data[key].strip(), key
    assert isinstance(data["estimated_minutes"], int) and 1 <= data["estimated_minutes"] <= 120
    assert data["instructions"].lstrip().startswith("1.")
    assert "\n\n" in data["rationale"].strip()  # more than one paragraph


@pytest.mark.parametrize("slug", SLUGS)
def test_fields_follow_the_schema(slug):
    fields = load(slug)["fields"]
    check_template_fields(fields)
    for path, spec in all_specs(fields):
        # YAML 1.1 turns bare yes/no/on/off into booleans: every label, help and option must stay text.
        assert isinstance(spec["label"], str), path
        assert isinstance(spec.get("help", ""), str), path
        assert isinstance(spec.get("required", False), bool), path
        for option in spec.get("options", []):
            assert isinstance(option["value"], str) and isinstance(option["label"], str), path
        if spec["type"] == "scale":
            assert all(isinstance(label, str) and label for label in spec["anchors"].values()), path


@pytest.mark.parametrize("slug", SLUGS)
def test_complete_answers_validate(slug):
    fields = load(slug)["fields"]
    result = validate_answers(fields, copy.deepcopy(COMPLETE_ANSWERS[slug]))
    assert result.errors == {}
    assert set(result.cleaned) == set(COMPLETE_ANSWERS[slug])


@pytest.mark.parametrize("slug", SLUGS)
def test_complete_answers_use_every_field(slug):
    """The sample answers exercise the whole template, so the other tests reach every field."""
    fields = load(slug)["fields"]
    answers = COMPLETE_ANSWERS[slug]
    for spec in fields:
        assert spec["id"] in answers, spec["id"]
        if spec["type"] == "group":
            used = {key for item in answers[spec["id"]] for key in item}
            assert used == {sub["id"] for sub in spec["fields"]}, spec["id"]


@pytest.mark.parametrize("slug", SLUGS)
def test_not_everything_is_required(slug):
    fields = load(slug)["fields"]
    required = [spec["id"] for spec in fields if spec.get("required")]
    assert required and len(required) < len(fields)
    # Only the required answers (and required parts of required groups) are enough to submit.
    minimal: dict[str, Any] = {}
    for spec in fields:
        if not spec.get("required"):
            continue
        full = COMPLETE_ANSWERS[slug][spec["id"]]
        if spec["type"] == "group":
            keep = {sub["id"] for sub in spec["fields"] if sub.get("required")}
            minimal[spec["id"]] = [{k: v for k, v in full[0].items() if k in keep}]
        else:
            minimal[spec["id"]] = full
    assert validate_answers(fields, minimal).errors == {}


@pytest.mark.parametrize("slug", SLUGS)
def test_bad_values_are_reported_at_their_path(slug):
    fields = load(slug)["fields"]
    for path, value, error_path in OUT_OF_RANGE[slug]:
        answers = copy.deepcopy(COMPLETE_ANSWERS[slug])
        set_at(answers, path, value)
        result = validate_answers(fields, answers)
        assert set(result.errors) == {error_path}, (path, result.errors)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_scale_rejects_values_past_its_ends(slug):
    fields = load(slug)["fields"]
    for spec in fields:
        targets = [(spec, (spec["id"],), spec["id"])]
        if spec["type"] == "group":
            targets = [
                (sub, (spec["id"], 0, sub["id"]), f"{spec['id']}.0.{sub['id']}") for sub in spec["fields"]
            ]
        for sub, path, error_path in targets:
            if sub["type"] != "scale":
                continue
            for value in (sub["min"] - 1, sub["max"] + 1):
                answers = copy.deepcopy(COMPLETE_ANSWERS[slug])
                set_at(answers, path, value)
                assert set(validate_answers(fields, answers).errors) == {error_path}, (error_path, value)


@pytest.mark.parametrize("slug", SLUGS)
def test_missing_required_answers_are_reported_at_their_path(slug):
    fields = load(slug)["fields"]
    for path, error_path in MISSING_REQUIRED[slug]:
        for blank in (None, "   "):
            answers = copy.deepcopy(COMPLETE_ANSWERS[slug])
            if blank is None:
                delete_at(answers, path)
            else:
                set_at(answers, path, blank)
            result = validate_answers(fields, answers)
            assert result.errors == {error_path: "This is required."}, (path, result.errors)
    for group in EMPTY_REQUIRED_GROUP[slug]:
        for empty in ([], [{}]):
            answers = copy.deepcopy(COMPLETE_ANSWERS[slug])
            answers[group] = empty
            result = validate_answers(fields, answers)
            assert set(result.errors) == {group}, (group, result.errors)
