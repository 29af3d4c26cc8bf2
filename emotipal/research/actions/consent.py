"""A client's own decisions about a study: sign, decline, withdraw. Each is one transaction with its consent
record, its state change(s) and its audit row. None of them touches care: nothing here writes homework,
questionnaires or the client's profile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.research import queries_consent, states
from emotipal.research.actions.experiments import allocate_on_enrolment
from emotipal.research.actions.participants import move
from emotipal.research.actions.studies import recruitment_problem
from emotipal.research.errors import ResearchError
from emotipal.research.models import (
    ConsentDecision,
    ConsentDocument,
    ConsentRecord,
    ConsentScope,
    Participant,
    ParticipantState,
)

MAX_NAME = 200
MAX_REASON = 2000
FIRST_CONSENT_FROM = frozenset({ParticipantState.ELIGIBLE, ParticipantState.DECLINED})


def _own(user: Any, participant: Participant) -> Participant:
    if participant.client.user_id != getattr(user, "pk", None):
        raise ResearchError(_("This is not your invitation."))
    return participant


def _current_document(participant: Participant, document_id: Any) -> ConsentDocument:
    """The document posted, when it is a published document of the current version; else a clear refusal."""
    try:
        document = queries_consent.published_documents(participant.study).get(pk=int(document_id))
    except (ConsentDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise ResearchError(_("This consent text is not part of the study.")) from exc
    current = queries_consent.current_version(participant.study)
    if document.version != current:
        raise ResearchError(
            _(
                "You read version %(old)s of the information, which has been replaced by version %(new)s. "
                "Please read the new version before you decide."
            )
            % {"old": document.version, "new": current}
        )
    return document


def _scopes(chosen: Iterable[str]) -> list[str]:
    chosen = set(chosen)
    unknown = chosen - set(ConsentScope.values)
    if unknown:
        raise ResearchError(_("Unknown choice in the form."), {"scopes": _("Unknown choice in the form.")})
    if ConsentScope.DATA not in chosen:
        message = _(
            "Taking part means agreeing to the use of your homework and questionnaire data. Tick it to take "
            "part, or choose “I do not want to take part”."
        )
        raise ResearchError(message, {"scopes": message})
    return [s for s in ConsentScope.values if s in chosen]  # in the form's order


def _audit(
    user: Any, participant: Participant, action: str, document: ConsentDocument, **detail: Any
) -> None:
    record(
        user,
        f"research.consent.{action}",
        participant,
        subject_user_id=participant.client.user_id,
        clinic_id=participant.client.clinic_id,
        version=document.version,
        language=document.language,
        **detail,
    )


def sign(
    user: Any, participant: Participant, document_id: Any, scopes: Iterable[str], typed_name: str
) -> ConsentRecord:
    """Sign the current version with the chosen scopes: consented and enrolled (a first consent), or the
    consent renewed (a participant asked again after a new version)."""
    participant = _own(user, participant)
    renewing = queries_consent.needs_reconsent(participant)
    if not renewing:
        problem = recruitment_problem(participant.study)
        if problem:
            raise ResearchError(problem)
        if participant.state not in FIRST_CONSENT_FROM:
            raise ResearchError(_("There is nothing to sign for this study now."))
    document = _current_document(participant, document_id)
    chosen = _scopes(scopes)
    name = (typed_name or "").strip()
    if not name:
        message = _("Type your name to sign.")
        raise ResearchError(message, {"typed_name": message})
    if len(name) > MAX_NAME:
        message = _("Keep your name to %(limit)s characters or fewer.") % {"limit": MAX_NAME}
        raise ResearchError(message, {"typed_name": message})
    with transaction.atomic():
        signed = ConsentRecord.objects.create(
            participant=participant,
            document=document,
            text_hash=document.text_hash,
            decision=ConsentDecision.CONSENTED,
            scopes=chosen,
            typed_name=name,
            at=clock.now(),
        )
        _audit(user, participant, "renewed" if renewing else "signed", document, scopes=chosen)
        if not renewing:
            move(participant, ParticipantState.CONSENTED, user, f"consent version {document.version}")
            move(participant, ParticipantState.ENROLLED, user)
            allocate_on_enrolment(participant, user)
    return signed


def decline(user: Any, participant: Participant, document_id: Any) -> ConsentRecord:
    """Say no to taking part (after reading the current version). Care stays exactly as it was."""
    participant = _own(user, participant)
    if participant.state != ParticipantState.ELIGIBLE:
        raise ResearchError(_("There is nothing to decline for this study now."))
    document = _current_document(participant, document_id)
    with transaction.atomic():
        declined = ConsentRecord.objects.create(
            participant=participant,
            document=document,
            text_hash=document.text_hash,
            decision=ConsentDecision.DECLINED,
            at=clock.now(),
        )
        _audit(user, participant, "declined", document)
        move(participant, ParticipantState.DECLINED, user)
    return declined


def may_withdraw(participant: Participant) -> bool:
    return states.may_move(participant.state, ParticipantState.WITHDRAWN)


def withdraw(user: Any, participant: Participant, reason: str = "") -> Participant:
    """Leave the study, in one step, at any time. The protocol's policy for data collected so far is stored on
    the participant by move(). Care stays exactly as it was."""
    participant = _own(user, participant)
    if not may_withdraw(participant):
        raise ResearchError(_("You are not taking part in this study, so there is nothing to withdraw from."))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        message = _("Keep the reason to %(limit)s characters or fewer.") % {"limit": MAX_REASON}
        raise ResearchError(message, {"reason": message})
    return end_participation(user, participant, reason)


def end_participation(actor: Any, participant: Participant, reason: str) -> Participant:
    """The withdrawal itself, for the participant's own request (withdraw) and for an erasure at the clinic
    (privacy/erasure.py), whoever checked that it may happen."""
    with transaction.atomic():
        consent = queries_consent.latest_consent(participant)
        if consent is not None:
            # The withdrawal is a consent event too (FHIR Consent, status inactive) on the text they had signed.
            ConsentRecord.objects.create(
                participant=participant,
                document=consent.document,
                text_hash=consent.text_hash,
                decision=ConsentDecision.WITHDRAWN,
                at=clock.now(),
            )
            _audit(actor, participant, "withdrawn", consent.document)
        return move(participant, ParticipantState.WITHDRAWN, actor, reason)
