"""Variants of the exercise templates: translations and cultural adaptations (Bernal's EVM).

Every template in emotipal/library/exercises/ ships a Spanish and an Arabic translation and an English
family-and-community framing. A variant only changes wording, so answers stay valid against the same fields.
A translation must cover every text the client sees: a missing one would show English (or a raw key) on a
Spanish or Arabic page, so the tests below fail instead.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emotipal.definitions.fields import check_template_fields, validate_answers
from emotipal.library.variants import (
    EVM_DIMENSIONS,
    FIELD_KEYS,
    TEXT_KEYS,
    VariantError,
    apply_to_fields,
    check_variants,
    find,
)

EXERCISES_DIR = Path(__file__).resolve().parents[2] / "emotipal" / "library" / "exercises"
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
SLUGS = sorted(KINDS)
LANGUAGES = {"en", "es", "ar"}  # the languages of the interface (issue 5, item 7)
FAMILY = {"persons", "metaphors", "goals", "context"}
# variant key -> (language, the exact EVM dimensions it adapts)
REQUIRED_VARIANTS = {
    "es": ("es", {"language"}),
    "ar": ("ar", {"language"}),
    "family-en": ("en", FAMILY),
}
FAMILY_ES = {"thought-record", "exposure-practice"}
VARIANT_KEYS = {"key", "language", "label", "adapts", "description", "fields", *TEXT_KEYS}
ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
# Short labels that are spelt the same in English and Spanish.
SAME_IN_SPANISH = {"No"}


def load(slug: str) -> dict[str, Any]:
    with (EXERCISES_DIR / f"{slug}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


TEMPLATES = {slug: load(slug) for slug in SLUGS if (EXERCISES_DIR / f"{slug}.yaml").exists()}
# (slug, variant key) for every variant of every template, and the same for those not in English.
VARIANTS = [(slug, v["key"]) for slug, data in TEMPLATES.items() for v in data.get("variants") or []]
TRANSLATIONS = [
    (slug, v["key"])
    for slug, data in TEMPLATES.items()
    for v in data.get("variants") or []
    if v["language"] != "en"
]


def variant_of(slug: str, key: str) -> dict[str, Any]:
    variant = find(TEMPLATES[slug]["variants"], key)
    assert variant is not None, key
    return variant


def stored(value: Any) -> Any:
    """The template as the database keeps it: JSON, so scale anchors are keyed by strings."""
    return json.loads(json.dumps(value))


def field_paths(fields: list[dict[str, Any]], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field with the path a variant uses for it: "situation", "emotions.intensity"."""
    for spec in fields:
        yield prefix + spec["id"], spec
        if spec["type"] == "group":
            yield from field_paths(spec["fields"], prefix + spec["id"] + ".")


def steps(instructions: str) -> int:
    return len(re.findall(r"^\d+\. ", instructions, flags=re.MULTILINE))


def paragraphs(text: str) -> int:
    return len([p for p in text.strip().split("\n\n") if p.strip()])


def translation_problems(base: dict[str, Any], variant: dict[str, Any]) -> list[str]:
    """Everything a client would still see in English (or see broken) under a variant in another language."""
    problems = []
    spanish, arabic = variant["language"] == "es", variant["language"] == "ar"

    def check_text(where: str, original: Any, translated: Any, *, short: bool = False) -> None:
        if not isinstance(translated, str) or not translated.strip():
            problems.append(f"{where}: missing")
        elif arabic and not ARABIC_LETTER.search(translated):
            problems.append(f"{where}: not in Arabic")
        elif translated.strip() == str(original).strip() and not (
            spanish and short and translated in SAME_IN_SPANISH
        ):
            problems.append(f"{where}: same as the English")

    for key in TEXT_KEYS:
        check_text(key, base[key], variant.get(key))
    instructions, rationale = str(variant.get("instructions") or ""), str(variant.get("rationale") or "")
    if instructions and steps(instructions) != steps(base["instructions"]):
        problems.append("instructions: not the same numbered steps")
    if rationale and paragraphs(rationale) != paragraphs(base["rationale"]):
        problems.append("rationale: not the same paragraphs")
    overrides = variant.get("fields") or {}
    for path, spec in field_paths(base["fields"]):
        override = overrides.get(path)
        if not isinstance(override, dict):
            problems.append(f"{path}: missing")
            continue
        check_text(f"{path}.label", spec["label"], override.get("label"), short=True)
        if "help" in spec:
            check_text(f"{path}.help", spec["help"], override.get("help"))
        elif "help" in override:
            problems.append(f"{path}.help: the English has no help text")
        if "options" in spec:
            labels = override.get("options") or {}
            if set(labels) != {o["value"] for o in spec["options"]}:
                problems.append(f"{path}.options: {sorted(map(str, labels))} are not the option values")
            for option in spec["options"]:
                check_text(
                    f"{path}.options.{option['value']}",
                    option["label"],
                    labels.get(option["value"]),
                    short=True,
                )
        elif "options" in override:
            problems.append(f"{path}.options: the field has no options")
        if "anchors" in spec:
            labels = override.get("anchors") or {}
            if set(labels) != set(spec["anchors"]):
                problems.append(
                    f"{path}.anchors: {sorted(map(str, labels))} are not the anchors of the scale"
                )
            for value, label in spec["anchors"].items():
                check_text(f"{path}.anchors.{value}", label, labels.get(value), short=True)
        elif "anchors" in override:
            problems.append(f"{path}.anchors: the field has no anchors")
    return problems


