"""Whose data an export may use, and which scopes apply: decided from the consent records alone.

The one rule, used by the exports and by the consent pages (queries_consent.usable_scopes):

- a participant in a data-in-use state (enrolled, completed, lost to follow-up) is in the export when the
  latest record for the study's newest published consent version is "consented" and includes DATA;
  a newer version without a new signature stops further use until they sign it;
- a withdrawn participant whose protocol said "keep" is in the export with what was collected before they
  withdrew, under the scopes of the last consent they gave before withdrawing (it must include DATA);
- a withdrawn participant whose protocol said "remove" is in no table except the consent events and the
  participant states, which say that they withdrew.

Works on prefetched records (participant.consents with their documents), so a whole study costs no query
per participant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emotipal.research import states
from emotipal.research.models import (
    ConsentDecision,
    ConsentRecord,
    ConsentScope,
    Participant,
    ParticipantState,
    WithdrawalPolicy,
)


@dataclass(frozen=True)
class Inclusion:
    """Whether a participant's data goes into an export, why not, and under which scopes."""

    included: bool
    reason: str  # "usable", "withdrawn_keep", or why left out
    scopes: frozenset[str] = frozenset()
    consent_version: int | None = None


def newest_version(published_versions: Iterable[int]) -> int | None:
    return max(published_versions, default=None)


def _latest(records: Iterable[ConsentRecord], version: int | None = None) -> ConsentRecord | None:
    chosen = [r for r in records if version is None or r.document.version == version]
    return max(chosen, key=lambda r: (r.at, r.pk), default=None)


def withdrawal_policy(participant: Participant) -> str:
    """The policy recorded when they withdrew, else the study's."""
    return participant.withdrawal_policy or participant.study.withdrawal_policy


def inclusion(participant: Participant, newest: int | None) -> Inclusion:
    records = list(participant.consents.all())
    if participant.state == ParticipantState.WITHDRAWN:
        if participant.enrolled_at is None:
            return Inclusion(False, "withdrawn_before_enrolment")
        if withdrawal_policy(participant) == WithdrawalPolicy.REMOVE:
            return Inclusion(False, "withdrawn_remove")
        cutoff = participant.withdrawn_at
        given = [
            r
            for r in records
            if r.decision == ConsentDecision.CONSENTED and (cutoff is None or r.at < cutoff)
        ]
        last = _latest(given)
        if last is None or ConsentScope.DATA not in last.scopes:
            return Inclusion(False, "no_data_consent")
        return Inclusion(True, "withdrawn_keep", frozenset(last.scopes), last.document.version)
    if participant.state not in states.DATA_IN_USE:
        return Inclusion(False, f"state_{participant.state}")
    current = _latest(records, newest)
    if current is None:
        return Inclusion(False, "not_consented_to_current_version")
    if current.decision != ConsentDecision.CONSENTED or ConsentScope.DATA not in current.scopes:
        return Inclusion(False, "no_data_consent")
    return Inclusion(True, "usable", frozenset(current.scopes), current.document.version)


def data_usable(participant: Participant, newest: int | None) -> bool:
    return inclusion(participant, newest).included


def usable_scopes(participant: Participant, newest: int | None) -> frozenset[str]:
    return inclusion(participant, newest).scopes
