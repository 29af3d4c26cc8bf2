"""FHIR R5: the study as a ResearchStudy and each participant as a ResearchSubject, in one collection Bundle,
validated with fhir.resources (through emotipal.measures.fhir.validate_bundle, which also resolves the bundle's
urn:uuid references).

- ResearchStudy: title, description, the study's slug and its ethics approval number as identifiers, the
  protocol version as version, the ethics committee as an associatedParty (its approval ending on
  ethics_valid_until), status (the record's publication status) and progressStatus (the study's own state,
  http://hl7.org/fhir/research-study-status), and one comparisonGroup per arm.
- ResearchSubject: the participant's pseudonym as an identifier of the subject (a logical reference: no Patient
  resource and nothing that names the person), one progress entry per recorded state from the
  participant_states table (http://terminology.hl7.org/CodeSystem/research-subject-state, with start and end
  dates and the reason), the period from enrolment, and the arm as assignedComparisonGroup (a hand-made
  participants table's `arm`, or the participant's first experiment's arm from the allocations table; each
  experiment's arm is a comparisonGroup "<experiment>.<arm key>").
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from emotipal.measures.fhir import validate_bundle
from emotipal.research.export.data import ExportData
from emotipal.research.export.formats.columns import participant_column, table_variables, typed

FHIR_VERSION = "R5"
NAMESPACE = uuid.UUID("6f1c9a52-3d0e-5b7a-9e21-4c8d2f6b1a03")  # fixed: the same export gives the same uuids
STUDY_SYSTEM = "urn:emotipal:research-study"
ETHICS_SYSTEM = "urn:emotipal:ethics-approval"
STUDY_STATUS = "http://hl7.org/fhir/research-study-status"
SUBJECT_STATE = "http://terminology.hl7.org/CodeSystem/research-subject-state"
MILESTONE = "http://terminology.hl7.org/CodeSystem/research-subject-milestone"

# The study's status as (the record's publication status, the study's progress state).
STUDY_STATES = {
    "draft": ("draft", "in-review"),
    "recruiting": ("active", "active"),
    "closed": ("active", "closed-to-accrual"),
    "completed": ("active", "completed"),
    "withdrawn": ("retired", "withdrawn"),
}
# EmotiPal's participant states in FHIR's research-subject-state codes.
SUBJECT_STATES = {
    "candidate": "potential-candidate",
    "screened": "screening",
    "eligible": "eligible",
    "ineligible": "ineligible",
    "consented": "pending-on-study",
    "declined": "not-registered",
    "enrolled": "on-study",
    "withdrawn": "withdrawn",
    "completed": "off-study",
    "lost": "off-study",
}
# FHIR's milestones: SignedUp is an expressed interest before any assessment or consent (our invitation).
MILESTONES = {"candidate": "SignedUp", "screened": "Screened"}
PARTICIPANTS, CLIENTS, STATES = "participants", "clients", "participant_states"
ALLOCATIONS = "allocations"


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def link_id(name: str) -> str:
    """An arm's name as a FHIR id ([A-Za-z0-9-.], at most 64 characters)."""
    return (re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-") or "arm")[:64]


def research_study(data: ExportData) -> dict[str, Any]:
    study = data.study
    status, progress = STUDY_STATES.get(study.status, ("unknown", ""))
    resource: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": link_id(f"study-{study.slug}"),
        "identifier": [{"system": STUDY_SYSTEM, "value": study.slug}],
        "version": study.protocol_version,
        "name": link_id(study.slug),
        "title": study.title,
        "status": status,
        "description": study.description or study.title,
    }
    if study.ethics_number:
        resource["identifier"].append(
            {
                "system": ETHICS_SYSTEM,
                "value": study.ethics_number,
                "type": {"text": "Ethics approval"},
                **({"assigner": {"display": study.ethics_committee}} if study.ethics_committee else {}),
            }
        )
    if study.ethics_committee:
        party: dict[str, Any] = {
            "name": study.ethics_committee,
            "role": {"text": "Ethics committee (IRB)"},
        }
        if study.ethics_valid_until:
            party["period"] = [{"end": study.ethics_valid_until}]
        resource["associatedParty"] = [party]
    if progress:
        resource["progressStatus"] = [
            {
                "state": {"coding": [{"system": STUDY_STATUS, "code": progress}], "text": study.status},
                "actual": True,
            }
        ]
    if study.arms:
        resource["comparisonGroup"] = [
            {
                "linkId": _arm_id(arm),
                "name": arm["name"],
                **({"description": arm["description"]} if arm.get("description") else {}),
            }
            for arm in study.arms
        ]
    return resource


def _arm_id(arm: dict[str, str]) -> str:
    """An experiment's arm is "<experiment>.<arm key>" (unique across a study's experiments)."""
    return link_id(arm.get("id") or arm["name"])


