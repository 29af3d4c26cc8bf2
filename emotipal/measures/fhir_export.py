"""Collect instruments and responses from the database for the FHIR export (pure building is in fhir.py)."""

from __future__ import annotations

from typing import Any

from emotipal.measures.fhir import (
    FhirInstrument,
    FhirResponse,
    build_bundle,
    questionnaire_url,
    validate_bundle,
)
from emotipal.measures.models import Response


def bundle_for(responses: Any, *, fhir_version: str = "R4B") -> dict[str, Any]:
    """Completed and in-progress responses, their instrument versions, and total scores as Observations."""
    picked = list(
        responses.filter(status__in=[Response.Status.COMPLETED, Response.Status.IN_PROGRESS]).select_related(
            "instrument_version__instrument"
        )
    )
    versions = {r.instrument_version_id: r.instrument_version for r in picked}
    instruments = [
        FhirInstrument(v.definition, v.number, questionnaire_url(v.instrument.key)) for v in versions.values()
    ]
    fhir_responses = [
        FhirResponse(
            id=f"response-{r.pk}",
            instrument_key=r.instrument_version.instrument.key,
            instrument_version=r.instrument_version.number,
            subject_id=f"client-{r.client_id}",  # the export names no one: a pseudonymous reference
            authored=r.completed_at or r.started_at or r.instrument_version.created_at,
            status="completed" if r.status == Response.Status.COMPLETED else "in-progress",
            answers=r.answers or {},
            total=r.total,
            band=r.band or None,
            language=r.language or None,
        )
        for r in picked
    ]
    bundle = build_bundle(instruments, fhir_responses, fhir_version=fhir_version)
    validate_bundle(bundle, fhir_version)
    return bundle