def sample_answers(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A complete answer set: every field (and every field of two entries per group) answered."""
    answers: dict[str, Any] = {}
    for i, spec in enumerate(fields):
        ftype = spec["type"]
        if ftype == "group":
            answers[spec["id"]] = [sample_answers(spec["fields"]) for _ in range(2)]
        elif ftype in {"short_text", "long_text"}:
            answers[spec["id"]] = f"Answer {i}"
        elif ftype == "number":
            answers[spec["id"]] = spec.get("min", 0)
        elif ftype == "scale":
            answers[spec["id"]] = (spec["min"] + spec["max"]) // 2
        elif ftype == "choice":
            answers[spec["id"]] = spec["options"][-1]["value"]
        elif ftype == "multi_choice":
            answers[spec["id"]] = [o["value"] for o in spec["options"]]
        elif ftype == "duration":
            answers[spec["id"]] = min(spec.get("min", 0) + 10, spec.get("max", 1440))
        elif ftype == "datetime":
            answers[spec["id"]] = f"2025-03-0{1 + i % 9}T18:30"
    return answers


def skeleton(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The structure of the fields without their wording: ids, types, bounds, option values, anchor points."""
    result = []
    for spec in fields:
        shape = {k: v for k, v in spec.items() if k not in {"label", "help", "anchors", "options", "fields"}}
        if "options" in spec:
            shape["options"] = [{k: v for k, v in o.items() if k != "label"} for o in spec["options"]]
        if "anchors" in spec:
            shape["anchors"] = sorted({int(k) for k in spec["anchors"]})
        if "fields" in spec:
            shape["fields"] = skeleton(spec["fields"])
        result.append(shape)
    return result


def test_the_library_has_ten_templates_of_the_listed_kinds():
    assert sorted(p.stem for p in EXERCISES_DIR.glob("*.yaml")) == SLUGS
    assert len(SLUGS) == 10
    for slug, data in TEMPLATES.items():
        assert data["slug"] == slug
        assert data["kind"] == KINDS[slug], slug


@pytest.mark.parametrize("slug", SLUGS)
def test_variants_follow_the_variant_format(slug):
    data = TEMPLATES[slug]
    check_variants(data["fields"], data["variants"])
    check_variants(stored(data["fields"]), stored(data["variants"]))  # as the database keeps them


@pytest.mark.parametrize("slug", SLUGS)
def test_every_template_has_spanish_arabic_and_family_variants(slug):
    variants = {v["key"]: v for v in TEMPLATES[slug]["variants"]}
    required = dict(REQUIRED_VARIANTS)
    if slug in FAMILY_ES:
        required["family-es"] = ("es", {"language"} | FAMILY)
    assert set(required) <= set(variants), sorted(variants)
    for key, (language, adapts) in required.items():
        assert variants[key]["language"] == language, key
        assert set(variants[key]["adapts"]) == adapts, key
    # Homework "auto" picks the plain translation (adapts exactly [language]) in the client's language.
    plain = [v["language"] for v in variants.values() if v["adapts"] == ["language"]]
    assert sorted(plain) == ["ar", "es"]
    for key, variant in variants.items():
        assert set(variant) <= VARIANT_KEYS, (key, sorted(set(variant) - VARIANT_KEYS))
        assert variant["language"] in LANGUAGES, key
        assert isinstance(variant["label"], str) and variant["label"].strip(), key
        assert len(set(variant["adapts"])) == len(variant["adapts"]), key
        assert set(variant["adapts"]) <= set(EVM_DIMENSIONS), key
        if set(variant["adapts"]) != {"language"}:
            # Researchers compare variants: say what was adapted beyond the language, and why.
            assert isinstance(variant.get("description"), str) and len(variant["description"]) > 80, key
    assert variants["es"]["label"] == "Español"
    assert variants["ar"]["label"] == "العربية"
    assert variants["family-en"]["label"] == "Family and community framing"


@pytest.mark.parametrize(("slug", "key"), VARIANTS)
def test_variant_wording_is_text(slug, key):
    """YAML turns bare yes/no into booleans and bare numbers into ints: every piece of wording stays text."""
    variant = variant_of(slug, key)
    for text_key in TEXT_KEYS:
        if text_key in variant:
            assert isinstance(variant[text_key], str) and variant[text_key].strip(), text_key
    for path, override in (variant.get("fields") or {}).items():
        assert isinstance(override, dict) and override and set(override) <= set(FIELD_KEYS), path
        for what in ("label", "help"):
            if what in override:
                assert isinstance(override[what], str) and override[what].strip(), (path, what)
        for value, label in (override.get("options") or {}).items():
            assert isinstance(value, str), (path, value)
            assert isinstance(label, str) and label.strip(), (path, value)
        for value, label in (override.get("anchors") or {}).items():
            assert isinstance(value, int) and not isinstance(value, bool), (path, value)
            assert isinstance(label, str) and label.strip(), (path, value)


@pytest.mark.parametrize(("slug", "key"), TRANSLATIONS)
def test_translations_are_complete(slug, key):
    assert translation_problems(TEMPLATES[slug], variant_of(slug, key)) == []


@pytest.mark.parametrize(
    ("slug", "removed"),
    [
        ("thought-record", ("instructions",)),
        ("thought-record", ("fields", "emotions.intensity")),
        ("thought-record", ("fields", "emotions.intensity", "anchors", 50)),
        ("thought-record", ("fields", "thoughts.hot", "options", "no")),
        ("exposure-practice", ("fields", "suds_before", "help")),
        ("problem-solving", ("fields", "options.pick", "label")),
        ("psychoeducation", ("summary",)),
    ],
)
@pytest.mark.parametrize("key", ["es", "ar"])
def test_a_missing_translation_is_caught(slug, removed, key):
    variant = copy.deepcopy(variant_of(slug, key))
    target: Any = variant
    for step in removed[:-1]:
        target = target[step]
    del target[removed[-1]]
    assert translation_problems(TEMPLATES[slug], variant)


def test_english_left_in_a_translation_is_caught():
    base = TEMPLATES["worry-time"]
    variant = copy.deepcopy(variant_of("worry-time", "es"))
    variant["fields"]["log.worry"]["help"] = base["fields"][0]["fields"][1]["help"]
    assert translation_problems(base, variant) == ["log.worry.help: same as the English"]
    arabic = copy.deepcopy(variant_of("worry-time", "ar"))
    arabic["rationale"] = variant["rationale"]
    assert translation_problems(base, arabic) == ["rationale: not in Arabic"]


@pytest.mark.parametrize("slug", SLUGS)
def test_family_framing_adapts_the_rationale_instructions_and_some_fields(slug):
    base = TEMPLATES[slug]
    variant = variant_of(slug, "family-en")
    for key in ("rationale", "instructions"):
        assert variant[key].strip() != base[key].strip(), key
    assert variant["instructions"].lstrip().startswith("1.")
    assert paragraphs(variant["rationale"]) > 1
    assert re.search(r"\bfamil(y|ies)\b", variant["rationale"], flags=re.IGNORECASE)
    assert re.search(r"\bcommunit(y|ies)\b", variant["rationale"], flags=re.IGNORECASE)
    # A few fields reworded, not all of them: the rest keep the base wording.
    overridden = set(variant.get("fields") or {})
    assert overridden and len(overridden) < len(list(field_paths(base["fields"])))
    for path in overridden:
        override = variant["fields"][path]
        spec = dict(field_paths(base["fields"]))[path]
        assert any(override[k] != spec.get(k) for k in ("label", "help") if k in override), path
    if slug in FAMILY_ES:
        spanish = variant_of(slug, "family-es")
        assert re.search(r"\bfamilia", spanish["rationale"], flags=re.IGNORECASE)
        assert re.search(r"\bcomunidad", spanish["rationale"], flags=re.IGNORECASE)
        assert spanish["rationale"] != variant_of(slug, "es")["rationale"]


@pytest.mark.parametrize(("slug", "key"), VARIANTS)
@pytest.mark.parametrize("form", ["yaml", "stored"])
def test_applying_a_variant_keeps_ids_types_and_bounds(slug, key, form):
    fields = TEMPLATES[slug]["fields"] if form == "yaml" else stored(TEMPLATES[slug]["fields"])
    variant = variant_of(slug, key) if form == "yaml" else stored(variant_of(slug, key))
    before = copy.deepcopy(fields)
    applied = apply_to_fields(fields, variant)
    assert fields == before  # the template itself is left alone
    assert skeleton(applied) == skeleton(fields)
    # ...and the wording is the variant's.
    applied_paths = dict(field_paths(applied))
    for path, override in (variant.get("fields") or {}).items():
        spec = applied_paths[path]
        for what in ("label", "help"):
            if what in override:
                assert spec[what] == override[what], (path, what)
        for value, label in (override.get("options") or {}).items():
            assert next(o["label"] for o in spec["options"] if o["value"] == value) == label, (path, value)


@pytest.mark.parametrize(("slug", "key"), VARIANTS)
def test_a_complete_answer_set_valid_for_the_base_is_valid_for_every_variant(slug, key):
    fields = TEMPLATES[slug]["fields"]
    answers = sample_answers(fields)
    base = validate_answers(fields, copy.deepcopy(answers))
    assert base.errors == {}
    assert set(base.cleaned) == {spec["id"] for spec in fields}
    for form in (lambda value: value, stored):
        result = validate_answers(
            apply_to_fields(form(fields), form(variant_of(slug, key))), copy.deepcopy(answers)
        )
        assert result.errors == {}
        assert result.cleaned == base.cleaned


@pytest.mark.parametrize(("slug", "key"), VARIANTS)
def test_applied_stored_fields_have_one_label_per_anchor(slug, key):
    fields = stored(TEMPLATES[slug]["fields"])
    variant = stored(variant_of(slug, key))
    paths = dict(field_paths(apply_to_fields(fields, variant)))
    for path, override in (variant.get("fields") or {}).items():
        anchors = paths[path].get("anchors") or {}
        assert set(anchors) == set(dict(field_paths(fields))[path].get("anchors") or {}), path
        for value, label in (override.get("anchors") or {}).items():
            assert anchors[value] == label, (path, value)


def test_applied_yaml_fields_have_one_label_per_anchor():
    fields = TEMPLATES["thought-record"]["fields"]
    applied = apply_to_fields(fields, variant_of("thought-record", "es"))
    intensity = dict(field_paths(applied))["emotions.intensity"]
    assert len(intensity["anchors"]) == len({int(k) for k in intensity["anchors"]})


def test_relaxation_has_a_breathing_pacer():
    pacer = TEMPLATES["relaxation"]["pacer"]
    assert pacer == {"inhale": 4, "hold": 0, "exhale": 6}
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in pacer.values())
    assert not any("pacer" in TEMPLATES[slug] for slug in SLUGS if slug != "relaxation")


