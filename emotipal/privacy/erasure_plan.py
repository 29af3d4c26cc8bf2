"""What erasing a client would do, decided before anything is removed: shown to the clinic admin first, then
carried out exactly by erasure.py.

The rules:
- a legal hold in force stops everything (nothing is erased or anonymised until it is lifted);
- a study keeps what its protocol lets it keep: a participant whose data the study may use now, and whose
  protocol says data collected before withdrawal is kept, is withdrawn and their data up to today stays, under
  the study's data uses and the scopes they consented to (free text only with the free-text scope); the same
  for someone who already withdrew under such a protocol. The kept data loses its name: the account is
  anonymised, free text the study may not use is removed, and no page shows the record again;
- everything else about the client is removed: the rest of their homework, questionnaires, reminders, push
  subscriptions, calendar feeds, support person, invitations, API tokens and login records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile, Membership
from emotipal.privacy.models import LegalHold
from emotipal.research import consent_rules, states
from emotipal.research.models import (
    ConsentScope,
    DataUse,
    Participant,
    ParticipantState,
    StudyMember,
    WithdrawalPolicy,
)
from emotipal.support.models import SupportLink

# What a kept category keeps (DataUse values; FREE_TEXT decides whether free text inside them stays).
HOMEWORK_USES = frozenset({DataUse.HOMEWORK, DataUse.ENGAGEMENT})


@dataclass(frozen=True)
class StudyDecision:
    """One study the client is (or was) in, and what it may keep."""

    participant_id: int
    study_title: str
    state: str
    keeps: bool
    uses: frozenset[str]  # the data uses it keeps (empty when it keeps nothing)
    withdraw_now: bool  # the erasure withdraws them (they are taking part today)
    why: str  # consent_rules' reason, or "protocol_remove"

    @property
    def why_nothing(self) -> str:
        """Why a study keeps nothing, in the admin's words."""
        if self.why in ("protocol_remove", "withdrawn_remove"):
            return _("its protocol removes the data of a participant who leaves.")
        if self.why == "withdrawn_before_enrolment":
            return _("the client withdrew before taking part.")
        if self.why.startswith("state_"):
            return _("the client never took part (invited, screened or declined only).")
        return _("no consent to the use of the client's data is in force.")

    @property
    def use_labels(self) -> list[str]:
        return [str(DataUse(u).label) for u in sorted(self.uses)]


@dataclass
class ErasurePlan:
    client: ClientProfile
    hold: LegalHold | None
    studies: list[StudyDecision] = field(default_factory=list)
    # The person also works here (staff role, study team, support person): their account stays.
    keeps_account: bool = False

    @property
    def blocked(self) -> bool:
        return self.hold is not None

    @property
    def kept_uses(self) -> frozenset[str]:
        return frozenset().union(*(s.uses for s in self.studies if s.keeps))

    @property
    def keeps_anything(self) -> bool:
        return bool(self.kept_uses)

    @property
    def keeps_homework(self) -> bool:
        return bool(self.kept_uses & HOMEWORK_USES)

    @property
    def keeps_answers(self) -> bool:
        return DataUse.HOMEWORK in self.kept_uses

    @property
    def keeps_free_text(self) -> bool:
        return DataUse.FREE_TEXT in self.kept_uses

    @property
    def keeps_questionnaires(self) -> bool:
        return DataUse.QUESTIONNAIRES in self.kept_uses

    @property
    def keeps_exposure(self) -> bool:
        return DataUse.EXPOSURE in self.kept_uses


def _decide(participant: Participant, newest: int | None) -> StudyDecision:
    study = participant.study
    decision = consent_rules.inclusion(participant, newest)
    taking_part = participant.state in states.DATA_IN_USE
    keeps = decision.included
    why = decision.reason
    if keeps and taking_part and study.withdrawal_policy != WithdrawalPolicy.KEEP:
        # Erasure withdraws them; under a "remove" protocol nothing collected stays.
        keeps, why = False, "protocol_remove"
    uses = frozenset(study.data_uses or []) if keeps else frozenset()
    if ConsentScope.FREE_TEXT not in decision.scopes:
        uses -= {DataUse.FREE_TEXT}
    return StudyDecision(
        participant_id=participant.pk,
        study_title=study.title,
        state=participant.state,
        keeps=keeps and bool(uses),
        uses=uses,
        withdraw_now=participant.state != ParticipantState.WITHDRAWN
        and states.may_move(participant.state, ParticipantState.WITHDRAWN),
        why=why,
    )


def plan_for(client: ClientProfile) -> ErasurePlan:
    hold = LegalHold.objects.filter(client=client, lifted_at__isnull=True).select_related("placed_by").first()
    participants = list(
        Participant.objects.filter(client=client)
        .select_related("study")
        .prefetch_related("consents__document", "study__consent_documents")
    )
    decisions = []
    for p in participants:
        published = [d.version for d in p.study.consent_documents.all() if d.published_at is not None]
        decisions.append(_decide(p, consent_rules.newest_version(published)))
    user_id = client.user_id
    keeps_account = (
        Membership.objects.filter(user_id=user_id).exists()
        or StudyMember.objects.filter(user_id=user_id).exists()
        or SupportLink.objects.filter(coach_id=user_id).exists()
    )
    return ErasurePlan(client=client, hold=hold, studies=decisions, keeps_account=keeps_account)
