"""FHIR export: Questionnaire, QuestionnaireResponse and total-score Observation in a collection Bundle, R4B
and R5, parsed back with fhir.resources.

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from emotipal.measures.fhir import (
    FhirInstrument,
    FhirResponse,
    build_bundle,
    questionnaire_url,
    validate_bundle,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE = "https://emotipal.invalid/fhir"
STAMP = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FREQUENCY = [
    {"value": 0, "label": "Not at all"},
    {"value": 1, "label": "Several days"},
    {"value": 2, "label": "More than half the days"},
    {"value": 3, "label": "Nearly every day"},
]


def _definition(key: str, name: str, count: int, loinc: str, total_loinc: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "title": f"{name} questionnaire",
        "preamble": "Over the last 2 weeks, how often have you been bothered by the following problems?",
        "loinc": loinc,
        "total_loinc": total_loinc,
        "options": FREQUENCY,
        "items": [
            {"id": f"{key}_{n}", "type": "choice", "text": f"{name} item {n}"} for n in range(1, count + 1)
        ],
        "scoring": {"method": "sum"},
    }


PHQ9 = _definition("phq9", "PHQ-9", 9, "44249-1", "44261-6")
GAD7 = _definition("gad7", "GAD-7", 7, "69737-5", "70274-6")
MIXED = {
    "key": "mixed",
    "name": "Mixed",
    "items": [
        {"id": "intro", "type": "descriptive", "text": "A few questions about this week."},
        {"id": "confidence", "type": "scale", "text": "How confident are you?", "min": 0, "max": 10},
        {"id": "hours", "type": "number", "text": "Hours slept", "min": 0, "max": 24},
        {"id": "word", "type": "short_text", "text": "One word for your week"},
        {"id": "story", "type": "long_text", "text": "Anything else?"},
        {
            "id": "skills",
            "type": "multi_choice",
            "text": "Skills used",
            "options": [
                {"value": "breathing", "label": "Breathing"},
                {"value": "diary", "label": "Thought diary"},
            ],
        },
        {
            "id": "mood",
            "type": "choice",
            "text": "Mood",
            "options": [
                {"value": 1, "label": "Low"},
                {"value": 2, "label": "OK"},
                {"value": 3, "label": "Good"},
            ],
        },
    ],
}

INSTRUMENTS = [
    FhirInstrument(PHQ9, 1, questionnaire_url("phq9", BASE)),
    FhirInstrument(GAD7, 2, questionnaire_url("gad7", BASE)),
    FhirInstrument(MIXED, 1, questionnaire_url("mixed", BASE)),
]
AUTHORED = datetime(2025, 2, 20, 9, 30, tzinfo=timezone(timedelta(hours=1)))
PHQ9_ANSWERS = dict(zip([i["id"] for i in PHQ9["items"]], [1, 2, 1, 0, 3, 1, 2, 0, 1], strict=True))
RESPONSES = [
    FhirResponse(
        id="101",
        instrument_key="phq9",
        instrument_version=1,
        subject_id="client-12",
        authored=AUTHORED,
        status="completed",
        answers=PHQ9_ANSWERS,
        total=11.0,
        band="Moderate",
    ),
    FhirResponse(
        id="102",
        instrument_key="gad7",
        instrument_version=2,
        subject_id="client-12",
        authored=AUTHORED,
        status="completed",
        answers={f"gad7_{n}": 1 for n in range(1, 8)},
        total=7,
        band="Mild",
    ),
    FhirResponse(
        id="103",
        instrument_key="phq9",
        instrument_version=1,
        subject_id="client-13",
        authored=AUTHORED + timedelta(days=1),
        status="in-progress",
        answers={"phq9_1": 2, "phq9_2": None},
        total=None,
        band=None,
    ),
    FhirResponse(
        id="104",
        instrument_key="mixed",
        instrument_version=1,
        subject_id="client-13",
        authored=AUTHORED,
        status="completed",
        answers={
            "confidence": 7,
            "hours": 6.5,
            "word": "busy",
            "story": "Line one.\nLine two.",
            "skills": ["breathing", "diary"],
            "mood": "2",
        },
        total=None,
        band=None,
    ),
]


def _bundle(fhir_version: str = "R4B") -> dict[str, Any]:
    return build_bundle(INSTRUMENTS, RESPONSES, fhir_version=fhir_version, base_url=BASE, timestamp=STAMP)


def _resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def _by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def _parse(bundle: dict[str, Any], fhir_version: str) -> Any:
    if fhir_version == "R5":
        from fhir.resources.bundle import Bundle as R5Bundle

        return R5Bundle.model_validate(bundle)
    from fhir.resources.R4B.bundle import Bundle as R4BBundle

    return R4BBundle.model_validate(bundle)


# --- building and validating ------------------------------------------------------------------------------


@pytest.mark.parametrize("fhir_version", ["R4B", "R5"])
def test_bundle_validates_and_parses_into_the_expected_resources(fhir_version: str) -> None:
    bundle = _bundle(fhir_version)
    validate_bundle(bundle, fhir_version)
    json.dumps(bundle)  # JSON-ready

    parsed = _parse(bundle, fhir_version)
    assert parsed.type == "collection"
    kinds = [type(entry.resource).__name__ for entry in parsed.entry]
    assert kinds.count("Questionnaire") == 3
    assert kinds.count("QuestionnaireResponse") == 4
    assert kinds.count("Observation") == 2  # only the responses with a total
    module = "fhir.resources.R4B." if fhir_version == "R4B" else "fhir.resources."
    assert all(type(entry.resource).__module__.startswith(module) for entry in parsed.entry)
    assert all(entry.fullUrl.startswith("urn:uuid:") for entry in parsed.entry)


@pytest.mark.parametrize("fhir_version", ["R4B", "R5"])
def test_phq9_total_is_a_survey_observation_derived_from_its_response(fhir_version: str) -> None:
    bundle = _bundle(fhir_version)
    parsed = _parse(bundle, fhir_version)
    full_urls = {entry.fullUrl: entry.resource for entry in parsed.entry}
    observations = [e.resource for e in parsed.entry if type(e.resource).__name__ == "Observation"]
    phq = next(o for o in observations if o.code.coding[0].code == "44261-6")
    assert phq.code.coding[0].system == "http://loinc.org"
    assert phq.status == "final"
    assert phq.category[0].coding[0].system == "http://terminology.hl7.org/CodeSystem/observation-category"
    assert phq.category[0].coding[0].code == "survey"
    assert phq.subject.reference == "Patient/client-12"
    assert float(phq.valueQuantity.value) == 11
    assert phq.valueQuantity.unit == "{score}"
    assert phq.valueQuantity.system == "http://unitsofmeasure.org"
    assert phq.valueQuantity.code == "{score}"
    assert phq.interpretation[0].text == "Moderate"
    assert phq.effectiveDateTime == AUTHORED

    source = full_urls[phq.derivedFrom[0].reference]
    assert type(source).__name__ == "QuestionnaireResponse"
    assert source.status == "completed"
    assert source.questionnaire == f"{BASE}/Questionnaire/phq9|1"
    assert source.subject.reference == "Patient/client-12"
    answered = {item.linkId: item.answer[0].valueCoding for item in source.item}
    assert [answered[f"phq9_{n}"].code for n in range(1, 10)] == ["1", "2", "1", "0", "3", "1", "2", "0", "1"]
    assert answered["phq9_5"].display == "Nearly every day"
    assert answered["phq9_5"].system == "urn:emotipal:phq9:options"

    gad = next(o for o in observations if o.code.coding[0].code == "70274-6")
    assert float(gad.valueQuantity.value) == 7
    assert type(full_urls[gad.derivedFrom[0].reference]).__name__ == "QuestionnaireResponse"


@pytest.mark.parametrize("fhir_version", ["R4B", "R5"])
def test_questionnaires_carry_version_codes_and_item_types(fhir_version: str) -> None:
    bundle = _bundle(fhir_version)
    questionnaires = {q["url"]: q for q in _resources(bundle, "Questionnaire")}
    phq = questionnaires[f"{BASE}/Questionnaire/phq9"]
    assert phq["version"] == "1"
    assert phq["status"] == "active"
    assert phq["name"] == "PHQ9"
    assert phq["code"] == [{"system": "http://loinc.org", "code": "44249-1"}]
    assert len(phq["item"]) == 9
    first = phq["item"][0]
    choice = "coding" if fhir_version == "R5" else "choice"
    assert first["type"] == choice
    assert [o["valueCoding"]["code"] for o in first["answerOption"]] == ["0", "1", "2", "3"]
    assert first["answerOption"][0]["valueCoding"]["display"] == "Not at all"
    assert questionnaires[f"{BASE}/Questionnaire/gad7"]["version"] == "2"

    mixed = {i["linkId"]: i for i in questionnaires[f"{BASE}/Questionnaire/mixed"]["item"]}
    assert {k: v["type"] for k, v in mixed.items()} == {
        "intro": "display",
        "confidence": "integer",
        "hours": "decimal",
        "word": "string",
        "story": "text",
        "skills": choice,
        "mood": choice,
    }
    assert "required" not in mixed["intro"]
    assert mixed["confidence"]["required"] is True and mixed["word"]["required"] is False
    assert mixed["skills"]["repeats"] is True
    assert mixed["skills"]["answerOption"][1]["valueCoding"] == {
        "system": "urn:emotipal:mixed:skills:options",
        "code": "diary",
        "display": "Thought diary",
    }
    if fhir_version == "R5":
        assert mixed["mood"]["answerConstraint"] == "optionsOnly"
    else:
        assert "answerConstraint" not in mixed["mood"]

    parsed = _parse(bundle, fhir_version)
    questionnaire = next(e.resource for e in parsed.entry if e.resource.url == f"{BASE}/Questionnaire/mixed")
    assert [item.type for item in questionnaire.item][-1] == choice


def test_answers_of_every_item_type() -> None:
    bundle = _bundle()
    response = next(
        r for r in _resources(bundle, "QuestionnaireResponse") if r["questionnaire"].endswith("mixed|1")
    )
    answers = {item["linkId"]: item["answer"] for item in response["item"]}
    assert answers["confidence"] == [{"valueInteger": 7}]
    assert answers["hours"] == [{"valueDecimal": 6.5}]
    assert answers["word"] == [{"valueString": "busy"}]
    assert answers["story"] == [{"valueString": "Line one.\nLine two."}]
    assert [a["valueCoding"]["code"] for a in answers["skills"]] == ["breathing", "diary"]
    # a stored "2" matches the option value 2
    assert answers["mood"] == [
        {"valueCoding": {"system": "urn:emotipal:mixed:mood:options", "code": "2", "display": "OK"}}
    ]
    assert "intro" not in answers


def test_in_progress_response_keeps_only_given_answers_and_has_no_observation() -> None:
    bundle = _bundle()
    partial = next(r for r in _resources(bundle, "QuestionnaireResponse") if r["status"] == "in-progress")
    assert partial["subject"] == {"reference": "Patient/client-13"}
    assert [item["linkId"] for item in partial["item"]] == ["phq9_1"]
    urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    derived = [o["derivedFrom"][0]["reference"] for o in _resources(bundle, "Observation")]
    assert urls[partial["id"]] not in derived


def test_prorated_total_of_an_unfinished_response_is_preliminary() -> None:
    response = FhirResponse(
        "200", "phq9", 1, "client-1", AUTHORED, "in-progress", {"phq9_1": 1}, total=9.0, band=None
    )
    bundle = build_bundle(INSTRUMENTS, [response], timestamp=STAMP)
    validate_bundle(bundle)
    (observation,) = _resources(bundle, "Observation")
    assert observation["status"] == "preliminary"
    assert "interpretation" not in observation


def test_mean_total_and_instrument_without_total_loinc() -> None:
    definition = {**MIXED, "key": "mech", "name": "Mechanism"}
    response = FhirResponse(
        "300", "mech", 3, "client-1", AUTHORED, "completed", {"confidence": 6}, total=6.25, band=None
    )
    bundle = build_bundle(
        [FhirInstrument(definition, 3, questionnaire_url("mech"))],
        [response],
        fhir_version="R5",
        timestamp=STAMP,
    )
    validate_bundle(bundle, "R5")
    (observation,) = _resources(bundle, "Observation")
    assert observation["code"]["coding"] == [
        {"system": "urn:emotipal:score", "code": "mech-total", "display": "Mechanism total score"}
    ]
    assert observation["valueQuantity"]["value"] == 6.25


def test_output_is_deterministic_and_references_resolve() -> None:
    first, second = _bundle(), _bundle()
    assert first == second
    assert first["timestamp"] == STAMP.isoformat()
    full_urls = [e["fullUrl"] for e in first["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    by_url = _by_url(first)
    for observation in _resources(first, "Observation"):
        assert by_url[observation["derivedFrom"][0]["reference"]]["resourceType"] == "QuestionnaireResponse"
    # another base URL gives other identities
    other = build_bundle(INSTRUMENTS, RESPONSES, base_url="https://other.invalid/fhir", timestamp=STAMP)
    assert {e["fullUrl"] for e in other["entry"]}.isdisjoint(full_urls)


def test_default_timestamp_is_now() -> None:
    bundle = build_bundle(INSTRUMENTS[:1], [])
    stamp = datetime.fromisoformat(bundle["timestamp"])
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)
    validate_bundle(bundle)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"instrument_version": 9}, "version 9 is not in the export"),
        ({"authored": datetime(2025, 1, 1, 9, 0)}, "timezone-aware"),  # naive on purpose
        ({"status": "amended"}, "status 'amended'"),
        ({"answers": {"phq9_1": 4}}, "'phq9_1': 4 is not one of the item's options"),
        ({"answers": {"phq9_1": [1, 2]}}, "a choice item takes one answer"),
        ({"answers": {"nope": 1}}, "unknown items nope"),
    ],
)
def test_build_rejects_bad_responses(change: dict[str, Any], message: str) -> None:
    fields = {**RESPONSES[0].__dict__, **change}
    with pytest.raises(ValueError, match=message):
        build_bundle(INSTRUMENTS, [FhirResponse(**fields)])


def test_build_rejects_bad_scale_answer_and_unknown_version() -> None:
    bad = FhirResponse("1", "mixed", 1, "c", AUTHORED, "completed", {"confidence": 2.5}, None, None)
    with pytest.raises(ValueError, match="'confidence': a scale answer must be a whole number"):
        build_bundle(INSTRUMENTS, [bad])
    with pytest.raises(ValueError, match="unsupported FHIR version 'R4'"):
        build_bundle(INSTRUMENTS, [], fhir_version="R4")
    with pytest.raises(ValueError, match="listed twice"):
        build_bundle([INSTRUMENTS[0], INSTRUMENTS[0]], [])


def _broken(mutate: Any, fhir_version: str = "R4B") -> dict[str, Any]:
    bundle = copy.deepcopy(_bundle(fhir_version))
    mutate(bundle)
    return bundle


def _observation(bundle: dict[str, Any]) -> dict[str, Any]:
    return _resources(bundle, "Observation")[0]


@pytest.mark.parametrize("fhir_version", ["R4B", "R5"])
@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # a reference given as a bare string instead of a Reference
        (
            lambda b: _observation(b).update(derivedFrom="urn:uuid:x"),
            r"entry\[\d+\] \(Observation\)\.derivedFrom",
        ),
        # a Reference whose reference is not a string
        (lambda b: _observation(b).update(subject={"reference": 12}), r"\(Observation\)\.subject\.reference"),
        # a missing required field
        (
            lambda b: _observation(b).pop("status"),
            r"\(Observation\)\.status: Value for the field 'status' is required",
        ),
        (lambda b: b.pop("type"), r"Bundle\.type"),
        # two value[x]
        (lambda b: _observation(b).update(valueString="11"), "but got multiple"),
        # an unknown element
        (lambda b: _observation(b).update(score=11), r"\.score: Extra inputs are not permitted"),
        # a malformed date
        (lambda b: _observation(b).update(effectiveDateTime="2025-13-01"), "effectiveDateTime"),
        # a reference to an entry that is not in the bundle
        (
            lambda b: _observation(b).update(
                derivedFrom=[{"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}]
            ),
            "matches no entry's fullUrl",
        ),
        (lambda b: b["entry"].append(b["entry"][0]), "appears more than once"),
        (
            lambda b: b["entry"][0]["resource"].update(resourceType="Questionaire"),
            "unknown resourceType 'Questionaire'",
        ),
        (lambda b: b.update(resourceType="Patient"), "not a FHIR Bundle"),
    ],
)
def test_validate_rejects_broken_bundles(mutate: Any, message: str, fhir_version: str) -> None:
    bundle = _broken(mutate, fhir_version)
    with pytest.raises(ValueError, match=message):
        validate_bundle(bundle, fhir_version)


def test_item_types_are_checked_against_the_fhir_version() -> None:
    # R4B choice items are not R5 item types (fhir.resources does not check codes: validate_bundle does)
    r4b = _bundle("R4B")
    with pytest.raises(
        ValueError, match=r"\(Questionnaire\)\.item\[0\]\.type: 'choice' is not an item type of FHIR R5"
    ):
        validate_bundle(r4b, "R5")
    # R5's answerConstraint does not exist in R4B
    with pytest.raises(ValueError, match=r"answerConstraint: Extra inputs are not permitted"):
        validate_bundle(_bundle("R5"), "R4B")
    with pytest.raises(ValueError, match="unsupported FHIR version"):
        validate_bundle(r4b, "STU3")


def test_validation_error_message_is_readable() -> None:
    bundle = _broken(lambda b: _observation(b).pop("status"))
    with pytest.raises(ValueError) as caught:
        validate_bundle(bundle)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("FHIR R4B bundle is invalid: entry[")
    assert "https://errors.pydantic.dev" not in message


# --- purity ---------------------------------------------------------------------------------------------------


def test_module_does_not_import_django_or_fhir_resources_until_validating() -> None:
    code = (
        "import sys, emotipal.measures.fhir as f\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
        "assert 'fhir.resources' not in sys.modules, 'fhir.resources imported'\n"
        "bad = [m for m in sys.modules if m.startswith('emotipal.')\n"
        "       and m not in ('emotipal.measures', 'emotipal.measures.fhir', 'emotipal.definitions',\n"
        "                     'emotipal.definitions.instruments')]\n"
        "assert not bad, bad\n"
        "f.validate_bundle(f.build_bundle([], []))\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(  # noqa: S603 - a fixed command, no outside input
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