def test_psychoeducation_marks_exactly_one_correct_option_per_check_question():
    data = TEMPLATES["psychoeducation"]
    check_template_fields(data["fields"])  # the extra option key is tolerated by the schema
    questions = [spec for spec in data["fields"] if any("correct" in o for o in spec.get("options") or [])]
    assert 2 <= len(questions) <= 3
    for spec in questions:
        assert spec["type"] == "choice" and spec.get("required") is True, spec["id"]
        assert all(o.get("correct", False) in (True, False) for o in spec["options"]), spec["id"]
        assert [o.get("correct") is True for o in spec["options"]].count(True) == 1, spec["id"]
    # The right answer is not always the first option.
    assert len({[o.get("correct") for o in spec["options"]].index(True) for spec in questions}) > 1
    # The reading itself is part of the instructions, after the numbered steps.
    reading = data["instructions"].split("\n\n", 1)[1]
    assert 200 <= len(reading.split()) <= 350
    own_words = next(spec for spec in data["fields"] if spec["id"] == "reason_own_words")
    assert own_words["type"] == "long_text" and own_words["required"] is True


def test_variant_checks_reject_structural_changes():
    """The guard the translations rely on: a variant cannot rename option values or move anchors."""
    data = TEMPLATES["thought-record"]
    variant = copy.deepcopy(variant_of("thought-record", "es"))
    variant["fields"]["thoughts.hot"]["options"][True] = variant["fields"]["thoughts.hot"]["options"].pop(
        "yes"
    )
    with pytest.raises(VariantError):
        check_variants(data["fields"], [variant])
    variant = copy.deepcopy(variant_of("thought-record", "es"))
    variant["fields"]["emotions.intensity"]["anchors"][101] = "Más de lo posible"
    with pytest.raises(VariantError):
        check_variants(data["fields"], [variant])
    variant = copy.deepcopy(variant_of("thought-record", "es"))
    variant["fields"]["situation"]["max_length"] = 10
    with pytest.raises(VariantError):
        check_variants(data["fields"], [variant])


def test_an_anchor_given_twice_is_refused() -> None:
    from emotipal.definitions.fields import SchemaError, check_template_fields

    spec = {
        "id": "s",
        "type": "scale",
        "label": "S",
        "min": 0,
        "max": 10,
        "anchors": {0: "a", "0": "b", 10: "c"},
    }
    with pytest.raises(SchemaError, match="twice"):
        check_template_fields([spec])