def _participants(data: ExportData) -> tuple[pd.DataFrame, str] | None:
    """The participants table and its id column: a hand-made `participants`, or the export's `clients`."""
    for table in (PARTICIPANTS, CLIENTS):
        if table in data.tables:
            frame = typed(data.tables[table], table_variables(data, table))
            who = participant_column(frame) or ("key" if table == CLIENTS and "key" in frame else None)
            return (frame, who) if who else None
    return None


def _assigned(data: ExportData) -> dict[str, str]:
    """Each participant's comparison group from the allocations table: their first experiment's arm (FHIR
    gives a subject one assigned group; the allocations table has every experiment's)."""
    if ALLOCATIONS not in data.tables:
        return {}
    order = {(arm.get("experiment"), arm.get("arm")): i for i, arm in enumerate(data.study.arms)}
    ids = {(arm.get("experiment"), arm.get("arm")): _arm_id(arm) for arm in data.study.arms}
    chosen: dict[str, tuple[int, str]] = {}
    frame = data.tables[ALLOCATIONS]
    for row in frame.to_dict("records"):
        key = (str(row["experiment"]), str(row["arm"]))
        if key not in order:
            continue
        who = str(row["client_key"])
        if who not in chosen or order[key] < chosen[who][0]:
            chosen[who] = (order[key], ids[key])
    return {who: group for who, (_position, group) in chosen.items()}


def _date(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _state_trail(data: ExportData) -> dict[str, list[dict[str, Any]]]:
    """Each participant's recorded states in order, as progress entries (the next state's date ends one)."""
    if STATES not in data.tables:
        return {}
    variables = table_variables(data, STATES)
    frame = typed(data.tables[STATES], variables)
    who = participant_column(frame)
    dates = [v.name for v in variables if v.type in ("date", "datetime")]
    if who is None or "state" not in frame.columns:
        return {}
    trails: dict[str, list[dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        state = str(row["state"])
        entry: dict[str, Any] = {
            "subjectState": {
                "coding": [{"system": SUBJECT_STATE, "code": SUBJECT_STATES.get(state, "candidate")}],
                "text": state,
            }
        }
        if state in MILESTONES:
            entry["milestone"] = {"coding": [{"system": MILESTONE, "code": MILESTONES[state]}]}
        start = _date(row[dates[0]]) if dates else None
        if start:
            entry["startDate"] = start
        if row.get("reason"):
            entry["reason"] = {"text": str(row["reason"])}
        trail = trails.setdefault(str(row[who]), [])
        if trail and start and "startDate" in trail[-1]:
            trail[-1]["endDate"] = start
        trail.append(entry)
    return trails


def research_subjects(data: ExportData, study_url: str) -> list[tuple[str, dict[str, Any]]]:
    found = _participants(data)
    if found is None:
        return []
    frame, who = found
    trails = _state_trail(data)
    arms = {arm["name"] for arm in data.study.arms}
    assigned = _assigned(data)
    subjects = []
    for row in frame.to_dict("records"):
        pseudonym = str(row[who])
        resource: dict[str, Any] = {
            "resourceType": "ResearchSubject",
            "id": link_id(f"subject-{pseudonym}"),
            "identifier": [{"system": f"{STUDY_SYSTEM}:{data.study.slug}:participant", "value": pseudonym}],
            "status": "active",
            "study": {"reference": study_url},
            "subject": {
                "type": "Patient",
                "identifier": {"system": f"{STUDY_SYSTEM}:{data.study.slug}:participant", "value": pseudonym},
                "display": f"Participant {pseudonym}",
            },
        }
        trail = trails.get(pseudonym, [])
        if trail:
            resource["progress"] = trail
        enrolled = next((e.get("startDate") for e in trail if e["subjectState"]["text"] == "enrolled"), None)
        if enrolled:
            ended = next(
                (
                    e.get("startDate")
                    for e in trail
                    if e["subjectState"]["text"] in ("withdrawn", "completed", "lost")
                ),
                None,
            )
            resource["period"] = {"start": enrolled, **({"end": ended} if ended else {})}
        arm = row.get("arm")
        if arm and str(arm) in arms:
            resource["assignedComparisonGroup"] = link_id(str(arm))
        elif pseudonym in assigned:
            resource["assignedComparisonGroup"] = assigned[pseudonym]
        subjects.append((_urn(data.study.slug, "subject", pseudonym), resource))
    return subjects


def bundle(data: ExportData) -> dict[str, Any]:
    study_url = _urn(data.study.slug, "study")
    entries = [{"fullUrl": study_url, "resource": research_study(data)}]
    entries += [{"fullUrl": url, "resource": r} for url, r in research_subjects(data, study_url)]
    result = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if data.generated_at:
        result["timestamp"] = data.generated_at
    return result


def write(data: ExportData, out_dir: Path) -> list[Path]:
    data.check_complete()
    folder = Path(out_dir) / "fhir"
    folder.mkdir(parents=True, exist_ok=True)
    result = bundle(data)
    validate_bundle(result, FHIR_VERSION)
    path = folder / "research_study_bundle.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [path]
