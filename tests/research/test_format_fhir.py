"""FHIR R5 export: a ResearchStudy with its comparison groups and one ResearchSubject per participant, valid for
fhir.resources (R5, its default version)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.researchstudy import ResearchStudy
from fhir.resources.researchsubject import ResearchSubject

from emotipal.measures.fhir import validate_bundle
from emotipal.research.export.formats import fhir
from tests.research.export_fixture import PEOPLE, export_data


def _written(tmp_path: Path, **kwargs: Any) -> dict[str, Any]:
    (path,) = fhir.write(export_data(**kwargs), tmp_path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_bundle_parses_as_fhir_r5(tmp_path: Path) -> None:
    bundle = _written(tmp_path)
    parsed = Bundle.model_validate(bundle)
    study = parsed.entry[0].resource
    assert isinstance(study, ResearchStudy)
    assert all(isinstance(e.resource, ResearchSubject) for e in parsed.entry[1:])
    assert len(parsed.entry) == 1 + len(PEOPLE)
    assert _written(tmp_path) == bundle  # the same export gives the same bundle, uuids included


def test_the_study_states_its_protocol_approval_status_and_arms(tmp_path: Path) -> None:
    study = _written(tmp_path)["entry"][0]["resource"]
    ResearchStudy.model_validate(study)
    assert study["title"] == "Which homework helps" and study["version"] == "1.2"
    assert {"system": fhir.STUDY_SYSTEM, "value": "homework-study"} in study["identifier"]
    ethics = next(i for i in study["identifier"] if i["system"] == fhir.ETHICS_SYSTEM)
    assert ethics["value"] == "REC-2026-017" and ethics["assigner"]["display"] == "Regional ethics committee"
    assert study["associatedParty"][0]["period"] == [{"end": "2027-06-30"}]
    assert study["status"] == "active"
    assert study["progressStatus"][0]["state"]["coding"][0] == {"system": fhir.STUDY_STATUS, "code": "active"}
    assert [(g["linkId"], g["description"]) for g in study["comparisonGroup"]] == [
        ("usual", "Usual care"),
        ("reminders", "Daily reminders"),
    ]
    without_arms = _written(tmp_path, arms=False)["entry"][0]["resource"]
    assert "comparisonGroup" not in without_arms
    assert all(
        "assignedComparisonGroup" not in e["resource"] for e in _written(tmp_path, arms=False)["entry"][1:]
    )


@pytest.mark.parametrize(
    ("status", "publication", "progress"),
    [
        ("draft", "draft", "in-review"),
        ("recruiting", "active", "active"),
        ("closed", "active", "closed-to-accrual"),
        ("completed", "active", "completed"),
        ("withdrawn", "retired", "withdrawn"),
    ],
)
def test_every_study_status_maps(status: str, publication: str, progress: str) -> None:
    data = export_data()
    data.study = dataclasses.replace(data.study, status=status)
    bundle = fhir.bundle(data)
    validate_bundle(bundle, "R5")
    study = bundle["entry"][0]["resource"]
    assert (
        study["status"] == publication
        and study["progressStatus"][0]["state"]["coding"][0]["code"] == progress
    )


def test_subjects_are_pseudonymous_with_their_progress(tmp_path: Path) -> None:
    bundle = _written(tmp_path)
    study_url = bundle["entry"][0]["fullUrl"]
    subjects = {e["resource"]["identifier"][0]["value"]: e["resource"] for e in bundle["entry"][1:]}
    assert list(subjects) == PEOPLE
    for subject in subjects.values():
        assert subject["study"] == {"reference": study_url}
        # A logical reference by the study's pseudonym: no Patient resource, no reference to one.
        assert "reference" not in subject["subject"] and subject["subject"]["identifier"]["value"] in PEOPLE
    withdrawn = subjects[PEOPLE[1]]
    states = [
        (p["subjectState"]["coding"][0]["code"], p.get("startDate"), p.get("endDate"))
        for p in withdrawn["progress"]
    ]
    assert states == [("on-study", "2025-02-11", "2025-03-01"), ("withdrawn", "2025-03-01", None)]
    assert withdrawn["progress"][1]["reason"] == {"text": "Moved away"}
    assert withdrawn["period"] == {"start": "2025-02-11", "end": "2025-03-01"}
    assert withdrawn["assignedComparisonGroup"] == "reminders"
    first = subjects[PEOPLE[0]]
    assert [p["subjectState"]["coding"][0]["code"] for p in first["progress"]] == [
        "potential-candidate",
        "pending-on-study",
        "on-study",
    ]
    assert first["progress"][0]["milestone"]["coding"][0] == {"system": fhir.MILESTONE, "code": "SignedUp"}
    assert first["period"] == {"start": "2025-03-04"}  # still on the study
    assert subjects[PEOPLE[2]]["progress"][-1]["subjectState"]["coding"][0]["code"] == "off-study"


def test_every_participant_state_has_a_fhir_state() -> None:
    from emotipal.research.models import ParticipantState

    assert set(fhir.SUBJECT_STATES) == set(ParticipantState.values)


def test_an_invalid_resource_is_refused(tmp_path: Path) -> None:
    data = export_data()
    data.study = dataclasses.replace(data.study, ethics_valid_until="30 June 2027")
    with pytest.raises(ValueError, match="ResearchStudy"):
        fhir.write(data, tmp_path)
