"""The exercise templates shipped in emotipal/library/exercises/ follow the field schema.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from emotipal.definitions.fields import check_template_fields, validate_answers

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
# Optional top-level keys: language and cultural variants (tests/library/test_exercise_variants.py checks
# them), and page features some templates carry.
OPTIONAL_KEYS = {"variants", "pacer"}
KINDS = {
    "thought-record": "thought_record",
    "exposure-practice": "exposure",
    "behavioural-activation": "behavioural_activation",
    "behavioural-experiment": "behavioural_experiment",
    "problem-solving": "problem_solving",
    "worry-time": "worry_time",
    "relaxation": "relaxation",
    "psychoeducation": "psychoeducation",
    "self-monitoring": "self_monitoring",
    "questionnaire-homework": "questionnaire",
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
    "behavioural-experiment": {
        "belief": "If I speak up in the meeting, people will think I'm stupid.",
        "belief_before": 80,
        "alternative": "Most people will listen, and some may agree with me.",
        "alternative_before": "30",
        "experiment": "Make one comment about the rota in Thursday's team meeting.",
        "planned_for": "2025-03-06T10:00",
        "place": "At work, in the weekly team meeting",
        "prediction": "Everyone will go quiet and someone will roll their eyes.",
        "problems": "If I lose my nerve, I'll ask a question instead.",
        "outcome": "Two people nodded and my manager said it was a good point.",
        "compared": "not_as_predicted",
        "belief_after": 35,
        "alternative_after": 70,
        "learned": "Speaking up felt awful for a minute, then it passed. Nobody laughed.",
    },
    "problem-solving": {
        "problem": "I owe money on two bills and I keep putting off opening the letters.",
        "goal": "Both bills on a payment plan by the end of the month.",
        "options": [
            {
                "option": "Phone the energy company and ask for a payment plan",
                "pros": "They have to offer one.",
                "cons": "I hate phoning.",
                "pick": "yes",
            },
            {
                "option": "Ignore it for another month",
                "pros": "No phone call.",
                "cons": "Fees.",
                "pick": "no",
            },
        ],
        "plan": "Phone the energy company on Monday, then the water company.",
        "steps": [
            {"step": "Find the account number on the last bill", "when": "2025-03-09T19:00"},
            {"step": "Phone the energy company", "when": "2025-03-10T09:30"},
        ],
        "how_it_went": "The energy company set up a plan in ten minutes.",
        "next": "Phone the water company on Wednesday.",
    },
    "worry-time": {
        "log": [
            {
                "noticed_at": "2025-03-04T09:15",
                "worry": "What if I lose my job?",
                "worry_type": "hypothetical",
                "postponed": "yes",
            },
            {
                "noticed_at": "2025-03-04T13:40",
                "worry": "The boiler is making a noise",
                "worry_type": "solvable",
                "postponed": "no",
            },
        ],
        "period_start": "2025-03-04T17:30",
        "period_minutes": "20",
        "anxiety_before": 6,
        "anxiety_after": 4,
        "next_actions": "Call a plumber on Monday morning.",
        "let_be": "The job worry was still there, but it got quieter after a few minutes.",
    },
    "relaxation": {
        "technique": "slow_breathing",
        "minutes": 15,
        "tension_before": 7,
        "tension_after": "3",
        "tension_where": "Shoulders and jaw",
        "helped": "Breathing out slowly with the pacer.",
        "got_in_the_way": "The phone kept buzzing.",
    },
    "psychoeducation": {
        "check_relief": "quick_relief",
        "check_lesson": "danger_confirmed",
        "check_hidden": "staying",
        "reason_own_words": "If I always leave, I never find out I'd have been fine, so the fear stays.",
        "want_to_try": "Go to the corner shop without my phone in my hand.",
    },
    "self-monitoring": {
        "target": "anxiety",
        "entries": [
            {
                "when": "2025-03-03T08:10",
                "situation": "On a crowded train to work",
                "mood": 4,
                "intensity": 70,
                "action": "Got off a stop early and walked",
                "after": "Relief, then annoyed with myself.",
            },
            {
                "when": "2025-03-04T08:05",
                "situation": "Same train",
                "mood": "5",
                "intensity": "60",
                "action": "Stayed on and breathed slowly",
                "after": "It eased after two stops.",
            },
        ],
        "patterns": "Mornings on the train are worst; staying on helped more than getting off.",
    },
    "questionnaire-homework": {
        "questionnaire": "gad7",
        "noticed": "I worry less at night than last month, but still most days.",
        "questions": "Should I keep doing worry time at weekends?",
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
    "behavioural-experiment": [
        (("belief_before",), 101, "belief_before"),
        (("alternative_after",), -1, "alternative_after"),
        (("compared",), "sort_of", "compared"),
    ],
    "problem-solving": [
        (("options", 1, "pick"), "maybe", "options.1.pick"),
        (("steps", 0, "when"), "next Tuesday", "steps.0.when"),
        (("goal",), "x" * 501, "goal"),
    ],
    "worry-time": [
        (("anxiety_before",), 11, "anxiety_before"),
        (("log", 1, "worry_type"), "urgent", "log.1.worry_type"),
        (("period_minutes",), 121, "period_minutes"),
    ],
    "relaxation": [
        (("tension_after",), 11, "tension_after"),
        (("technique",), "yoga", "technique"),
        (("minutes",), 0, "minutes"),
    ],
    "psychoeducation": [
        (("check_relief",), "no_idea", "check_relief"),
        (("check_hidden",), True, "check_hidden"),
    ],
    "self-monitoring": [
        (("entries", 0, "intensity"), 101, "entries.0.intensity"),
        (("entries", 1, "mood"), -1, "entries.1.mood"),
        (("entries", 1, "when"), "yesterday", "entries.1.when"),
    ],
    "questionnaire-homework": [
        (("questionnaire",), "phq-9", "questionnaire"),
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
    "behavioural-experiment": [
        (("belief",), "belief"),
        (("belief_before",), "belief_before"),
        (("prediction",), "prediction"),
    ],
    "problem-solving": [
        (("problem",), "problem"),
        (("options", 1, "option"), "options.1.option"),
        (("plan",), "plan"),
    ],
    "worry-time": [
        (("log", 0, "worry"), "log.0.worry"),
        (("anxiety_before",), "anxiety_before"),
    ],
    "relaxation": [
        (("technique",), "technique"),
        (("tension_before",), "tension_before"),
    ],
    "psychoeducation": [
        (("check_lesson",), "check_lesson"),
        (("reason_own_words",), "reason_own_words"),
    ],
    "self-monitoring": [
        (("entries", 0, "when"), "entries.0.when"),
        (("entries", 1, "situation"), "entries.1.situation"),
    ],
    "questionnaire-homework": [
        (("questionnaire",), "questionnaire"),
    ],
}
EMPTY_REQUIRED_GROUP = {
    "thought-record": ["emotions", "thoughts"],
    "exposure-practice": [],
    "behavioural-activation": ["activities"],
    "behavioural-experiment": [],
    "problem-solving": ["options"],
    "worry-time": ["log"],
    "relaxation": [],
    "psychoeducation": [],
    "self-monitoring": ["entries"],
    "questionnaire-homework": [],
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
    assert TOP_LEVEL_KEYS <= set(data) <= TOP_LEVEL_KEYS | OPTIONAL_KEYS
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
