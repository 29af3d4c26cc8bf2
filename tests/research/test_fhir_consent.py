"""Every consent event of a participant exports as a FHIR R5 Consent that fhir.resources accepts, without the
participant's name, e-mail address or database id."""

from __future__ import annotations

import base64
import hashlib
import json

from django.utils import timezone
from fhir.resources.consent import Consent

from emotipal.research import pseudonyms
from emotipal.research.actions import consent
from emotipal.research.fhir_consent import consent_resources
from emotipal.research.models import ConsentDocument
from emotipal.research.queries_consent import document_for
from tests.factories import World
from tests.research.consent_helpers import invited, signed
from tests.research.study_factory import make_study


def _validated(resources: list[dict]) -> list[Consent]:
    return [Consent.model_validate(r) for r in resources]


def test_sign_renew_and_withdraw_export_as_valid_consents_in_order(world: World) -> None:
    study = make_study(world)
    participant, first = signed(world, study, scopes=("data", "free_text"))
    new = ConsentDocument.objects.create(
        study=study,
        version=2,
        language="en",
        title="Information and consent",
        body_markdown="Version two.",
        created_by=world.researcher,
        published_at=timezone.now(),
    )
    consent.sign(world.client_a.user, participant, new.pk, ["data"], "Ana Client")
    resources = consent_resources(participant)
    models = _validated(resources)
    assert [(m.status, m.decision) for m in models] == [("inactive", "permit"), ("active", "permit")]
    assert [c.coding[0].code for c in models[1].provision[0].code] == ["data"]
    assert [c.coding[0].code for c in models[0].provision[0].code] == ["data", "free_text"]
    assert models[0].provision[0].purpose[0].code == "HRESCH"
    subject = pseudonyms.pseudonym(study, "client", world.client_a.pk)
    assert {m.subject.reference for m in models} == {f"Patient/{subject}"}
    assert models[0].identifier[0].value == first.text_hash
    signed_bytes = f"{first.document.title}\n\n{first.document.body_markdown}".encode()
    digest = hashlib.sha1(signed_bytes).digest()  # noqa: S324 (FHIR's Attachment.hash is SHA-1)
    assert resources[0]["sourceAttachment"][0]["hash"] == base64.b64encode(digest).decode()
    assert models[0].sourceAttachment[0].language == "en"

    consent.withdraw(world.client_a.user, participant, "moving away")
    models = _validated(consent_resources(participant))
    assert [(m.status, m.decision) for m in models][-2:] == [("inactive", "permit"), ("inactive", "deny")]
    assert models[-1].period.end is not None
    text = json.dumps(consent_resources(participant))
    for secret in ("Ana", world.client_a.user.email, "moving away", f'Patient/{world.client_a.pk}"'):
        assert secret not in text


def test_a_decline_exports_as_a_deny(world: World) -> None:
    study = make_study(world, slug="with_underscore")
    participant = invited(world, study)
    document = document_for(study, "en")
    assert document is not None
    consent.decline(world.client_a.user, participant, document.pk)
    (model,) = _validated(consent_resources(participant))
    assert (model.status, model.decision, model.provision) == ("active", "deny", None)
    assert model.grantee[0].reference == "ResearchStudy/with-underscore"  # FHIR ids allow no underscore
    assert consent_resources(invited(world, study, world.client_b)) == []
