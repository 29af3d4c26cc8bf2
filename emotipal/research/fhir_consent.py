"""A participant's consent events as HL7 FHIR R5 Consent resources (JSON-ready dicts), pseudonymous.

One Consent per ConsentRecord, oldest first:

- signed      status "active" while it is the consent in force, "inactive" once superseded or withdrawn;
              decision "permit"; one provision with purpose HRESCH (healthcare research) whose codes are the
              scopes the participant chose (system urn:emotipal:consent-scope);
- declined    status "active", decision "deny";
- withdrawn   status "inactive", decision "deny", period ending at the withdrawal.

The subject is the participant's study pseudonym (Patient/<pseudonym>, the same as the export's participant
id), the grantee the study (ResearchStudy/<slug>). The signed text is named in sourceAttachment with its
language, title, and SHA-1 hash (FHIR's Attachment.hash) of the exact bytes signed; the SHA-256 kept by
EmotiPal is the Consent's identifier value. The typed name is never exported.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from emotipal.research import pseudonyms, queries_consent
from emotipal.research.models import ConsentDecision, ConsentRecord, Participant

SCOPE_SYSTEM = "urn:emotipal:consent-scope"
TEXT_HASH_SYSTEM = "urn:emotipal:consent-text-sha256"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_NOT_AN_ID_CHARACTER = re.compile(r"[^A-Za-z0-9.\-]")


def fhir_id(text: str) -> str:
    """FHIR ids are 1 to 64 of [A-Za-z0-9.-]."""
    return _NOT_AN_ID_CHARACTER.sub("-", text)[:64] or "x"


def _attachment(record: ConsentRecord) -> dict[str, Any]:
    document = record.document
    signed_text = f"{document.title}\n\n{document.body_markdown}".encode()
    return {
        "contentType": "text/markdown",
        "language": document.language,
        "title": f"{document.title} (version {document.version})",
        "hash": base64.b64encode(hashlib.sha1(signed_text, usedforsecurity=False).digest()).decode(),
        "url": f"urn:emotipal:consent:{fhir_id(document.study.slug)}:v{document.version}:{document.language}",
    }


def _status(record: ConsentRecord, in_force: ConsentRecord | None) -> str:
    if record.decision == ConsentDecision.CONSENTED:
        return "active" if in_force is not None and in_force.pk == record.pk else "inactive"
    return "inactive" if record.decision == ConsentDecision.WITHDRAWN else "active"


def consent_resource(record: ConsentRecord, in_force: ConsentRecord | None) -> dict[str, Any]:
    participant = record.participant
    study = participant.study
    subject = pseudonyms.pseudonym(study, "client", participant.client_id)
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": fhir_id(pseudonyms.pseudonym(study, "consent", record.pk)),
        "identifier": [{"system": TEXT_HASH_SYSTEM, "value": record.text_hash}],
        "status": _status(record, in_force),
        "category": [{"coding": [{"system": CONSENT_SCOPE, "code": "research", "display": "Research"}]}],
        "subject": {"reference": f"Patient/{fhir_id(subject)}"},
        "date": record.at.date().isoformat(),
        "grantee": [{"reference": f"ResearchStudy/{fhir_id(study.slug)}", "display": study.title}],
        "sourceAttachment": [_attachment(record)],
        "decision": "permit" if record.decision == ConsentDecision.CONSENTED else "deny",
    }
    if record.decision == ConsentDecision.CONSENTED:
        resource["period"] = {"start": record.at.isoformat()}
        resource["provision"] = [
            {
                "purpose": [{"system": ACT_REASON, "code": "HRESCH", "display": "healthcare research"}],
                "action": [{"coding": [{"system": CONSENT_SCOPE, "code": "research"}]}],
                "code": [{"coding": [{"system": SCOPE_SYSTEM, "code": scope}]} for scope in record.scopes],
            }
        ]
    elif record.decision == ConsentDecision.WITHDRAWN:
        resource["period"] = {"end": record.at.isoformat()}
    return resource


def consent_resources(participant: Participant) -> list[dict[str, Any]]:
    """Every consent event of the participant as a FHIR R5 Consent, oldest first."""
    in_force = queries_consent.current_consent(participant)
    records = (
        ConsentRecord.objects.filter(participant=participant)
        .select_related("document__study", "participant__study")
        .order_by("at", "pk")
    )
    return [consent_resource(record, in_force) for record in records]


# --- FHIR R4B, for the person's own copy ---------------------------------------------------------------------

CONSENT_CATEGORY_R4B = "http://terminology.hl7.org/CodeSystem/consentcategorycodes"
INFORMATION_RECIPIENT = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
    "code": "IRCP",
    "display": "information recipient",
}


def consent_resource_r4b(
    record: ConsentRecord, in_force: ConsentRecord | None, *, resource_id: str, patient_reference: str
) -> dict[str, Any]:
    """One consent event as a FHIR R4B Consent for the participant themself (their data download): the same
    status, decision, scopes and signed-text attachment as consent_resource, in R4B's shape, with the
    participant's own Patient as `patient` and `performer` instead of the study's pseudonym. R4B names the decision in the
    provision's type, the study as an actor of it (R5's grantee), and wants a policy: the document signed."""
    study = record.participant.study
    attachment = _attachment(record)
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": resource_id,
        "identifier": [{"system": TEXT_HASH_SYSTEM, "value": record.text_hash}],
        "status": _status(record, in_force),
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "research", "display": "Research"}]},
        "category": [
            {
                "coding": [
                    {
                        "system": CONSENT_CATEGORY_R4B,
                        "code": "research",
                        "display": "Research Information Access",
                    }
                ]
            }
        ],
        "patient": {"reference": patient_reference},
        "dateTime": record.at.isoformat(),
        "performer": [{"reference": patient_reference}],
        "sourceAttachment": attachment,
        "policy": [{"uri": attachment["url"]}],
    }
    provision: dict[str, Any] = {
        "type": "permit" if record.decision == ConsentDecision.CONSENTED else "deny",
        # R5's grantee: the study receives the data
        "actor": [{"role": {"coding": [INFORMATION_RECIPIENT]}, "reference": {"display": study.title}}],
        "purpose": [{"system": ACT_REASON, "code": "HRESCH", "display": "healthcare research"}],
    }
    if record.decision == ConsentDecision.CONSENTED:
        provision["period"] = {"start": record.at.isoformat()}
        if record.scopes:
            provision["code"] = [
                {"coding": [{"system": SCOPE_SYSTEM, "code": scope}]} for scope in record.scopes
            ]
    elif record.decision == ConsentDecision.WITHDRAWN:
        provision["period"] = {"end": record.at.isoformat()}
    resource["provision"] = provision
    return resource
