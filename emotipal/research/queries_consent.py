"""Read models of consent: which text a participant reads, which consent is current, and whose data may be used.

Whose data may be used is decided by consent_rules.inclusion (the exports apply it to prefetched records);
`data_usable` and `usable_scopes` here ask it for one participant. The client pages ask the rest.

A study's *current version* is the highest version number with a published document (in any language). A
consent counts only for the current version: when a new version is published, a participant whose latest
consent is for an older one is asked again, and until they sign it their data is not used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from emotipal.research import consent_rules, states
from emotipal.research.models import (
    ConsentDecision,
    ConsentDocument,
    ConsentRecord,
    ConsentScope,
    Participant,
    ParticipantState,
    Study,
)

FALLBACK_LANGUAGE = "en"
# States in which the participant still has an open question to answer (shown as a count in settings).
AWAITING_ANSWER = frozenset({ParticipantState.ELIGIBLE})


def published_documents(study: Study) -> QuerySet[ConsentDocument]:
    return ConsentDocument.objects.filter(study=study, published_at__isnull=False)


def current_version(study: Study) -> int | None:
    """The highest published version number, or None when nothing is published."""
    return published_documents(study).order_by("-version").values_list("version", flat=True).first()


def document_for(study: Study, language: str) -> ConsentDocument | None:
    """The current version in the reader's language, else English, else any language it exists in."""
    version = current_version(study)
    if version is None:
        return None
    documents = {d.language: d for d in published_documents(study).filter(version=version).order_by("pk")}
    base = (language or "").split("-")[0]
    for choice in (language, base, FALLBACK_LANGUAGE):
        if choice in documents:
            return documents[choice]
    return next(iter(documents.values()), None)


def latest_record(participant: Participant) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(participant=participant)
        .select_related("document")
        .order_by("-at", "-pk")
        .first()
    )


def latest_consent(participant: Participant) -> ConsentRecord | None:
    """The participant's latest signed consent (any version), whatever they did after it."""
    return (
        ConsentRecord.objects.filter(participant=participant, decision=ConsentDecision.CONSENTED)
        .select_related("document")
        .order_by("-at", "-pk")
        .first()
    )


def current_consent(participant: Participant) -> ConsentRecord | None:
    """The consent that is in force now: the latest record, when it is a signature on the current version.

    None after a decline or withdrawal, before any signature, and when a newer version awaits a signature."""
    record = latest_record(participant)
    if record is None or record.decision != ConsentDecision.CONSENTED:
        return None
    if record.document.version != current_version(participant.study):
        return None
    return record


def needs_reconsent(participant: Participant) -> bool:
    """Taking part, signed an older version, and a newer one is published."""
    if participant.state not in states.DATA_IN_USE:
        return False
    return latest_consent(participant) is not None and current_consent(participant) is None


def usable_scopes(participant: Participant) -> set[str]:
    """What the participant's data may be used for now: the scopes of their consent in force, or (withdrawn
    under a "keep" protocol) of the consent they had given. Empty when nothing of theirs may be used.
    The rule itself is consent_rules.inclusion, the same one the exports apply."""
    return set(consent_rules.inclusion(participant, current_version(participant.study)).scopes)


def data_usable(participant: Participant) -> bool:
    return ConsentScope.DATA in usable_scopes(participant)


def data_until(participant: Participant) -> dt.datetime | None:
    """The moment after which nothing of this participant may be exported (their withdrawal), or None."""
    return participant.withdrawn_at


def awaiting_answer(user: Any) -> int:
    """How many studies wait for this client's answer: invitations and new versions to sign (settings count)."""
    own = Participant.objects.filter(client__user=user).select_related("study")
    return sum(1 for p in own if p.state in AWAITING_ANSWER or needs_reconsent(p))
