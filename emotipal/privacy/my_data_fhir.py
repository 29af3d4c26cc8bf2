"""A client's data download as an HL7 FHIR R4B Bundle ("collection"): their Patient, every questionnaire they
answered or began (Questionnaire, QuestionnaireResponse and the total score as an Observation, as the clinic's
FHIR export builds them: measures/fhir_export.py) and their research consent decisions as Consent resources.

Here the subject is the person themself, so every reference to them points at their Patient entry (the
clinic's export uses a pseudonymous "Patient/client-<id>" instead). The bundle is validated with fhir.resources
(measures/fhir.py validate_bundle) before it is handed out: a bundle that would not validate is an error, never
a download."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from emotipal.accounts.models import ClientProfile
from emotipal.measures.fhir import DEFAULT_BASE_URL, validate_bundle
from emotipal.measures.fhir_export import bundle_for
from emotipal.measures.models import Response
from emotipal.platform import clock
from emotipal.research.fhir_consent import consent_resource_r4b
from emotipal.research.models import ConsentRecord, Participant
from emotipal.research.queries_consent import current_consent

FHIR_VERSION = "R4B"
BCP47 = "urn:ietf:bcp:47"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, DEFAULT_BASE_URL)


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def _patient(profile: ClientProfile, full_url: str) -> dict[str, Any]:
    user = profile.user
    resource: dict[str, Any] = {"resourceType": "Patient", "id": full_url.removeprefix("urn:uuid:")}
    if user.display_name:
        resource["name"] = [{"text": user.display_name}]
    resource["telecom"] = [{"system": "email", "value": user.email}]
    resource["communication"] = [
        {"language": {"coding": [{"system": BCP47, "code": user.language}]}, "preferred": True}
    ]
    resource["managingOrganization"] = {"display": profile.clinic.name}
    return resource


def _point_at_patient(node: Any, old: str, new: str) -> None:
    """Every {"reference": old} in the resources becomes {"reference": new}."""
    if isinstance(node, dict):
        if node.get("reference") == old:
            node["reference"] = new
        for value in node.values():
            _point_at_patient(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _point_at_patient(value, old, new)


def _consents(profile: ClientProfile, patient_url: str) -> list[dict[str, Any]]:
    records: dict[int, list[ConsentRecord]] = defaultdict(list)
    for record in (
        ConsentRecord.objects.filter(participant__client=profile)
        .select_related("document__study", "participant__study")
        .order_by("at", "pk")
    ):
        records[record.participant_id].append(record)
    entries = []
    for participant in Participant.objects.filter(pk__in=records).select_related("study").order_by("pk"):
        in_force = current_consent(participant)
        for record in records[participant.pk]:
            full_url = _urn(f"Consent/{record.pk}")
            resource = consent_resource_r4b(
                record,
                in_force,
                resource_id=full_url.removeprefix("urn:uuid:"),
                patient_reference=patient_url,
            )
            entries.append({"fullUrl": full_url, "resource": resource})
    return entries


def bundle(profile: ClientProfile, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    found = bundle_for(Response.objects.filter(client=profile), fhir_version=FHIR_VERSION)
    patient_url = _urn(f"Patient/{profile.pk}")
    entries = found.get("entry", [])
    # measures/fhir_export.py names the subject pseudonymously, as a clinic export does; here it is this Patient.
    _point_at_patient(entries, f"Patient/client-{profile.pk}", patient_url)
    result: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.astimezone(clock.zone_for_client(profile)).isoformat(timespec="seconds"),
        "entry": [
            {"fullUrl": patient_url, "resource": _patient(profile, patient_url)},
            *entries,
            *_consents(profile, patient_url),
        ],
    }
    validate_bundle(result, FHIR_VERSION)
    return result
