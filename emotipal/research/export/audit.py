"""Auditing an export: one read row per participant whose data it holds, and one row for the export itself."""

from __future__ import annotations

from typing import Any

from emotipal.accounts.access import note_reads
from emotipal.accounts.models import ClientProfile
from emotipal.platform.audit.services import record
from emotipal.research.consent_rules import inclusion, newest_version
from emotipal.research.models import ConsentDocument, Participant, Study


def included_clients(study: Study) -> list[ClientProfile]:
    """The clients whose (pseudonymous) data an export of the study holds now."""
    newest = newest_version(
        ConsentDocument.objects.filter(study=study, published_at__isnull=False).values_list(
            "version", flat=True
        )
    )
    participants = (
        Participant.objects.filter(study=study)
        .select_related("client", "study")
        .prefetch_related("consents__document")
    )
    return [p.client for p in participants if inclusion(p, newest).included]


def audit_export(actor: Any, study: Study, action: str, **detail: Any) -> None:
    note_reads(actor, included_clients(study), f"research.{action}", study=study.slug, **detail)
    record(actor, f"research.{action}", study, **detail)
