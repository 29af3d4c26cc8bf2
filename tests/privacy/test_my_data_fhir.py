"""The FHIR download is an R4B collection Bundle that the project's validation (fhir.resources) accepts: the
client's Patient, their questionnaires with scores, and their research consents, every reference to them
pointing at that Patient; nothing of another client."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent

from emotipal.measures.fhir import validate_bundle
from emotipal.privacy.my_data_fhir import bundle
from emotipal.research.actions import consent
from emotipal.research.models import Participant
from tests.factories import World
from tests.privacy.my_data_factory import fill, profile_of


def _resources(found: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == kind]


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return own + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


def test_the_bundle_validates_and_every_reference_to_the_client_is_their_patient(world: World) -> None:
    fill(world, world.client_a, "ALPHA")
    fill(world, world.client_b, "BRAVO")
    found = world.login(world.client_a.user).get("/settings/my-data/fhir.json")
    assert found.status_code == 200 and found["Content-Type"].startswith("application/fhir+json")
    data = json.loads(found.content)
    validate_bundle(data, "R4B")  # raises on any problem
    Bundle.model_validate(data)
    assert data["type"] == "collection"
    patient = data["entry"][0]
    assert patient["resource"]["resourceType"] == "Patient"
    assert patient["resource"]["telecom"][0]["value"] == world.client_a.user.email
    subjects = {
        r["subject"]["reference"]
        for kind in ("QuestionnaireResponse", "Observation")
        for r in _resources(data, kind)
    }
    consents = _resources(data, "Consent")
    assert subjects == {patient["fullUrl"]} == {c["patient"]["reference"] for c in consents}
    full_urls = {e["fullUrl"] for e in data["entry"]}
    assert all(r in full_urls for r in _references(data) if r.startswith("urn:uuid:"))
    (total,) = _resources(data, "Observation")
    assert total["valueQuantity"]["value"] == 18 and total["interpretation"][0]["text"]
    (consent,) = consents
    model = Consent.model_validate(consent)
    assert model.status == "active" and model.provision.type == "permit"
    assert [c.coding[0].code for c in model.provision.code] == ["data", "free_text"]
    text = found.content.decode()
    assert "Patient/client-" not in text  # the clinic export's pseudonymous subject is replaced
    assert "BRAVO" not in text and world.client_b.user.email not in text


def test_a_client_with_nothing_yet_gets_a_valid_bundle_with_their_patient_only(world: World) -> None:
    found = bundle(profile_of(world.client_a))
    validate_bundle(found, "R4B")
    assert [e["resource"]["resourceType"] for e in found["entry"]] == ["Patient"]


def test_a_withdrawal_is_a_second_consent_that_denies(world: World) -> None:
    fill(world, world.client_a, "ALPHA")
    participant = Participant.objects.get(client=world.client_a)
    consent.withdraw(world.client_a.user, participant, "ALPHA moving away")
    found = bundle(profile_of(world.client_a))
    validate_bundle(found, "R4B")
    models = [Consent.model_validate(c) for c in _resources(found, "Consent")]
    assert [(m.status, m.provision.type) for m in models] == [("inactive", "permit"), ("inactive", "deny")]
    assert models[1].provision.period.end is not None
